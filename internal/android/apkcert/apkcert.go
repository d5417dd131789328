// Package apkcert finds the certificate an Android app (APK) is signed with and hashes
// it, for APKs whose certificate the collector did not record (androidqf's streaming
// mode leaves the certificate fields of packages.json empty).
//
// An APK is a zip file. Two places hold its signer's certificate:
//
//   - The APK Signing Block (signature schemes v2, Android 7, and v3, Android 9): a block
//     placed just before the zip's central directory. It ends with a 64-bit size and the
//     16-byte magic "APK Sig Block 42" and begins with the same size; between them are
//     ID–value pairs, each prefixed with a 64-bit length. The v2 value (ID 0x7109871a)
//     and the v3 value (ID 0xf05368c0) are a sequence of signers, every sequence and
//     element prefixed with a 32-bit little-endian length; a signer begins with its
//     signed data, which holds the digests then the X.509 certificates (DER), the first
//     being the signer's. v3 is preferred (with key rotation its certificate is the
//     current one, which is what androidqf's apkverifier reports), then v2.
//   - The JAR signature (scheme v1): META-INF/<name>.RSA, .DSA or .EC, a PKCS#7
//     SignedData (DER) whose certificates field holds the signer's certificate first.
//
// The hashes are MD5, SHA-1 and SHA-256 of the certificate's DER encoding, the values
// certificate indicators (app:cert.*) list. The signatures are not verified: only the
// certificate is read, which is enough to recognise a known signer; a forged signature
// over a known certificate does not make an app less suspicious.
//
// Everything is bounded: the signing block (16 MiB), the number of its pairs, the
// PKCS#7 file (4 MiB) and the number of META-INF candidates. [FromReaderAt] reads a
// file that can be read at any offset; [FromStream] reads one that can only be read
// from its start (an entry of a compressed zip, a decrypted stream), keeping its last
// 32 MiB and reading it again for a range further back when the JAR signature needs
// one.
package apkcert

import (
	"archive/zip"
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
)

// Sources of a certificate, as written in records' certificate_source.
const (
	SourceSigningBlock = "apk-signing-block"
	SourceJAR          = "jar-signature"
)

// Block IDs of the APK Signing Block.
const (
	IDv2 = 0x7109871a
	IDv3 = 0xf05368c0
)

// Magic ends the APK Signing Block.
const Magic = "APK Sig Block 42"

// Limits.
const (
	MaxSigningBlock  = 16 << 20
	MaxSignatureFile = 4 << 20
	maxPairs         = 4096
	maxJARCandidates = 8
	// TailWindow is how much of the end of a streamed APK is kept.
	TailWindow = 32 << 20
	maxPasses  = 4
)

// Cert is an APK's signer certificate.
type Cert struct {
	// DER is the certificate's encoding.
	DER []byte
	// Source is SourceSigningBlock or SourceJAR; Scheme "v3", "v2" or "v1"; Entry the
	// META-INF file of a JAR signature.
	Source, Scheme, Entry string
	// MD5, SHA1 and SHA256 are lower-case hex digests of DER.
	MD5, SHA1, SHA256 string
	// X509 is the parsed certificate, nil when DER does not parse (the hashes are
	// still right).
	X509 *x509.Certificate
}

func newCert(der []byte, source, scheme, entry string) *Cert {
	m, s1, s2 := md5.Sum(der), sha1.Sum(der), sha256.Sum256(der)
	c := &Cert{DER: der, Source: source, Scheme: scheme, Entry: entry,
		MD5: hex.EncodeToString(m[:]), SHA1: hex.EncodeToString(s1[:]), SHA256: hex.EncodeToString(s2[:])}
	if x, err := x509.ParseCertificate(der); err == nil {
		c.X509 = x
	}
	return c
}

// Name writes a certificate name as androidqf's apkverifier does: "C=…, ST=…, L=…,
// O=…, OU=…, CN=…" with the parts present.
func Name(n pkix.Name) string {
	var parts []string
	for _, p := range []struct {
		k string
		v []string
	}{{"C", n.Country}, {"ST", n.Province}, {"L", n.Locality}, {"O", n.Organization}, {"OU", n.OrganizationalUnit}} {
		if len(p.v) > 0 {
			parts = append(parts, p.k+"="+strings.Join(p.v, ";"))
		}
	}
	if n.CommonName != "" {
		parts = append(parts, "CN="+n.CommonName)
	}
	return strings.Join(parts, ", ")
}

// ErrNoCertificate says an APK has neither a signing block nor a JAR signature with a
// certificate.
var ErrNoCertificate = errors.New("no signer certificate found (neither APK Signing Block nor META-INF signature)")

// MissingError is returned by a reader that does not hold a range of the file (see
// FromStream).
type MissingError struct{ Off, Len int64 }

func (e *MissingError) Error() string {
	return fmt.Sprintf("range %d+%d not available", e.Off, e.Len)
}

// FromReaderAt reads the signer certificate of the APK of size bytes that r reads.
func FromReaderAt(r io.ReaderAt, size int64) (*Cert, error) {
	der, scheme, sbErr := SigningBlockCert(r, size)
	if sbErr == nil {
		return newCert(der, SourceSigningBlock, scheme, ""), nil
	}
	if _, ok := errors.AsType[*MissingError](sbErr); ok {
		return nil, sbErr
	}
	c, jarErr := jarCert(r, size)
	if jarErr == nil {
		return c, nil
	}
	if _, ok := errors.AsType[*MissingError](jarErr); ok {
		return nil, jarErr
	}
	if errors.Is(sbErr, errNoBlock) && errors.Is(jarErr, errNoJAR) {
		return nil, ErrNoCertificate
	}
	return nil, fmt.Errorf("signing block: %v; JAR signature: %v", sbErr, jarErr)
}

var (
	errNoBlock = errors.New("no APK Signing Block")
	errNoJAR   = errors.New("no META-INF signature file")
)

// readAt reads exactly n bytes at off.
func readAt(r io.ReaderAt, off, n, size int64) ([]byte, error) {
	if off < 0 || n < 0 || off > size || n > size-off {
		return nil, fmt.Errorf("range %d+%d outside the file (%d bytes)", off, n, size)
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, off); err != nil && !(errors.Is(err, io.EOF) && n == 0) {
		if _, ok := errors.AsType[*MissingError](err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("read %d bytes at %d: %w", n, off, err)
	}
	return buf, nil
}

// eocd finds the zip's end-of-central-directory record and returns the central
// directory's offset.
func eocd(r io.ReaderAt, size int64) (int64, error) {
	const minEOCD = 22
	if size < minEOCD {
		return 0, errors.New("not a zip file (too short)")
	}
	n := min(size, minEOCD+65535)
	tail, err := readAt(r, size-n, n, size)
	if err != nil {
		return 0, err
	}
	for i := len(tail) - minEOCD; i >= 0; i-- {
		if binary.LittleEndian.Uint32(tail[i:]) != 0x06054b50 {
			continue
		}
		commentLen := int(binary.LittleEndian.Uint16(tail[i+20:]))
		if i+minEOCD+commentLen != len(tail) {
			continue
		}
		cd := int64(binary.LittleEndian.Uint32(tail[i+16:]))
		if cd == 0xffffffff {
			return 0, errors.New("zip64 archive: signing block not looked for")
		}
		if cd > size-n+int64(i) {
			return 0, errors.New("central directory offset beyond its end record")
		}
		return cd, nil
	}
	return 0, errors.New("not a zip file (no end of central directory)")
}

// SigningBlockCert returns the DER of the first certificate of the first signer of the
// v3 block, else of the v2 block, and the scheme it came from.
func SigningBlockCert(r io.ReaderAt, size int64) ([]byte, string, error) {
	cd, err := eocd(r, size)
	if err != nil {
		return nil, "", err
	}
	if cd < 32 {
		return nil, "", errNoBlock
	}
	footer, err := readAt(r, cd-24, 24, size)
	if err != nil {
		return nil, "", err
	}
	if string(footer[8:]) != Magic {
		return nil, "", errNoBlock
	}
	blockSize := binary.LittleEndian.Uint64(footer)
	if blockSize < 24 || blockSize > MaxSigningBlock || int64(blockSize) > cd-8 {
		return nil, "", fmt.Errorf("APK Signing Block size %d out of bounds", blockSize)
	}
	start := cd - int64(blockSize) - 8
	block, err := readAt(r, start, int64(blockSize)+8, size)
	if err != nil {
		return nil, "", err
	}
	if binary.LittleEndian.Uint64(block) != blockSize {
		return nil, "", errors.New("APK Signing Block: the two sizes differ")
	}
	pairs, err := Pairs(block[8 : len(block)-24])
	if err != nil {
		return nil, "", err
	}
	var firstErr error
	for _, want := range []struct {
		id     uint32
		scheme string
	}{{IDv3, "v3"}, {IDv2, "v2"}} {
		v, ok := pairs[want.id]
		if !ok {
			continue
		}
		der, err := SchemeCert(v)
		if err == nil {
			return der, want.scheme, nil
		}
		if firstErr == nil {
			firstErr = fmt.Errorf("%s block: %w", want.scheme, err)
		}
	}
	if firstErr != nil {
		return nil, "", firstErr
	}
	return nil, "", fmt.Errorf("%w: signing block without a v2 or v3 signature", errNoBlock)
}

// Pairs reads the ID–value pairs of an APK Signing Block (without its sizes and
// magic): the first value of each ID.
func Pairs(b []byte) (map[uint32][]byte, error) {
	out := map[uint32][]byte{}
	for n := 0; len(b) > 0; n++ {
		if n >= maxPairs {
			return nil, errors.New("APK Signing Block: too many pairs")
		}
		if len(b) < 12 {
			return nil, errors.New("APK Signing Block: truncated pair")
		}
		l := binary.LittleEndian.Uint64(b)
		if l < 4 || l > uint64(len(b)-8) {
			return nil, fmt.Errorf("APK Signing Block: pair length %d out of bounds", l)
		}
		id := binary.LittleEndian.Uint32(b[8:])
		if _, dup := out[id]; !dup {
			out[id] = b[12 : 8+l]
		}
		b = b[8+l:]
	}
	return out, nil
}

// prefixed splits a 32-bit length-prefixed element off b.
func prefixed(b []byte) (elem, rest []byte, err error) {
	if len(b) < 4 {
		return nil, nil, errors.New("truncated length prefix")
	}
	l := binary.LittleEndian.Uint32(b)
	if uint64(l) > uint64(len(b)-4) {
		return nil, nil, fmt.Errorf("length %d beyond the %d bytes left", l, len(b)-4)
	}
	return b[4 : 4+l], b[4+l:], nil
}

// SchemeCert reads the first certificate of the first signer of a v2 or v3 block
// value: signers → signer → signed data → (digests, certificates) → certificate.
func SchemeCert(v []byte) ([]byte, error) {
	signers, _, err := prefixed(v)
	if err != nil {
		return nil, fmt.Errorf("signers: %w", err)
	}
	signer, _, err := prefixed(signers)
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	signed, _, err := prefixed(signer)
	if err != nil {
		return nil, fmt.Errorf("signed data: %w", err)
	}
	_, rest, err := prefixed(signed)
	if err != nil {
		return nil, fmt.Errorf("digests: %w", err)
	}
	certs, _, err := prefixed(rest)
	if err != nil {
		return nil, fmt.Errorf("certificates: %w", err)
	}
	cert, _, err := prefixed(certs)
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	if len(cert) == 0 {
		return nil, errors.New("empty certificate")
	}
	return cert, nil
}

// IsSignatureFile says whether a zip entry name is a JAR signature block file:
// META-INF/<name>.RSA, .DSA or .EC (case-insensitive, directly under META-INF).
func IsSignatureFile(name string) bool {
	dir, file := path.Split(name)
	if !strings.EqualFold(dir, "META-INF/") || file == "" {
		return false
	}
	ext := strings.ToUpper(path.Ext(file))
	return ext == ".RSA" || ext == ".DSA" || ext == ".EC"
}

// jarCert reads the first certificate of the first META-INF signature file that has
// one (in name order).
func jarCert(r io.ReaderAt, size int64) (*Cert, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		if me, ok := errors.AsType[*MissingError](err); ok {
			return nil, me
		}
		return nil, fmt.Errorf("zip: %w", err)
	}
	var cands []*zip.File
	for _, f := range zr.File {
		if IsSignatureFile(f.Name) {
			cands = append(cands, f)
		}
	}
	if len(cands) == 0 {
		return nil, errNoJAR
	}
	slices.SortStableFunc(cands, func(a, b *zip.File) int { return strings.Compare(a.Name, b.Name) })
	var firstErr error
	for i, f := range cands {
		if i >= maxJARCandidates {
			break
		}
		der, err := readEntry(f)
		if err == nil {
			der, err = PKCS7Cert(der)
		}
		if err == nil {
			return newCert(der, SourceJAR, "v1", f.Name), nil
		}
		if me, ok := errors.AsType[*MissingError](err); ok {
			return nil, me
		}
		if firstErr == nil {
			firstErr = fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	return nil, firstErr
}

func readEntry(f *zip.File) ([]byte, error) {
	if f.UncompressedSize64 > MaxSignatureFile || f.CompressedSize64 > MaxSignatureFile {
		return nil, fmt.Errorf("larger than %d bytes", MaxSignatureFile)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, MaxSignatureFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSignatureFile {
		return nil, fmt.Errorf("larger than %d bytes", MaxSignatureFile)
	}
	return data, nil
}

var oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}

// PKCS7Cert returns the DER of the first certificate of a PKCS#7 SignedData
// (ContentInfo { signedData, [0] SignedData { version, digestAlgorithms,
// encapContentInfo, [0] IMPLICIT certificates, … } }), DER encoded.
func PKCS7Cert(der []byte) ([]byte, error) {
	var ci struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"explicit,tag:0"`
	}
	if _, err := asn1.Unmarshal(der, &ci); err != nil {
		return nil, fmt.Errorf("PKCS#7 ContentInfo: %w", err)
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, fmt.Errorf("PKCS#7 content type %v is not signedData", ci.ContentType)
	}
	var sd asn1.RawValue
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return nil, fmt.Errorf("PKCS#7 SignedData: %w", err)
	}
	if sd.Class != asn1.ClassUniversal || sd.Tag != asn1.TagSequence {
		return nil, errors.New("PKCS#7 SignedData is not a SEQUENCE")
	}
	rest := sd.Bytes
	for i := 0; len(rest) > 0 && i < 8; i++ {
		var f asn1.RawValue
		var err error
		rest, err = asn1.Unmarshal(rest, &f)
		if err != nil {
			return nil, fmt.Errorf("PKCS#7 SignedData field %d: %w", i, err)
		}
		if f.Class != asn1.ClassContextSpecific || f.Tag != 0 || !f.IsCompound {
			continue
		}
		var cert asn1.RawValue
		if _, err := asn1.Unmarshal(f.Bytes, &cert); err != nil {
			return nil, fmt.Errorf("PKCS#7 certificate: %w", err)
		}
		if cert.Class != asn1.ClassUniversal || cert.Tag != asn1.TagSequence {
			return nil, errors.New("PKCS#7 certificate is not a SEQUENCE")
		}
		return bytes.Clone(cert.FullBytes), nil
	}
	return nil, errors.New("PKCS#7 SignedData without certificates")
}
