package backupcrypto

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
)

// Errors of decryption. Each is wrapped in an error that says more (sizes, offsets),
// so test them with errors.Is.
var (
	// ErrNotBlockAligned means the ciphertext length is not a multiple of 16: the
	// stored file is truncated or is not encrypted.
	ErrNotBlockAligned = errors.New("ciphertext length is not a multiple of the 16-byte AES block")
	// ErrBadPadding means the last block does not end in valid PKCS#7 padding: wrong
	// key, or damaged or truncated ciphertext.
	ErrBadPadding = errors.New("bad PKCS#7 padding")
	// ErrTruncated means the decrypted content is shorter than the recorded size.
	ErrTruncated = errors.New("decrypted content is shorter than the recorded size (truncated)")
	// ErrExtended means the decrypted content is longer than the recorded size; the
	// reader has delivered exactly the recorded size before returning it.
	ErrExtended = errors.New("decrypted content is longer than the recorded size")
)

// SizeError reports a decrypted length that differs from the recorded one. It wraps
// ErrTruncated or ErrExtended.
type SizeError struct {
	Size      int64 // the recorded size (MBFile Size)
	Plaintext int64 // the decrypted length, padding removed
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("%v: recorded size %d bytes, decrypted %d bytes", e.Unwrap(), e.Size, e.Plaintext)
}

// Unwrap returns ErrTruncated or ErrExtended.
func (e *SizeError) Unwrap() error {
	if e.Plaintext < e.Size {
		return ErrTruncated
	}
	return ErrExtended
}

// chunkSize is how much ciphertext a decrypting reader reads and decrypts at a time.
const chunkSize = 256 << 10

// decryptReader streams AES-CBC decryption, holding back the last block until the end
// of the ciphertext is known, so that the padding can be checked and stripped.
type decryptReader struct {
	r      io.Reader
	mode   cipher.BlockMode
	size   int64 // recorded size, or -1
	buf    []byte
	out    []byte   // decrypted bytes ready to deliver
	tail   [16]byte // last decrypted block, held back
	inTail bool
	read   int64 // ciphertext bytes read
	plain  int64 // plaintext bytes produced (padding excluded)
	given  int64 // plaintext bytes delivered
	err    error // sticky: returned once out is drained
}

// NewDecryptReader returns a reader of the plaintext of r, a file of an encrypted
// backup: AES-CBC with key (32 bytes for backups), an all-zero IV and PKCS#7 padding.
// It decrypts chunk by chunk, never holding the whole file in memory, checks and
// strips the padding and delivers at most size bytes (the MBFile Size; a negative size
// means no recorded size, as for Manifest.db).
//
// When the stream ends, the reader returns io.EOF, or an error wrapping:
// ErrNotBlockAligned (the ciphertext length is not a multiple of 16), ErrBadPadding,
// ErrTruncated (fewer than size bytes of plaintext; all were delivered) or
// ErrExtended (more than size bytes; exactly size were delivered), the last two as a
// *SizeError. An empty ciphertext is read as an empty plaintext (no padding block).
func NewDecryptReader(r io.Reader, key []byte, size int64) (io.Reader, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	if size < 0 {
		size = -1
	}
	// A small file is read in one go with a buffer its size (its padded length plus a
	// block, so that the end is seen at once): backups hold hundreds of thousands of
	// them.
	bufLen := chunkSize
	if size >= 0 && size < chunkSize {
		bufLen = int(size/aes.BlockSize+2) * aes.BlockSize
	}
	return &decryptReader{
		r:    r,
		mode: cipher.NewCBCDecrypter(block, make([]byte, aes.BlockSize)),
		size: size,
		buf:  make([]byte, 16+bufLen),
	}, nil
}

func (d *decryptReader) Read(p []byte) (int, error) {
	for len(d.out) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		d.fill()
	}
	n := copy(p, d.out)
	d.out = d.out[n:]
	d.given += int64(n)
	return n, nil
}

// fill reads and decrypts the next chunk into out, or sets err at the end.
func (d *decryptReader) fill() {
	ct := d.buf[16:]
	n, rerr := io.ReadFull(d.r, ct)
	d.read += int64(n)
	final := false
	switch rerr {
	case nil:
	case io.EOF, io.ErrUnexpectedEOF:
		final = true
	default:
		d.err = fmt.Errorf("decrypt: read ciphertext: %w", rerr)
		return
	}
	if n%aes.BlockSize != 0 {
		d.err = fmt.Errorf("decrypt: %w: %d bytes", ErrNotBlockAligned, d.read)
		return
	}
	d.mode.CryptBlocks(ct[:n], ct[:n])
	// Prepend the block held back from the previous chunk.
	start := 16
	if d.inTail {
		copy(d.buf[:16], d.tail[:])
		start, d.inTail = 0, false
	}
	plain := d.buf[start : 16+n]
	if !final {
		// Hold back the last block: it may be the padding block.
		copy(d.tail[:], plain[len(plain)-16:])
		d.inTail = true
		plain = plain[:len(plain)-16]
	} else if d.read > 0 {
		pad := int(plain[len(plain)-1])
		if pad < 1 || pad > aes.BlockSize || !bytes.Equal(plain[len(plain)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
			d.err = fmt.Errorf("decrypt: %w in the last block (wrong key or damaged ciphertext)", ErrBadPadding)
			return
		}
		plain = plain[:len(plain)-pad]
	}
	d.plain += int64(len(plain))
	if d.size >= 0 && d.given+int64(len(plain)) > d.size {
		plain = plain[:max(0, d.size-d.given)]
	}
	d.out = plain
	if final {
		switch {
		case d.size >= 0 && d.plain != d.size:
			d.err = &SizeError{Size: d.size, Plaintext: d.plain}
		default:
			d.err = io.EOF
		}
	}
}

// DecryptAll decrypts a small file held in memory, as NewDecryptReader does. On
// ErrExtended it returns the first size bytes with the error; on ErrTruncated, all the
// plaintext with the error.
func DecryptAll(data, key []byte, size int64) ([]byte, error) {
	r, err := NewDecryptReader(bytes.NewReader(data), key, size)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, max(0, min(int64(len(data)), size)))
	if size < 0 {
		out = make([]byte, 0, len(data))
	}
	w := bytes.NewBuffer(out)
	_, err = io.Copy(w, r)
	var se *SizeError
	if err != nil && !errors.As(err, &se) {
		return nil, err
	}
	return w.Bytes(), err
}

// EncryptCBC encrypts plain as an encrypted backup stores a file: AES-CBC with key,
// an all-zero IV and PKCS#7 padding (always at least one byte, so a whole block when
// len(plain) is a multiple of 16). It panics if key is not a valid AES key (16, 24 or
// 32 bytes): it is meant for fixtures and tests.
func EncryptCBC(plain, key []byte) []byte {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("backupcrypto.EncryptCBC: " + err.Error())
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	out := make([]byte, len(plain)+pad)
	copy(out, plain)
	for i := len(plain); i < len(out); i++ {
		out[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(block, make([]byte, aes.BlockSize)).CryptBlocks(out, out)
	return out
}
