package androidbackup

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"
)

// Magic is the first line of every .ab file.
const Magic = "ANDROID BACKUP\n"

// Header field values.
const (
	EncryptionNone   = "none"
	EncryptionAES256 = "AES-256"
	// MaxVersion is the newest format version known (Android 8 and later write 5).
	MaxVersion = 5
	// maxRounds bounds the PBKDF2 rounds a header may ask for: Android writes 10,000;
	// a hostile header asking for billions would make opening hang.
	maxRounds = 5_000_000
	// maxLine bounds one header line; the longest real line (a 64-byte salt in hex)
	// has 128 characters.
	maxLine = 1024
)

// Header is the plain-text header of an .ab file.
type Header struct {
	Version    int    // 1 to 5
	Compressed bool   // the payload is zlib-compressed
	Encryption string // EncryptionNone or EncryptionAES256

	// For AES-256 only: the PBKDF2 salts and rounds, the IV of the user key and the
	// encrypted master-key blob.
	UserSalt, ChecksumSalt []byte
	Rounds                 int
	UserIV                 []byte
	MasterKeyBlob          []byte
}

// readLine reads one header line (without its \n), bounded.
func readLine(r *bufio.Reader, what string) (string, error) {
	var b []byte
	for {
		c, err := r.ReadByte()
		if err == io.EOF {
			return "", fmt.Errorf("%w: the header ends before its %s line", ErrCorrupt, what)
		}
		if err != nil {
			return "", err
		}
		if c == '\n' {
			return string(b), nil
		}
		if len(b) >= maxLine {
			return "", fmt.Errorf("%w: the %s line of the header is longer than %d bytes", ErrCorrupt, what, maxLine)
		}
		b = append(b, c)
	}
}

// ReadHeader reads the header of an .ab file from r, leaving r at the first byte of
// the payload. It fails with ErrNotBackup when the magic line is absent, with
// ErrUnsupported for a version newer than MaxVersion or an unknown encryption, and
// with ErrCorrupt for a malformed header.
func ReadHeader(r *bufio.Reader) (*Header, error) {
	head, err := r.Peek(len(Magic))
	if err != nil || string(head) != Magic {
		return nil, ErrNotBackup
	}
	r.Discard(len(Magic))
	h := &Header{}
	s, err := readLine(r, "version")
	if err != nil {
		return nil, err
	}
	if h.Version, err = strconv.Atoi(s); err != nil || h.Version < 1 {
		return nil, fmt.Errorf("%w: the format version %q is not a positive number", ErrCorrupt, clip(s))
	}
	if h.Version > MaxVersion {
		return nil, fmt.Errorf("%w: format version %d is newer than the versions known (1 to %d)", ErrUnsupported, h.Version, MaxVersion)
	}
	if s, err = readLine(r, "compression"); err != nil {
		return nil, err
	}
	switch s {
	case "0":
	case "1":
		h.Compressed = true
	default:
		return nil, fmt.Errorf("%w: the compression flag %q is neither 0 nor 1", ErrCorrupt, clip(s))
	}
	if h.Encryption, err = readLine(r, "encryption"); err != nil {
		return nil, err
	}
	switch h.Encryption {
	case EncryptionNone:
		return h, nil
	case EncryptionAES256:
	default:
		return nil, fmt.Errorf("%w: encryption %q (only %q and %q exist)", ErrUnsupported, clip(h.Encryption), EncryptionNone, EncryptionAES256)
	}
	hexLine := func(what string, want ...int) ([]byte, error) {
		s, err := readLine(r, what)
		if err != nil {
			return nil, err
		}
		b, err := hex.DecodeString(s)
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("%w: the %s line is not hexadecimal", ErrCorrupt, what)
		}
		if len(want) > 0 && len(b) != want[0] {
			return nil, fmt.Errorf("%w: the %s has %d bytes, want %d", ErrCorrupt, what, len(b), want[0])
		}
		return b, nil
	}
	if h.UserSalt, err = hexLine("user password salt"); err != nil {
		return nil, err
	}
	if h.ChecksumSalt, err = hexLine("master key checksum salt"); err != nil {
		return nil, err
	}
	if s, err = readLine(r, "PBKDF2 rounds"); err != nil {
		return nil, err
	}
	if h.Rounds, err = strconv.Atoi(s); err != nil || h.Rounds < 1 || h.Rounds > maxRounds {
		return nil, fmt.Errorf("%w: the PBKDF2 round count %q is not between 1 and %d", ErrCorrupt, clip(s), maxRounds)
	}
	if h.UserIV, err = hexLine("user key IV", aes.BlockSize); err != nil {
		return nil, err
	}
	if h.MasterKeyBlob, err = hexLine("master key blob"); err != nil {
		return nil, err
	}
	if len(h.MasterKeyBlob)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: the master key blob (%d bytes) is not a whole number of AES blocks", ErrCorrupt, len(h.MasterKeyBlob))
	}
	return h, nil
}

// clip shortens hostile header text quoted in an error.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Key derivation regimes: Android 4.4 (format version 2) and later feed PBKDF2 the
// UTF-8 bytes of the password and of the master key's "characters"; earlier versions
// fed it the low 8 bits of each UTF-16 unit.
type regime int

const (
	regimeUTF8 regime = iota // PBKDF2WithHmacSHA1, format 2 and later
	regime8bit               // PBKDF2WithHmacSHA1And8bit, format 1
)

// passwordBytes is what PBKDF2 receives for the password under a regime.
func passwordBytes(pw string, rg regime) []byte {
	if rg == regimeUTF8 {
		return []byte(pw)
	}
	units := utf16.Encode([]rune(pw))
	out := make([]byte, len(units))
	for i, u := range units {
		out[i] = byte(u)
	}
	return out
}

// KeyChecksumInput returns the bytes PBKDF2 receives for the master key when its
// checksum is computed. Android turns each key byte into a Java char with sign
// extension ((char) b) and, from format version 2, encodes those chars as UTF-8: a
// byte of 0x80 or more becomes the three bytes EF, BE|BF, 80|(b&3F). Format 1 used
// the bytes as they are.
func KeyChecksumInput(key []byte, utf8Quirk bool) []byte {
	if !utf8Quirk {
		return bytes.Clone(key)
	}
	out := make([]byte, 0, len(key)*3)
	for _, b := range key {
		if b < 0x80 {
			out = append(out, b)
			continue
		}
		c := 0xFF00 | uint16(b) // sign extension of a negative Java byte
		out = append(out, 0xE0|byte(c>>12), 0x80|byte(c>>6)&0x3F, 0x80|byte(c)&0x3F)
	}
	return out
}

// unlock derives the user key from the password and opens the master key blob,
// returning the master key and the IV of the payload. It tries the regime of the
// header's version first, then the other one (as Android itself does for version 1),
// and fails with ErrWrongPassword when neither gives a master key whose checksum
// matches.
func unlock(h *Header, password string) (key, iv []byte, err error) {
	if password == "" {
		return nil, nil, ErrPasswordNeeded
	}
	order := []regime{regimeUTF8, regime8bit}
	if h.Version == 1 {
		order = []regime{regime8bit, regimeUTF8}
	}
	for _, rg := range order {
		key, iv, ok := tryRegime(h, password, rg)
		if ok {
			return key, iv, nil
		}
	}
	return nil, nil, ErrWrongPassword
}

func tryRegime(h *Header, password string, rg regime) (key, iv []byte, ok bool) {
	userKey, err := pbkdf2.Key(sha1.New, string(passwordBytes(password, rg)), h.UserSalt, h.Rounds, 32)
	if err != nil {
		return nil, nil, false
	}
	block, err := aes.NewCipher(userKey)
	if err != nil {
		return nil, nil, false
	}
	blob := make([]byte, len(h.MasterKeyBlob))
	cipher.NewCBCDecrypter(block, h.UserIV).CryptBlocks(blob, h.MasterKeyBlob)
	blob, err = unpad(blob)
	if err != nil {
		return nil, nil, false
	}
	// [len][IV][len][key][len][checksum]; Java reads each length as a signed byte.
	var parts [3][]byte
	off := 0
	for i := range parts {
		if off >= len(blob) || blob[off] > 127 {
			return nil, nil, false
		}
		n := int(blob[off])
		off++
		if off+n > len(blob) {
			return nil, nil, false
		}
		parts[i] = blob[off : off+n]
		off += n
	}
	iv, key, sum := parts[0], parts[1], parts[2]
	if len(iv) != aes.BlockSize || len(key) != 32 {
		return nil, nil, false
	}
	want, err := pbkdf2.Key(sha1.New, string(KeyChecksumInput(key, rg == regimeUTF8)), h.ChecksumSalt, h.Rounds, 32)
	if err != nil || !bytes.Equal(want, sum) {
		return nil, nil, false
	}
	return bytes.Clone(key), bytes.Clone(iv), true
}

// unpad removes PKCS#7 padding.
func unpad(b []byte) ([]byte, error) {
	if len(b) == 0 || len(b)%aes.BlockSize != 0 {
		return nil, errBadPadding
	}
	n := int(b[len(b)-1])
	if n == 0 || n > aes.BlockSize {
		return nil, errBadPadding
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, errBadPadding
		}
	}
	return b[:len(b)-n], nil
}

var errBadPadding = errors.New("bad PKCS#7 padding")

// cbcReader decrypts an AES-CBC stream with PKCS#7 padding as it is read, holding
// back the last block until the end of the ciphertext to strip the padding.
type cbcReader struct {
	src     io.Reader
	mode    cipher.BlockMode
	in      []byte // ciphertext read, not yet decrypted
	out     []byte // plaintext ready
	pending []byte // the last decrypted block, held back
	eof     bool
	err     error
}

func newCBCReader(src io.Reader, key, iv []byte) (*cbcReader, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return &cbcReader{src: src, mode: cipher.NewCBCDecrypter(block, iv), in: make([]byte, 0, 64<<10)}, nil
}

func (c *cbcReader) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		if c.eof {
			c.err = c.finish()
			continue
		}
		n, err := c.src.Read(c.in[len(c.in):cap(c.in)])
		c.in = c.in[:len(c.in)+n]
		if err == io.EOF {
			c.eof = true
		} else if err != nil {
			c.err = err
			continue
		}
		whole := len(c.in) / aes.BlockSize * aes.BlockSize
		if whole == 0 {
			continue
		}
		buf := make([]byte, 0, len(c.pending)+whole)
		buf = append(buf, c.pending...)
		plain := buf[len(buf) : len(buf)+whole]
		c.mode.CryptBlocks(plain, c.in[:whole])
		buf = buf[:len(buf)+whole]
		c.in = c.in[:copy(c.in, c.in[whole:])]
		c.out, c.pending = buf[:len(buf)-aes.BlockSize], buf[len(buf)-aes.BlockSize:]
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// finish checks the end of the ciphertext and releases the last block unpadded; it
// returns io.EOF when all is well.
func (c *cbcReader) finish() error {
	if len(c.in) != 0 {
		return fmt.Errorf("%w: the encrypted payload ends in the middle of an AES block (truncated)", ErrCorrupt)
	}
	if c.pending == nil {
		return fmt.Errorf("%w: the encrypted payload is empty", ErrCorrupt)
	}
	last, err := unpad(c.pending)
	if err != nil {
		return fmt.Errorf("%w: the encrypted payload's padding is wrong (truncated or damaged)", ErrCorrupt)
	}
	c.out, c.pending = last, nil
	return io.EOF // sticky; c.out is still served first
}
