package backupcrypto

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func testKey() []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = byte(i)
	}
	return k
}

// Cross-checked with Python's cryptography package (AES-256-CBC, zero IV, PKCS#7).
func TestEncryptCBCVector(t *testing.T) {
	want := unhex(t, "95d8888c52eb0a6fd080ee1ab5cfeacc773948fc606cd681d5f7e2f1c74d52df1aafca1c55a563db61f4eba96f6d7057")
	plain := bytes.Repeat([]byte("spytrace"), 5)
	got := EncryptCBC(plain, testKey())
	if !bytes.Equal(got, want) {
		t.Fatalf("EncryptCBC = %x, want %x", got, want)
	}
	back, err := DecryptAll(want, testKey(), int64(len(plain)))
	if err != nil || !bytes.Equal(back, plain) {
		t.Fatalf("DecryptAll = %q, %v", back, err)
	}
}

func TestCBCRoundTrip(t *testing.T) {
	key := testKey()
	for _, n := range []int{0, 1, 15, 16, 17, 4096, chunkSize - 16, chunkSize, chunkSize + 16, 1<<20 + 3} {
		plain := make([]byte, n)
		rand.Read(plain)
		ct := EncryptCBC(plain, key)
		if want := (n/16 + 1) * 16; len(ct) != want {
			t.Fatalf("size %d: ciphertext is %d bytes, want %d", n, len(ct), want)
		}
		// The padding is a whole block when n is a multiple of 16.
		pad := decryptRaw(t, ct, key)[len(ct)-1]
		if int(pad) != 16-n%16 {
			t.Fatalf("size %d: padding byte %d, want %d", n, pad, 16-n%16)
		}
		got, err := DecryptAll(ct, key, int64(n))
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("size %d: DecryptAll: %v (equal %v)", n, err, bytes.Equal(got, plain))
		}
		// Streaming through a reader that returns one byte at a time, and the
		// io.Reader conformance checks.
		r, err := NewDecryptReader(iotest.OneByteReader(bytes.NewReader(ct)), key, int64(n))
		if err != nil {
			t.Fatal(err)
		}
		if n <= 4096 {
			if err := iotest.TestReader(r, plain); err != nil {
				t.Fatalf("size %d: %v", n, err)
			}
		} else {
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("size %d: stream: %v (equal %v)", n, err, bytes.Equal(got, plain))
			}
		}
		// No recorded size: the whole plaintext.
		got, err = DecryptAll(ct, key, -1)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("size %d: DecryptAll without size: %v", n, err)
		}
	}
}

// decryptRaw decrypts without removing the padding.
func decryptRaw(t *testing.T, ct, key []byte) []byte {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, make([]byte, 16)).CryptBlocks(out, ct)
	return out
}

func TestDecryptEmpty(t *testing.T) {
	got, err := DecryptAll(nil, testKey(), 0)
	if err != nil || len(got) != 0 {
		t.Fatalf("empty ciphertext: %q, %v", got, err)
	}
	_, err = DecryptAll(nil, testKey(), 5)
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("empty ciphertext with size 5: err = %v, want ErrTruncated", err)
	}
}

func TestDecryptNotBlockAligned(t *testing.T) {
	ct := EncryptCBC(make([]byte, 100), testKey())
	for _, cut := range []int{1, 5, 15, 17} {
		_, err := DecryptAll(ct[:len(ct)-cut], testKey(), 100)
		if !errors.Is(err, ErrNotBlockAligned) {
			t.Errorf("cut %d: err = %v, want ErrNotBlockAligned", cut, err)
		}
	}
	big := EncryptCBC(make([]byte, 3*chunkSize), testKey())
	r, _ := NewDecryptReader(bytes.NewReader(big[:len(big)-3]), testKey(), 3*chunkSize)
	if _, err := io.Copy(io.Discard, r); !errors.Is(err, ErrNotBlockAligned) {
		t.Errorf("large cut: err = %v, want ErrNotBlockAligned", err)
	}
}

func TestDecryptBadPadding(t *testing.T) {
	key := testKey()
	plain := bytes.Repeat([]byte{7}, 40)
	ct := EncryptCBC(plain, key)
	wrong := bytes.Clone(key)
	wrong[31] ^= 1
	if _, err := DecryptAll(ct, wrong, 40); !errors.Is(err, ErrBadPadding) {
		t.Errorf("wrong key: err = %v, want ErrBadPadding", err)
	}
	// Forge padding bytes by flipping the previous ciphertext block (CBC malleability).
	for _, tc := range []struct {
		name string
		xor  map[int]byte // offset in the last plaintext block → XOR mask
	}{
		{"zero pad byte", map[int]byte{15: 8}},           // 8 → 0
		{"pad byte 17", map[int]byte{15: 8 ^ 17}},        // 8 → 17
		{"inconsistent padding", map[int]byte{10: 0x40}}, // one of the eight 8s changed
	} {
		bad := bytes.Clone(ct)
		prev := len(bad) - 32
		for off, m := range tc.xor {
			bad[prev+off] ^= m
		}
		if _, err := DecryptAll(bad, key, 40); !errors.Is(err, ErrBadPadding) {
			t.Errorf("%s: err = %v, want ErrBadPadding", tc.name, err)
		} else if err != nil && !bytes.Contains([]byte(err.Error()), []byte("padding")) {
			t.Errorf("%s: error %q does not name padding", tc.name, err)
		}
	}
	// A ciphertext cut at a block boundary ends in a block that is not padding.
	seq := make([]byte, 40)
	for i := range seq {
		seq[i] = byte(i) // the second block ends in 31: not a padding byte
	}
	if _, err := DecryptAll(EncryptCBC(seq, key)[:32], key, 40); !errors.Is(err, ErrBadPadding) {
		t.Errorf("cut at a block boundary: err = %v, want ErrBadPadding", err)
	}
}

func TestDecryptSizeMismatch(t *testing.T) {
	key := testKey()
	plain := make([]byte, 1000)
	rand.Read(plain)
	ct := EncryptCBC(plain, key)

	got, err := DecryptAll(ct, key, 1200)
	var se *SizeError
	if !errors.Is(err, ErrTruncated) || !errors.As(err, &se) || se.Size != 1200 || se.Plaintext != 1000 {
		t.Fatalf("size 1200: err = %v, want a SizeError wrapping ErrTruncated", err)
	}
	if !bytes.Equal(got, plain) {
		t.Error("size 1200: plaintext not all delivered")
	}

	got, err = DecryptAll(ct, key, 600)
	if !errors.Is(err, ErrExtended) || errors.Is(err, ErrTruncated) {
		t.Fatalf("size 600: err = %v, want ErrExtended", err)
	}
	if !bytes.Equal(got, plain[:600]) {
		t.Errorf("size 600: got %d bytes, want the first 600", len(got))
	}

	// Streaming: the error comes after the data.
	r, _ := NewDecryptReader(bytes.NewReader(ct), key, 0)
	n, err := io.Copy(io.Discard, r)
	if n != 0 || !errors.Is(err, ErrExtended) {
		t.Fatalf("size 0: %d bytes, err %v", n, err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestDecryptReadError(t *testing.T) {
	r, _ := NewDecryptReader(io.MultiReader(bytes.NewReader(make([]byte, 32)), errReader{}), testKey(), 16)
	if _, err := io.ReadAll(r); err == nil || !bytes.Contains([]byte(err.Error()), []byte("disk on fire")) {
		t.Fatalf("err = %v, want the read error", err)
	}
}

func TestDecryptBadKey(t *testing.T) {
	if _, err := NewDecryptReader(bytes.NewReader(nil), make([]byte, 31), 0); err == nil {
		t.Fatal("31-byte key: no error")
	}
}

// BenchmarkDecrypt measures streaming decryption of a 64 MiB file.
func BenchmarkDecrypt(b *testing.B) {
	const size = 64 << 20
	plain := make([]byte, size)
	rand.Read(plain)
	key := testKey()
	ct := EncryptCBC(plain, key)
	plain = nil
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		r, err := NewDecryptReader(bytes.NewReader(ct), key, size)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, r); err != nil || n != size {
			b.Fatal(n, err)
		}
	}
}
