package backupcrypto

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Keybag is a parsed backup keybag (the BackupKeyBag of Manifest.plist): a header,
// then one group of records per protection class.
//
// The exported fields are what the keybag holds, none of it secret on its own (class
// keys are stored wrapped). After Unlock the keybag also holds the unwrapped class
// keys, which are unexported and never printed: a Keybag formats itself as a summary.
type Keybag struct {
	Version uint32 // VERS
	Type    uint32 // TYPE: 0 system, 1 backup, 2 escrow, 3 OTA
	UUID    []byte // UUID: the keybag's (the first UUID record)
	HMCK    []byte // HMCK: wrapped HMAC key
	Wrap    uint32 // WRAP of the keybag
	Salt    []byte // SALT of the PBKDF2-HMAC-SHA1 stage
	Iter    uint32 // ITER of the PBKDF2-HMAC-SHA1 stage
	DPWT    uint32 // DPWT
	DPIC    uint32 // DPIC: iterations of the PBKDF2-HMAC-SHA256 stage (iOS 10.2+)
	DPSL    []byte // DPSL: salt of the PBKDF2-HMAC-SHA256 stage (iOS 10.2+)
	// Classes are the class key groups, in the keybag's order (real backups list
	// classes 11 down to 1).
	Classes []Class
	// Other are header records with tags this package does not know, in order.
	Other []Record

	has       uint32            // header tags present (bit i = headerTags[i])
	classKeys map[uint32][]byte // unwrapped class keys, after Unlock
	unlocked  bool
}

// Class is the group of records of one protection class.
type Class struct {
	UUID       []byte // UUID that opens the group
	Class      uint32 // CLAS: the protection class
	Wrap       uint32 // WRAP: bit 1 device key, bit 2 (value 2) password-derived key
	KeyType    uint32 // KTYP: 0 AES, 1 Curve25519
	WrappedKey []byte // WPKY: the class key, RFC 3394-wrapped (40 bytes)
	PublicKey  []byte // PBKY: public key of asymmetric classes (optional)
	// Other are records of the group with tags this package does not know, in order.
	Other []Record

	has uint32 // class tags present (bit i = classTags[i])
}

// Record is one TLV record of a keybag.
type Record struct {
	Tag   string // four ASCII characters
	Value []byte
}

// WRAP bits of class keys.
const (
	WrapDevice   = 1 // wrapped with the device's hardware key (never held by a backup)
	WrapPasscode = 2 // wrapped with the key derived from the backup password
)

// Default key derivation parameters of current iOS backups.
const (
	DefaultDPIC = 10_000_000
	DefaultITER = 10_000
)

var headerTags = [...]string{"VERS", "TYPE", "UUID", "HMCK", "WRAP", "SALT", "ITER", "DPWT", "DPIC", "DPSL"}

var classTags = [...]string{"UUID", "CLAS", "WRAP", "KTYP", "WPKY", "PBKY"}

func tagIndex(tags []string, tag string) int {
	for i, t := range tags {
		if t == tag {
			return i
		}
	}
	return -1
}

// Has reports whether the keybag's header holds a record with tag (one of VERS, TYPE,
// UUID, HMCK, WRAP, SALT, ITER, DPWT, DPIC, DPSL).
func (kb *Keybag) Has(tag string) bool {
	i := tagIndex(headerTags[:], tag)
	return i >= 0 && kb.has&(1<<i) != 0
}

// Has reports whether the class group holds a record with tag (one of UUID, CLAS,
// WRAP, KTYP, WPKY, PBKY).
func (c *Class) Has(tag string) bool {
	i := tagIndex(classTags[:], tag)
	return i >= 0 && c.has&(1<<i) != 0
}

// ParseKeybag parses a keybag: TLV records (a 4-byte ASCII tag, a 4-byte big-endian
// length, the value). Records before the second UUID record form the header; each
// later UUID record opens the group of one class key. Unknown tags are kept in Other.
// Errors name the record and what is wrong with it.
func ParseKeybag(data []byte) (*Keybag, error) {
	if len(data) == 0 {
		return nil, errors.New("keybag is empty")
	}
	if len(data) > MaxKeybagSize {
		return nil, fmt.Errorf("keybag is %d bytes, more than the %d accepted", len(data), MaxKeybagSize)
	}
	kb := &Keybag{}
	var header, group []Record
	inHeader, sawUUID := true, false
	for off := 0; off < len(data); {
		if len(data)-off < 8 {
			return nil, fmt.Errorf("keybag: truncated record header at offset %d (%d bytes left, want 8)", off, len(data)-off)
		}
		tagBytes := data[off : off+4]
		if !validTag(tagBytes) {
			return nil, fmt.Errorf("keybag: record at offset %d has tag %q, not four ASCII letters or digits", off, tagBytes)
		}
		tag := string(tagBytes)
		n := binary.BigEndian.Uint32(data[off+4 : off+8])
		if uint64(n) > uint64(len(data)-off-8) {
			return nil, fmt.Errorf("keybag: record %s at offset %d claims %d bytes, only %d left", tag, off, n, len(data)-off-8)
		}
		rec := Record{Tag: tag, Value: clone(data[off+8 : off+8+int(n)])}
		off += 8 + int(n)
		if tag == "UUID" {
			if !sawUUID {
				sawUUID = true
			} else {
				if inHeader {
					inHeader = false
				} else if err := kb.addClass(group); err != nil {
					return nil, err
				}
				group = []Record{rec}
				continue
			}
		}
		if inHeader {
			header = append(header, rec)
		} else {
			group = append(group, rec)
		}
	}
	if err := kb.setHeader(header); err != nil {
		return nil, err
	}
	if !inHeader {
		if err := kb.addClass(group); err != nil {
			return nil, err
		}
	}
	return kb, nil
}

func validTag(b []byte) bool {
	for _, c := range b {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == ' ' || c == '_') {
			return false
		}
	}
	return true
}

func clone(b []byte) []byte { return append([]byte{}, b...) }

// checkLen checks the size of the value of a known record; where names the record for
// errors ("record SALT", "record WPKY of class 3").
func checkLen(where string, v []byte, lo, hi int) error {
	switch {
	case lo == hi && len(v) != lo:
		return fmt.Errorf("keybag: %s is %d bytes, want %d", where, len(v), lo)
	case len(v) < lo:
		return fmt.Errorf("keybag: %s is %d bytes, want at least %d", where, len(v), lo)
	case len(v) > hi:
		return fmt.Errorf("keybag: %s is %d bytes, want at most %d", where, len(v), hi)
	}
	return nil
}

func (kb *Keybag) setHeader(recs []Record) error {
	for _, r := range recs {
		i := tagIndex(headerTags[:], r.Tag)
		if i < 0 {
			kb.Other = append(kb.Other, r)
			continue
		}
		where := "header record " + r.Tag
		if kb.has&(1<<i) != 0 {
			return fmt.Errorf("keybag: %s appears twice", where)
		}
		kb.has |= 1 << i
		var err error
		switch r.Tag {
		case "VERS":
			kb.Version, err = u32(where, r.Value)
		case "TYPE":
			kb.Type, err = u32(where, r.Value)
		case "WRAP":
			kb.Wrap, err = u32(where, r.Value)
		case "ITER":
			kb.Iter, err = u32(where, r.Value)
		case "DPWT":
			kb.DPWT, err = u32(where, r.Value)
		case "DPIC":
			kb.DPIC, err = u32(where, r.Value)
		case "UUID":
			kb.UUID, err = r.Value, checkLen(where, r.Value, 16, 16)
		case "HMCK":
			kb.HMCK, err = r.Value, checkLen(where, r.Value, 0, 256)
		case "SALT":
			kb.Salt, err = r.Value, checkLen(where, r.Value, 1, 256)
		case "DPSL":
			kb.DPSL, err = r.Value, checkLen(where, r.Value, 1, 256)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func u32(where string, v []byte) (uint32, error) {
	if err := checkLen(where, v, 4, 4); err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(v), nil
}

// addClass validates the records of one class group (the first is its UUID).
func (kb *Keybag) addClass(recs []Record) error {
	idx := len(kb.Classes) + 1
	if idx > MaxClasses {
		return fmt.Errorf("keybag: more than %d class keys", MaxClasses)
	}
	c := Class{}
	// CLAS first, so that errors can name the class.
	name := fmt.Sprintf("class group %d", idx)
	for _, r := range recs {
		if r.Tag == "CLAS" {
			v, err := u32("record CLAS of "+name, r.Value)
			if err != nil {
				return err
			}
			name = fmt.Sprintf("class %d", v)
			break
		}
	}
	for _, r := range recs {
		i := tagIndex(classTags[:], r.Tag)
		if i < 0 {
			c.Other = append(c.Other, r)
			continue
		}
		where := "record " + r.Tag + " of " + name
		if c.has&(1<<i) != 0 {
			return fmt.Errorf("keybag: %s appears twice", where)
		}
		c.has |= 1 << i
		var err error
		switch r.Tag {
		case "UUID":
			c.UUID, err = r.Value, checkLen(where, r.Value, 16, 16)
		case "CLAS":
			c.Class, err = u32(where, r.Value)
		case "WRAP":
			c.Wrap, err = u32(where, r.Value)
		case "KTYP":
			c.KeyType, err = u32(where, r.Value)
		case "WPKY":
			c.WrappedKey, err = r.Value, checkLen(where, r.Value, WrappedKeySize, WrappedKeySize)
		case "PBKY":
			c.PublicKey, err = r.Value, checkLen(where, r.Value, 0, 256)
		}
		if err != nil {
			return err
		}
	}
	for _, t := range []string{"CLAS", "WRAP", "WPKY"} {
		if !c.Has(t) {
			return fmt.Errorf("keybag: %s has no %s record", name, t)
		}
	}
	for _, o := range kb.Classes {
		if o.Class == c.Class {
			return fmt.Errorf("keybag: two key groups for protection class %d", c.Class)
		}
	}
	kb.Classes = append(kb.Classes, c)
	return nil
}

// Marshal writes the keybag as TLV records: the known header records present, in
// Apple's order, then the unknown ones, then each class group. ParseKeybag(kb.Marshal())
// gives back an equal keybag (without the unwrapped class keys).
func (kb *Keybag) Marshal() []byte {
	var out []byte
	put := func(tag string, v []byte) {
		out = append(out, tag...)
		out = binary.BigEndian.AppendUint32(out, uint32(len(v)))
		out = append(out, v...)
	}
	putU32 := func(tag string, v uint32) { put(tag, binary.BigEndian.AppendUint32(nil, v)) }
	for i, t := range headerTags {
		if kb.has&(1<<i) == 0 {
			continue
		}
		switch t {
		case "VERS":
			putU32(t, kb.Version)
		case "TYPE":
			putU32(t, kb.Type)
		case "UUID":
			put(t, kb.UUID)
		case "HMCK":
			put(t, kb.HMCK)
		case "WRAP":
			putU32(t, kb.Wrap)
		case "SALT":
			put(t, kb.Salt)
		case "ITER":
			putU32(t, kb.Iter)
		case "DPWT":
			putU32(t, kb.DPWT)
		case "DPIC":
			putU32(t, kb.DPIC)
		case "DPSL":
			put(t, kb.DPSL)
		}
	}
	for _, r := range kb.Other {
		put(r.Tag, r.Value)
	}
	for _, c := range kb.Classes {
		put("UUID", c.UUID)
		for i, t := range classTags {
			if c.has&(1<<i) == 0 {
				continue
			}
			switch t {
			case "CLAS":
				putU32(t, c.Class)
			case "WRAP":
				putU32(t, c.Wrap)
			case "KTYP":
				putU32(t, c.KeyType)
			case "WPKY":
				put(t, c.WrappedKey)
			case "PBKY":
				put(t, c.PublicKey)
			}
		}
		for _, r := range c.Other {
			put(r.Tag, r.Value)
		}
	}
	return out
}

// TwoStage reports whether the keybag asks for the two-stage key derivation of iOS
// 10.2 and later (it has DPSL and DPIC).
func (kb *Keybag) TwoStage() bool { return kb.Has("DPSL") || kb.Has("DPIC") }

// DeriveKey derives the key that unwraps the class keys from the backup password:
// PBKDF2-HMAC-SHA256(password, DPSL, DPIC, 32) and then PBKDF2-HMAC-SHA1(that, SALT,
// ITER, 32) when the keybag has DPSL and DPIC, else only the SHA-1 stage on the
// password. With the real DPIC (10,000,000) this takes seconds: derive once and keep
// the key.
func (kb *Keybag) DeriveKey(password []byte) ([]byte, error) {
	if !kb.Has("SALT") || !kb.Has("ITER") {
		return nil, errors.New("keybag: no SALT or ITER record: cannot derive a key from the password")
	}
	if err := checkIter("ITER", kb.Iter); err != nil {
		return nil, err
	}
	pw := password
	if kb.TwoStage() {
		if !kb.Has("DPSL") || !kb.Has("DPIC") {
			return nil, errors.New("keybag: has one of DPSL and DPIC but not the other")
		}
		if err := checkIter("DPIC", kb.DPIC); err != nil {
			return nil, err
		}
		k1, err := pbkdf2.Key(sha256.New, string(password), kb.DPSL, int(kb.DPIC), KeySize)
		if err != nil {
			return nil, fmt.Errorf("keybag: PBKDF2-HMAC-SHA256 stage: %w", err)
		}
		defer clear(k1)
		pw = k1
	}
	key, err := pbkdf2.Key(sha1.New, string(pw), kb.Salt, int(kb.Iter), KeySize)
	if err != nil {
		return nil, fmt.Errorf("keybag: PBKDF2-HMAC-SHA1 stage: %w", err)
	}
	return key, nil
}

func checkIter(tag string, n uint32) error {
	if n == 0 || n > MaxIterations {
		return fmt.Errorf("keybag: %s is %d, want 1 to %d", tag, n, MaxIterations)
	}
	return nil
}

// Unlock unwraps, with key (from DeriveKey), every class key whose WRAP has the
// password bit (WrapPasscode) set. A class key that fails the RFC 3394 integrity check
// makes Unlock return an error wrapping ErrWrongPassword (if it is the first one tried)
// or ErrIntegrity (if others unwrapped: the keybag is damaged); the keybag then stays
// locked. Class keys that are also wrapped with the device key (WRAP 3, for example
// classes 5 and 9 to 11) are checked but not kept: a backup cannot finish unwrapping
// them.
func (kb *Keybag) Unlock(key []byte) error {
	if len(key) != KeySize {
		return fmt.Errorf("keybag: derived key is %d bytes, want %d", len(key), KeySize)
	}
	keys := map[uint32][]byte{}
	tried := 0
	for _, c := range kb.Classes {
		if c.Wrap&WrapPasscode == 0 {
			continue
		}
		k, err := Unwrap(key, c.WrappedKey)
		if err != nil {
			for _, k := range keys {
				clear(k)
			}
			if errors.Is(err, ErrIntegrity) && tried == 0 {
				return fmt.Errorf("%w (the key of protection class %d did not unwrap)", ErrWrongPassword, c.Class)
			}
			return fmt.Errorf("keybag: key of protection class %d did not unwrap although %d others did (damaged keybag): %w", c.Class, tried, err)
		}
		tried++
		if c.Wrap&WrapDevice != 0 {
			clear(k)
			continue
		}
		keys[c.Class] = k
	}
	if tried == 0 {
		return errors.New("keybag: no class key is wrapped with the backup password")
	}
	for _, k := range kb.classKeys {
		clear(k)
	}
	kb.classKeys, kb.unlocked = keys, true
	return nil
}

// UnlockWithPassword derives the key from password and unlocks the keybag with it; it
// returns the derived key so that the caller can keep it (with the real iteration
// counts, deriving takes seconds).
func (kb *Keybag) UnlockWithPassword(password []byte) ([]byte, error) {
	key, err := kb.DeriveKey(password)
	if err != nil {
		return nil, err
	}
	if err := kb.Unlock(key); err != nil {
		clear(key)
		return nil, err
	}
	return key, nil
}

// Unlocked reports whether Unlock succeeded.
func (kb *Keybag) Unlocked() bool { return kb.unlocked }

// ClassKey returns a copy of the unwrapped key of a protection class, if Unlock
// unwrapped it.
func (kb *Keybag) ClassKey(class int) ([]byte, bool) {
	if class < 0 || int64(class) > 0xFFFFFFFF {
		return nil, false
	}
	k, ok := kb.classKeys[uint32(class)]
	if !ok {
		return nil, false
	}
	return clone(k), true
}

// classKey returns the key of class or an error naming why there is none.
func (kb *Keybag) classKey(class uint32) ([]byte, error) {
	if !kb.unlocked {
		return nil, fmt.Errorf("no key for protection class %d: %w", class, ErrLocked)
	}
	if k, ok := kb.classKeys[class]; ok {
		return k, nil
	}
	for _, c := range kb.Classes {
		if c.Class == class {
			if c.Wrap&WrapPasscode == 0 || c.Wrap&WrapDevice != 0 {
				return nil, fmt.Errorf("no key for protection class %d: its key is wrapped with the device key (WRAP %d), which a backup does not hold", class, c.Wrap)
			}
		}
	}
	return nil, fmt.Errorf("no key for protection class %d: the keybag has no such class", class)
}

// UnwrapFileKey unwraps a ManifestKey or an MBFile EncryptionKey: a 4-byte
// little-endian protection class followed by a 40-byte wrapped key. It returns the
// 32-byte file key.
func (kb *Keybag) UnwrapFileKey(wrapped []byte) ([]byte, error) {
	if len(wrapped) != FileKeyBlobSize {
		return nil, fmt.Errorf("wrapped file key is %d bytes, want %d (4-byte class + %d-byte wrapped key)", len(wrapped), FileKeyBlobSize, WrappedKeySize)
	}
	class := binary.LittleEndian.Uint32(wrapped[:4])
	ck, err := kb.classKey(class)
	if err != nil {
		return nil, err
	}
	k, err := Unwrap(ck, wrapped[4:])
	if err != nil {
		return nil, fmt.Errorf("file key of protection class %d: %w", class, err)
	}
	return k, nil
}

// FileKeyClass returns the protection class of a wrapped file key (its first 4 bytes,
// little-endian).
func FileKeyClass(wrapped []byte) (int, error) {
	if len(wrapped) != FileKeyBlobSize {
		return 0, fmt.Errorf("wrapped file key is %d bytes, want %d", len(wrapped), FileKeyBlobSize)
	}
	return int(binary.LittleEndian.Uint32(wrapped[:4])), nil
}

// WrapFileKey wraps a 32-byte file key with the key of a protection class, in the
// 44-byte form of ManifestKey and MBFile EncryptionKey. The keybag must be unlocked.
func (kb *Keybag) WrapFileKey(class int, key []byte) ([]byte, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("file key is %d bytes, want %d", len(key), KeySize)
	}
	if class < 0 || int64(class) > 0xFFFFFFFF {
		return nil, fmt.Errorf("protection class %d is out of range", class)
	}
	ck, err := kb.classKey(uint32(class))
	if err != nil {
		return nil, err
	}
	w, err := Wrap(ck, key)
	if err != nil {
		return nil, err
	}
	return append(binary.LittleEndian.AppendUint32(make([]byte, 0, FileKeyBlobSize), uint32(class)), w...), nil
}

// Format prints a summary of the keybag, for every verb: never its keys.
func (kb Keybag) Format(f fmt.State, verb rune) {
	var classes []string
	for _, c := range kb.Classes {
		classes = append(classes, fmt.Sprint(c.Class))
	}
	state := "locked"
	if kb.unlocked {
		state = "unlocked"
	}
	fmt.Fprintf(f, "keybag{version %d, type %d, ITER %d", kb.Version, kb.Type, kb.Iter)
	if kb.TwoStage() {
		fmt.Fprintf(f, ", DPIC %d", kb.DPIC)
	}
	fmt.Fprintf(f, ", classes [%s], %s}", strings.Join(classes, " "), state)
}

// KeybagOptions tunes NewBackupKeybag.
type KeybagOptions struct {
	// DPIC is the iteration count of the PBKDF2-HMAC-SHA256 stage (0 = DefaultDPIC;
	// tests pass small values such as 1,000). Ignored when Legacy is set.
	DPIC int
	// ITER is the iteration count of the PBKDF2-HMAC-SHA1 stage (0 = DefaultITER).
	ITER int
	// Legacy writes a keybag of backups older than iOS 10.2: no DPWT, DPIC and DPSL,
	// so only the SHA-1 stage applies.
	Legacy bool
	// Salt and DPSL are the salts of the two stages; nil picks 20 random bytes.
	Salt, DPSL []byte
	// Rand is the source of salts, UUIDs and class keys; nil means crypto/rand.
	// Fixtures pass a seeded source to be reproducible.
	Rand io.Reader
}

// backupClasses are the protection classes of a backup keybag and their WRAP values.
var backupClasses = []struct{ class, wrap uint32 }{
	{11, 3}, {10, 3}, {9, 3}, {8, 2}, {7, 2}, {6, 2}, {5, 3}, {4, 2}, {3, 2}, {2, 2}, {1, 2},
}

// NewBackupKeybag makes a backup keybag for password, as iTunes writes one: the header
// (VERS, TYPE 1, UUID, HMCK, WRAP 0, SALT, ITER, and DPWT, DPIC, DPSL unless Legacy),
// then classes 11 down to 1 with random class keys wrapped with the key derived from
// password. It returns the keybag, already unlocked, and its bytes. It is meant for
// fixtures and tests.
func NewBackupKeybag(password []byte, opts KeybagOptions) (kb *Keybag, raw []byte, err error) {
	rnd := opts.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	random := func(n int) ([]byte, error) {
		b := make([]byte, n)
		if _, err := io.ReadFull(rnd, b); err != nil {
			return nil, fmt.Errorf("new keybag: random bytes: %w", err)
		}
		return b, nil
	}
	if opts.DPIC == 0 {
		opts.DPIC = DefaultDPIC
	}
	if opts.ITER == 0 {
		opts.ITER = DefaultITER
	}
	if opts.DPIC < 0 || opts.DPIC > MaxIterations || opts.ITER < 0 || opts.ITER > MaxIterations {
		return nil, nil, fmt.Errorf("new keybag: iteration counts must be 1 to %d", MaxIterations)
	}
	kb = &Keybag{Version: 4, Type: 1, Iter: uint32(opts.ITER)}
	if opts.Legacy {
		kb.Version = 3
	}
	if kb.UUID, err = random(16); err != nil {
		return nil, nil, err
	}
	if kb.HMCK, err = random(WrappedKeySize); err != nil {
		return nil, nil, err
	}
	kb.Salt = clone(opts.Salt)
	if opts.Salt == nil {
		if kb.Salt, err = random(20); err != nil {
			return nil, nil, err
		}
	}
	for _, t := range []string{"VERS", "TYPE", "UUID", "HMCK", "WRAP", "SALT", "ITER"} {
		kb.has |= 1 << tagIndex(headerTags[:], t)
	}
	if !opts.Legacy {
		kb.DPWT, kb.DPIC = 1, uint32(opts.DPIC)
		kb.DPSL = clone(opts.DPSL)
		if opts.DPSL == nil {
			if kb.DPSL, err = random(20); err != nil {
				return nil, nil, err
			}
		}
		for _, t := range []string{"DPWT", "DPIC", "DPSL"} {
			kb.has |= 1 << tagIndex(headerTags[:], t)
		}
	}
	// Check the header as a parser would (salt sizes).
	if _, err := ParseKeybag(kb.Marshal()); err != nil {
		return nil, nil, fmt.Errorf("new keybag: %w", err)
	}
	key, err := kb.DeriveKey(password)
	if err != nil {
		return nil, nil, fmt.Errorf("new keybag: %w", err)
	}
	defer clear(key)
	kb.classKeys = map[uint32][]byte{}
	for _, bc := range backupClasses {
		c := Class{Class: bc.class, Wrap: bc.wrap}
		if c.UUID, err = random(16); err != nil {
			return nil, nil, err
		}
		ck, err := random(KeySize)
		if err != nil {
			return nil, nil, err
		}
		if c.WrappedKey, err = Wrap(key, ck); err != nil {
			return nil, nil, err
		}
		tags := []string{"UUID", "CLAS", "WRAP", "KTYP", "WPKY"}
		if bc.class == 2 {
			// NSFileProtectionCompleteUnlessOpen is an asymmetric (Curve25519) class.
			c.KeyType = 1
			if c.PublicKey, err = random(32); err != nil {
				return nil, nil, err
			}
			tags = append(tags, "PBKY")
		}
		for _, t := range tags {
			c.has |= 1 << tagIndex(classTags[:], t)
		}
		if bc.wrap&WrapDevice == 0 {
			kb.classKeys[bc.class] = ck
		}
		kb.Classes = append(kb.Classes, c)
	}
	kb.unlocked = true
	return kb, kb.Marshal(), nil
}
