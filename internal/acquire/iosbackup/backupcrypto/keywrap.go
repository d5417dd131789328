package backupcrypto

import (
	"crypto/aes"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
)

// defaultIV is the initial value of RFC 3394 §2.2.3.1.
var defaultIV = [8]byte{0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6}

// maxWrapInput bounds the data Wrap and Unwrap accept; keys are at most 64 bytes, and
// the bound keeps the 64-bit step counter far from overflowing.
const maxWrapInput = 1 << 20

// Wrap wraps plaintext (a key of at least 16 bytes, a multiple of 8) with kek (an AES
// key of 16, 24 or 32 bytes) as RFC 3394 §2.2.1 specifies, with the default initial
// value. The result is 8 bytes longer than plaintext.
func Wrap(kek, plaintext []byte) ([]byte, error) {
	if len(plaintext) < 16 || len(plaintext)%8 != 0 || len(plaintext) > maxWrapInput {
		return nil, fmt.Errorf("aes key wrap: %d bytes of key data; want a multiple of 8, at least 16", len(plaintext))
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, fmt.Errorf("aes key wrap: key encryption key: %w", err)
	}
	n := len(plaintext) / 8
	out := make([]byte, 8+len(plaintext))
	copy(out[:8], defaultIV[:])
	copy(out[8:], plaintext)
	var b [16]byte
	for j := range 6 {
		for i := 1; i <= n; i++ {
			r := out[8*i : 8*i+8]
			copy(b[:8], out[:8])
			copy(b[8:], r)
			block.Encrypt(b[:], b[:])
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(out[:8], binary.BigEndian.Uint64(b[:8])^t)
			copy(r, b[8:])
		}
	}
	clear(b[:])
	return out, nil
}

// Unwrap reverses Wrap (RFC 3394 §2.2.2): it returns the key data wrapped in wrapped
// with kek, or an error wrapping ErrIntegrity when the integrity check fails (kek is
// not the key that wrapped it, or wrapped is damaged).
func Unwrap(kek, wrapped []byte) ([]byte, error) {
	if len(wrapped) < 24 || len(wrapped)%8 != 0 || len(wrapped) > maxWrapInput+8 {
		return nil, fmt.Errorf("aes key unwrap: %d bytes of wrapped data; want a multiple of 8, at least 24", len(wrapped))
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, fmt.Errorf("aes key unwrap: key encryption key: %w", err)
	}
	n := len(wrapped)/8 - 1
	var a [8]byte
	copy(a[:], wrapped[:8])
	out := make([]byte, len(wrapped)-8)
	copy(out, wrapped[8:])
	var b [16]byte
	for j := 5; j >= 0; j-- {
		for i := n; i >= 1; i-- {
			r := out[8*(i-1) : 8*i]
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(b[:8], binary.BigEndian.Uint64(a[:])^t)
			copy(b[8:], r)
			block.Decrypt(b[:], b[:])
			copy(a[:], b[:8])
			copy(r, b[8:])
		}
	}
	clear(b[:])
	if subtle.ConstantTimeCompare(a[:], defaultIV[:]) != 1 {
		clear(out)
		return nil, ErrIntegrity
	}
	return out, nil
}
