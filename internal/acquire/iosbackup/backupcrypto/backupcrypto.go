// Package backupcrypto implements the cryptography of encrypted iTunes and Finder
// backups of iPhones and iPads (iOS 10.2 and later, and the older single-stage key
// derivation): parsing the backup keybag (Manifest.plist BackupKeyBag), deriving the
// key from the backup password, unwrapping the protection-class keys, the ManifestKey
// and the per-file keys (RFC 3394 AES key wrap), and decrypting file contents
// (AES-256-CBC, zero IV, PKCS#7 padding) as a stream.
//
// The encrypting side (EncryptCBC, NewBackupKeybag, Keybag.WrapFileKey) exists for
// fixtures and tests: it writes backups the way iTunes does so that the decrypting side
// can be tested without real evidence.
//
// It is written by hand on crypto/aes, crypto/cipher and crypto/pbkdf2 because neither
// the standard library nor golang.org/x/crypto has RFC 3394 key wrap, and the module
// proxy used by this project refuses the usual third-party module. The code follows the
// published format facts and RFC 3394, with the RFC's test vectors as tests.
//
// Nothing in this package logs or prints secrets: it has no logger, error messages
// name records, classes and sizes but never key material or passwords, and a Keybag
// formats itself (fmt's %v, %+v, %#v, %s) as a summary without its unwrapped keys.
//
// Keybags, wrapped keys and ciphertexts are hostile input: sizes and counts are
// bounded and every length is checked before use.
package backupcrypto

import "errors"

// Sizes of the keys and blobs of encrypted backups.
const (
	// KeySize is the size of class keys, file keys and the password-derived key
	// (AES-256).
	KeySize = 32
	// WrappedKeySize is the size of an RFC 3394-wrapped 32-byte key.
	WrappedKeySize = KeySize + 8
	// FileKeyBlobSize is the size of a ManifestKey or an MBFile EncryptionKey: a 4-byte
	// little-endian protection class followed by a wrapped key.
	FileKeyBlobSize = 4 + WrappedKeySize
)

// Bounds applied to keybags.
const (
	// MaxKeybagSize bounds the size of a keybag (real ones are about 1.5 KiB).
	MaxKeybagSize = 64 << 10
	// MaxClasses bounds the number of class keys of a keybag (real ones have 10 or 11).
	MaxClasses = 64
	// MaxIterations bounds ITER and DPIC (real values: 10,000 and 10,000,000).
	MaxIterations = 100_000_000
)

var (
	// ErrWrongPassword means the key derived from the password did not unwrap the
	// class keys of the keybag: the password is wrong (or the keybag is damaged).
	ErrWrongPassword = errors.New("wrong backup password")
	// ErrIntegrity means an RFC 3394 unwrap failed its integrity check: the key
	// encryption key is not the one that wrapped the data, or the data is damaged.
	ErrIntegrity = errors.New("aes key unwrap: integrity check failed")
	// ErrLocked means a class key was needed before Keybag.Unlock succeeded.
	ErrLocked = errors.New("keybag is locked")
)
