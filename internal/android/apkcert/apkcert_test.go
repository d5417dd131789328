package apkcert_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"

	"github.com/spytrace/spytrace/internal/android/apkcert"
	"github.com/spytrace/spytrace/internal/fixture"
)

// chunkReader hands out at most n bytes per Read, to exercise the stream's buffering.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

func opener(data []byte, chunk int) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		return io.NopCloser(&chunkReader{r: bytes.NewReader(data), n: chunk}), nil
	}
}

func TestSchemes(t *testing.T) {
	cert := fixture.AQFCertificate(42, "Test Signer")
	md5hex, sha1hex, sha256hex := fixture.AQFCertHashes(cert)
	tests := []struct {
		scheme, source, entry string
	}{
		{fixture.AQFSchemeV2, apkcert.SourceSigningBlock, ""},
		{fixture.AQFSchemeV3, apkcert.SourceSigningBlock, ""},
		{fixture.AQFSchemeV1, apkcert.SourceJAR, "META-INF/CERT.RSA"},
	}
	for _, tt := range tests {
		apk := fixture.AQFAPK("com.example.app", cert, tt.scheme)
		check := func(how string, c *apkcert.Cert, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s %s: %v", tt.scheme, how, err)
			}
			if c.Source != tt.source || c.Scheme != tt.scheme || c.Entry != tt.entry {
				t.Errorf("%s %s: source %q scheme %q entry %q", tt.scheme, how, c.Source, c.Scheme, c.Entry)
			}
			if c.MD5 != md5hex || c.SHA1 != sha1hex || c.SHA256 != sha256hex || !bytes.Equal(c.DER, cert) {
				t.Errorf("%s %s: hashes %s %s %s", tt.scheme, how, c.MD5, c.SHA1, c.SHA256)
			}
			if c.X509 == nil || c.X509.Subject.CommonName != "Test Signer" {
				t.Errorf("%s %s: x509 %v", tt.scheme, how, c.X509)
			}
			if got := apkcert.Name(c.X509.Subject); got != "C=US, O=Example Apps, CN=Test Signer" {
				t.Errorf("Name = %q", got)
			}
		}
		c, err := apkcert.FromReaderAt(bytes.NewReader(apk), int64(len(apk)))
		check("ReaderAt", c, err)
		c, st, err := apkcert.FromStream(opener(apk, 7))
		check("stream", c, err)
		sum := sha256.Sum256(apk)
		if st.Size != int64(len(apk)) || st.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s stream: %+v", tt.scheme, st)
		}
	}
}

// A JAR signature outside the kept tail is read in a second pass.
func TestStreamSecondPass(t *testing.T) {
	cert := fixture.AQFCertificate(43, "Far Signer")
	apk := fixture.AQFAPK("com.example.far", cert, fixture.AQFSchemeV1)
	// a tail holding the central directory but not the start of META-INF/CERT.RSA's entry
	restore := apkcert.SetTailWindow(len(apk) - bytes.Index(apk, []byte("META-INF/CERT.RSA")) + 40)
	defer restore()
	c, _, err := apkcert.FromStream(opener(apk, 64))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, s := fixture.AQFCertHashes(cert); c.SHA256 != s || c.Source != apkcert.SourceJAR {
		t.Errorf("cert = %+v", c)
	}
}

func TestUnsigned(t *testing.T) {
	apk := fixture.AQFAPK("com.example.unsigned", nil, "")
	if _, err := apkcert.FromReaderAt(bytes.NewReader(apk), int64(len(apk))); !errors.Is(err, apkcert.ErrNoCertificate) {
		t.Errorf("err = %v", err)
	}
	for _, bad := range [][]byte{nil, []byte("PK\x03\x04 not a zip"), bytes.Repeat([]byte{0}, 100)} {
		if _, err := apkcert.FromReaderAt(bytes.NewReader(bad), int64(len(bad))); err == nil {
			t.Errorf("%q: no error", bad)
		}
		if _, _, err := apkcert.FromStream(opener(bad, 3)); err == nil {
			t.Errorf("%q stream: no error", bad)
		}
	}
}

// A corrupt v3 block falls back to the v2 block's certificate.
func TestCorruptBlock(t *testing.T) {
	cert := fixture.AQFCertificate(44, "Signer")
	block := fixture.AQFSigningBlock(fixture.AQFSchemeV3, cert)
	pairs, err := apkcert.Pairs(block[8 : len(block)-24])
	if err != nil || len(pairs) != 1 {
		t.Fatalf("pairs = %v, %v", pairs, err)
	}
	der, err := apkcert.SchemeCert(pairs[apkcert.IDv3])
	if err != nil || !bytes.Equal(der, cert) {
		t.Fatalf("SchemeCert: %v", err)
	}
	if _, err := apkcert.SchemeCert(pairs[apkcert.IDv3][:20]); err == nil {
		t.Error("truncated value: no error")
	}
	if _, err := apkcert.PKCS7Cert([]byte{0x30, 0x03, 0x02, 0x01, 0x01}); err == nil {
		t.Error("bad PKCS#7: no error")
	}
	if !apkcert.IsSignatureFile("META-INF/ANDROIDD.EC") || apkcert.IsSignatureFile("META-INF/x/CERT.RSA") || apkcert.IsSignatureFile("CERT.RSA") {
		t.Error("IsSignatureFile")
	}
}

func FuzzFromReaderAt(f *testing.F) {
	cert := fixture.AQFCertificate(45, "Fuzz")
	for _, s := range []string{fixture.AQFSchemeV1, fixture.AQFSchemeV2, fixture.AQFSchemeV3} {
		f.Add(fixture.AQFAPK("com.example.fuzz", cert, s))
	}
	f.Add(fixture.AQFPKCS7(cert))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := apkcert.FromReaderAt(bytes.NewReader(data), int64(len(data)))
		if err == nil && (c == nil || len(c.SHA256) != 64) {
			t.Fatalf("cert = %+v", c)
		}
		c2, _, err2 := apkcert.FromStream(opener(data, 1<<20))
		if (err == nil) != (err2 == nil) || err == nil && c.SHA256 != c2.SHA256 {
			t.Fatalf("ReaderAt %v / stream %v", err, err2)
		}
		apkcert.PKCS7Cert(data)
		apkcert.Pairs(data)
		apkcert.SchemeCert(data)
	})
}
