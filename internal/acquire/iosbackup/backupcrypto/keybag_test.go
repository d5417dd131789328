package backupcrypto

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// seeded is a reproducible source of "random" bytes for tests.
func seeded(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	return rand.NewChaCha8(s)
}

// TestPBKDF2Vectors checks the standard library's PBKDF2 against published vectors, as
// used by DeriveKey: RFC 6070 (HMAC-SHA1) and RFC 7914 §11 (HMAC-SHA256).
func TestPBKDF2Vectors(t *testing.T) {
	for _, v := range []struct {
		sha256     bool
		pw, salt   string
		iter, size int
		want       string
	}{
		{false, "password", "salt", 1, 20, "0c60c80f961f0e71f3a9b524af6012062fe037a6"},
		{false, "password", "salt", 2, 20, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"},
		{false, "password", "salt", 4096, 20, "4b007901b765489abead49d926f721d065a429c1"},
		{false, "passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 25, "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"},
		{false, "pass\x00word", "sa\x00lt", 4096, 16, "56fa6aa75548099dcc37d7f03425e0c3"},
		{true, "passwd", "salt", 1, 64, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"},
		{true, "Password", "NaCl", 80000, 64, "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"},
	} {
		var got []byte
		var err error
		if v.sha256 {
			got, err = pbkdf2.Key(sha256.New, v.pw, []byte(v.salt), v.iter, v.size)
		} else {
			got, err = pbkdf2.Key(sha1.New, v.pw, []byte(v.salt), v.iter, v.size)
		}
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(got) != v.want {
			t.Errorf("PBKDF2(sha256=%v, %q, %q, %d) = %x, want %s", v.sha256, v.pw, v.salt, v.iter, got, v.want)
		}
	}
}

func seqBytes(start, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(start + i)
	}
	return b
}

// TestDeriveKeyVectors checks both derivations against values computed independently
// with Python's hashlib.pbkdf2_hmac.
func TestDeriveKeyVectors(t *testing.T) {
	salt, dpsl := seqBytes(100, 20), seqBytes(0, 20)
	pw := []byte("correct horse")

	kb, _, err := NewBackupKeybag(pw, KeybagOptions{DPIC: 1000, ITER: 10, Salt: salt, DPSL: dpsl, Rand: seeded(1)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := kb.DeriveKey(pw)
	if err != nil {
		t.Fatal(err)
	}
	if want := "5af074869b7383d590819962cf712622de1fd66af3d96b6e335ed4f1c4d7af03"; hex.EncodeToString(got) != want {
		t.Errorf("two-stage key = %x, want %s", got, want)
	}

	kb, _, err = NewBackupKeybag(pw, KeybagOptions{ITER: 10, Salt: salt, Legacy: true, Rand: seeded(1)})
	if err != nil {
		t.Fatal(err)
	}
	got, err = kb.DeriveKey(pw)
	if err != nil {
		t.Fatal(err)
	}
	if want := "c5d9320c96d5e51a2fd206fc880d0e354c5917186cdc86b64952819266dc119a"; hex.EncodeToString(got) != want {
		t.Errorf("legacy key = %x, want %s", got, want)
	}
}

func TestKeybagRoundTrip(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		t.Run(fmt.Sprintf("legacy=%v", legacy), func(t *testing.T) {
			pw := []byte("hunter2 ✓")
			made, raw, err := NewBackupKeybag(pw, KeybagOptions{DPIC: 1000, ITER: 100, Legacy: legacy})
			if err != nil {
				t.Fatal(err)
			}
			kb, err := ParseKeybag(raw)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(kb.Marshal(), raw) {
				t.Fatal("Marshal(ParseKeybag(raw)) != raw")
			}
			if kb.Version == 0 || kb.Type != 1 || len(kb.UUID) != 16 || len(kb.Salt) != 20 || kb.Iter != 100 {
				t.Errorf("header: %+v", *kb)
			}
			if kb.TwoStage() == legacy || kb.Has("DPIC") == legacy || kb.Has("DPSL") == legacy || kb.Has("DPWT") == legacy {
				t.Errorf("legacy %v but TwoStage %v", legacy, kb.TwoStage())
			}
			if !legacy && (kb.DPIC != 1000 || len(kb.DPSL) != 20) {
				t.Errorf("DPIC %d, DPSL %d bytes", kb.DPIC, len(kb.DPSL))
			}
			var classes []uint32
			for _, c := range kb.Classes {
				classes = append(classes, c.Class)
				wantWrap := uint32(2)
				if c.Class == 5 || c.Class >= 9 {
					wantWrap = 3
				}
				if c.Wrap != wantWrap {
					t.Errorf("class %d: WRAP %d, want %d", c.Class, c.Wrap, wantWrap)
				}
			}
			if want := []uint32{11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}; !reflect.DeepEqual(classes, want) {
				t.Errorf("classes %v, want %v", classes, want)
			}
			if kb.Unlocked() {
				t.Fatal("a parsed keybag is unlocked")
			}
			if _, err := kb.UnwrapFileKey(make([]byte, 44)); !errors.Is(err, ErrLocked) {
				t.Errorf("locked keybag: err = %v, want ErrLocked", err)
			}
			key, err := kb.UnlockWithPassword(pw)
			if err != nil {
				t.Fatal(err)
			}
			if len(key) != 32 {
				t.Fatalf("derived key is %d bytes", len(key))
			}
			for class := 1; class <= 11; class++ {
				k1, ok1 := made.ClassKey(class)
				k2, ok2 := kb.ClassKey(class)
				deviceBound := class == 5 || class >= 9
				if ok1 != !deviceBound || ok2 != !deviceBound || !bytes.Equal(k1, k2) {
					t.Errorf("class %d: keys differ or presence wrong (%v, %v)", class, ok1, ok2)
				}
			}
			// File keys wrapped with one keybag unwrap with the other.
			fk := seqBytes(7, 32)
			for _, class := range []int{1, 2, 3, 4} {
				w, err := made.WrapFileKey(class, fk)
				if err != nil {
					t.Fatal(err)
				}
				if c, _ := FileKeyClass(w); len(w) != 44 || c != class {
					t.Fatalf("wrapped key: %d bytes, class %d", len(w), c)
				}
				got, err := kb.UnwrapFileKey(w)
				if err != nil || !bytes.Equal(got, fk) {
					t.Fatalf("class %d: UnwrapFileKey = %x, %v", class, got, err)
				}
				w[10] ^= 1
				if _, err := kb.UnwrapFileKey(w); !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), fmt.Sprint("class ", class)) {
					t.Errorf("damaged wrapped key: err = %v", err)
				}
			}
		})
	}
}

func TestWrongPassword(t *testing.T) {
	_, raw, err := NewBackupKeybag([]byte("right"), KeybagOptions{DPIC: 1000, ITER: 10})
	if err != nil {
		t.Fatal(err)
	}
	kb, err := ParseKeybag(raw)
	if err != nil {
		t.Fatal(err)
	}
	_, err = kb.UnlockWithPassword([]byte("wrong"))
	if !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("err = %v, want ErrWrongPassword", err)
	}
	if ErrWrongPassword.Error() != "wrong backup password" {
		t.Errorf("message %q", ErrWrongPassword)
	}
	if kb.Unlocked() {
		t.Fatal("unlocked with a wrong password")
	}
	if err := kb.Unlock(make([]byte, 16)); err == nil || errors.Is(err, ErrWrongPassword) {
		t.Errorf("16-byte key: err = %v", err)
	}
	// One damaged class key among good ones: a damaged keybag, not a wrong password.
	kb.Classes[3].WrappedKey[5] ^= 1
	_, err = kb.UnlockWithPassword([]byte("right"))
	if !errors.Is(err, ErrIntegrity) || errors.Is(err, ErrWrongPassword) {
		t.Fatalf("damaged class key: err = %v", err)
	}
}

func TestMissingClassKey(t *testing.T) {
	kb, _, err := NewBackupKeybag([]byte("pw"), KeybagOptions{DPIC: 10, ITER: 10})
	if err != nil {
		t.Fatal(err)
	}
	blob := make([]byte, 44)
	binary.LittleEndian.PutUint32(blob, 42)
	if _, err := kb.UnwrapFileKey(blob); err == nil || !strings.Contains(err.Error(), "class 42") {
		t.Errorf("class 42: err = %v", err)
	}
	binary.LittleEndian.PutUint32(blob, 10)
	if _, err := kb.UnwrapFileKey(blob); err == nil || !strings.Contains(err.Error(), "device key") {
		t.Errorf("class 10: err = %v", err)
	}
	if _, err := kb.UnwrapFileKey(blob[:40]); err == nil {
		t.Error("40-byte blob: no error")
	}
	if _, err := kb.WrapFileKey(3, make([]byte, 16)); err == nil {
		t.Error("16-byte file key: no error")
	}
	if _, err := kb.WrapFileKey(42, make([]byte, 32)); err == nil {
		t.Error("class 42: no error")
	}
}

// TestDefaultIterations derives with the real parameters (DPIC 10,000,000): slow.
func TestDefaultIterations(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000,000 PBKDF2 rounds take seconds")
	}
	_, raw, err := NewBackupKeybag([]byte("1234"), KeybagOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kb, err := ParseKeybag(raw)
	if err != nil {
		t.Fatal(err)
	}
	if kb.DPIC != DefaultDPIC || kb.Iter != DefaultITER {
		t.Fatalf("DPIC %d, ITER %d", kb.DPIC, kb.Iter)
	}
	if _, err := kb.UnlockWithPassword([]byte("1234")); err != nil {
		t.Fatal(err)
	}
}

func TestDeriveKeyBounds(t *testing.T) {
	kb, _, err := NewBackupKeybag([]byte("pw"), KeybagOptions{DPIC: 10, ITER: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(k *Keybag)
	}{
		{"ITER 0", func(k *Keybag) { k.Iter = 0 }},
		{"DPIC 0", func(k *Keybag) { k.DPIC = 0 }},
		{"ITER huge", func(k *Keybag) { k.Iter = 0xFFFFFFFF }},
		{"DPIC huge", func(k *Keybag) { k.DPIC = MaxIterations + 1 }},
	} {
		k, err := ParseKeybag(kb.Marshal())
		if err != nil {
			t.Fatal(err)
		}
		tc.edit(k)
		if _, err := k.DeriveKey([]byte("pw")); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

// rec writes one TLV record.
func rec(tag string, v []byte) []byte {
	return append(binary.BigEndian.AppendUint32([]byte(tag), uint32(len(v))), v...)
}

func u32b(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func TestParseKeybagErrors(t *testing.T) {
	_, good, err := NewBackupKeybag([]byte("pw"), KeybagOptions{DPIC: 10, ITER: 10, Rand: seeded(2)})
	if err != nil {
		t.Fatal(err)
	}
	header := bytes.Join([][]byte{rec("VERS", u32b(4)), rec("TYPE", u32b(1)), rec("UUID", make([]byte, 16)), rec("SALT", make([]byte, 20)), rec("ITER", u32b(10))}, nil)
	class := func(c uint32, extra ...[]byte) []byte {
		return bytes.Join(append([][]byte{rec("UUID", make([]byte, 16)), rec("CLAS", u32b(c)), rec("WRAP", u32b(2)), rec("KTYP", u32b(0)), rec("WPKY", make([]byte, 40))}, extra...), nil)
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for _, tc := range []struct {
		name, data, want string
	}{
		{"empty", "", "empty"},
		{"truncated header", string(good[:5]), "truncated record header"},
		{"truncated value", string(good[:10]), "claims 4 bytes, only 2 left"},
		{"huge length", "VERS\xff\xff\xff\xff", "claims 4294967295 bytes"},
		{"binary tag", "\x00\x01\x02\x03\x00\x00\x00\x00", "not four ASCII"},
		{"short VERS", string(rec("VERS", []byte{1, 2})), "header record VERS is 2 bytes, want 4"},
		{"short UUID", string(rec("UUID", make([]byte, 15))), "UUID is 15 bytes, want 16"},
		{"empty SALT", string(cat(header[:8+4], rec("SALT", nil))), "SALT is 0 bytes, want at least 1"},
		{"duplicate SALT", string(cat(header, rec("SALT", make([]byte, 20)))), "SALT appears twice"},
		{"short WPKY", string(cat(header, rec("UUID", make([]byte, 16)), rec("CLAS", u32b(3)), rec("WRAP", u32b(2)), rec("WPKY", make([]byte, 12)))), "record WPKY of class 3 is 12 bytes, want 40"},
		{"no CLAS", string(cat(header, rec("UUID", make([]byte, 16)), rec("WRAP", u32b(2)), rec("WPKY", make([]byte, 40)))), "class group 1 has no CLAS record"},
		{"no WPKY", string(cat(header, class(1), rec("UUID", make([]byte, 16)), rec("CLAS", u32b(2)), rec("WRAP", u32b(2)))), "class 2 has no WPKY record"},
		{"duplicate class", string(cat(header, class(3), class(3))), "two key groups for protection class 3"},
		{"duplicate CLAS", string(cat(header, class(3, rec("CLAS", u32b(3))))), "CLAS of class 3 appears twice"},
		{"too large", string(make([]byte, MaxKeybagSize+1)), "more than"},
	} {
		_, err := ParseKeybag([]byte(tc.data))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	// Every truncation of a good keybag is an error (a TLV cut in a record) or, cut at
	// a record boundary, a shorter keybag.
	bounds := map[int]bool{}
	for off := 0; off < len(good); off += 8 + int(binary.BigEndian.Uint32(good[off+4:])) {
		bounds[off] = true
	}
	for n := 1; n < len(good); n++ {
		_, err := ParseKeybag(good[:n])
		if bounds[n] {
			// A class group cut after its UUID lacks CLAS: still an error.
			continue
		}
		if err == nil {
			t.Errorf("cut at %d (inside a record): no error", n)
		}
	}
	// Too many classes.
	var many [][]byte
	many = append(many, header)
	for c := range MaxClasses + 1 {
		many = append(many, class(uint32(c+1)))
	}
	if _, err := ParseKeybag(bytes.Join(many, nil)); err == nil || !strings.Contains(err.Error(), "more than 64 class keys") {
		t.Errorf("65 classes: err = %v", err)
	}
	// Unknown records are kept, in the header and in class groups, and written back.
	withUnknown := cat(header, rec("ABCD", []byte("x")), class(3, rec("ZZZZ", []byte("yy"))))
	kb, err := ParseKeybag(withUnknown)
	if err != nil {
		t.Fatal(err)
	}
	if len(kb.Other) != 1 || kb.Other[0].Tag != "ABCD" || len(kb.Classes) != 1 || len(kb.Classes[0].Other) != 1 || kb.Classes[0].Other[0].Tag != "ZZZZ" {
		t.Fatalf("unknown records: %+v %+v", kb.Other, kb.Classes)
	}
	if !bytes.Equal(kb.Marshal(), withUnknown) {
		t.Error("unknown records not written back")
	}
	// Unlocking with no password-wrapped class is an error.
	kb, err = ParseKeybag(header)
	if err != nil {
		t.Fatal(err)
	}
	if err := kb.Unlock(make([]byte, 32)); err == nil {
		t.Error("no classes: Unlock succeeded")
	}
}

// TestKeybagFormatHidesKeys checks that printing a keybag never shows its class keys.
func TestKeybagFormatHidesKeys(t *testing.T) {
	kb, _, err := NewBackupKeybag([]byte("pw"), KeybagOptions{DPIC: 10, ITER: 10})
	if err != nil {
		t.Fatal(err)
	}
	ck, _ := kb.ClassKey(3)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d"} {
		for _, v := range []any{kb, *kb} {
			out := fmt.Sprintf(verb, v)
			if !strings.HasPrefix(out, "keybag{") || strings.Contains(out, hex.EncodeToString(ck)) || strings.Contains(out, string(ck)) {
				t.Errorf("%s: %q", verb, out)
			}
		}
	}
}

func FuzzParseKeybag(f *testing.F) {
	_, good, err := NewBackupKeybag([]byte("pw"), KeybagOptions{DPIC: 10, ITER: 10, Rand: seeded(3)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	for _, n := range []int{0, 4, 8, 12, 50, 100, len(good) / 2, len(good) - 1} {
		f.Add(good[:n])
	}
	_, legacy, err := NewBackupKeybag([]byte("pw"), KeybagOptions{ITER: 10, Legacy: true, Rand: seeded(4)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(legacy)
	f.Fuzz(func(t *testing.T, data []byte) {
		kb, err := ParseKeybag(data)
		if err != nil {
			return
		}
		// The parsed model survives a write and a parse unchanged.
		again, err := ParseKeybag(kb.Marshal())
		if err != nil {
			t.Fatalf("reparse: %v", err)
		}
		if !reflect.DeepEqual(kb, again) {
			t.Fatalf("round trip changed the keybag:\n%#v\n%#v", kb.Classes, again.Classes)
		}
		// Unlocking with some key never panics; a zero key cannot unwrap anything made
		// with another key, and succeeds only if the integrity checks pass.
		if err := kb.Unlock(make([]byte, 32)); err == nil {
			for _, c := range kb.Classes {
				if c.Wrap&WrapPasscode != 0 && c.Wrap&WrapDevice == 0 {
					if _, ok := kb.ClassKey(int(c.Class)); !ok {
						t.Fatalf("class %d unlocked without a key", c.Class)
					}
				}
			}
		}
		_ = fmt.Sprint(kb)
	})
}
