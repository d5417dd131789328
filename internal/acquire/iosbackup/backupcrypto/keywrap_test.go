package backupcrypto

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RFC 3394 §4.1 to §4.6.
var rfc3394Vectors = []struct {
	name, kek, key, wrapped string
}{
	{"4.1 128-bit KEK, 128-bit key", "000102030405060708090A0B0C0D0E0F", "00112233445566778899AABBCCDDEEFF",
		"1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"},
	{"4.2 192-bit KEK, 128-bit key", "000102030405060708090A0B0C0D0E0F1011121314151617", "00112233445566778899AABBCCDDEEFF",
		"96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D"},
	{"4.3 256-bit KEK, 128-bit key", "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", "00112233445566778899AABBCCDDEEFF",
		"64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7"},
	{"4.4 192-bit KEK, 192-bit key", "000102030405060708090A0B0C0D0E0F1011121314151617", "00112233445566778899AABBCCDDEEFF0001020304050607",
		"031D33264E15D33268F24EC260743EDCE1C6C7DDEE725A936BA814915C6762D2"},
	{"4.5 256-bit KEK, 192-bit key", "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", "00112233445566778899AABBCCDDEEFF0001020304050607",
		"A8F9BC1612C68B3FF6E6F4FBE30E71E4769C8B80A32CB8958CD5D17D6B254DA1"},
	{"4.6 256-bit KEK, 256-bit key", "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F",
		"28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"},
}

func TestKeyWrapRFC3394(t *testing.T) {
	for _, v := range rfc3394Vectors {
		t.Run(v.name, func(t *testing.T) {
			kek, key, want := unhex(t, v.kek), unhex(t, v.key), unhex(t, v.wrapped)
			got, err := Wrap(kek, key)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("Wrap = %X, want %X", got, want)
			}
			back, err := Unwrap(kek, want)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(back, key) {
				t.Fatalf("Unwrap = %X, want %X", back, key)
			}
		})
	}
}

func TestUnwrapIntegrityFailure(t *testing.T) {
	v := rfc3394Vectors[5]
	kek, wrapped := unhex(t, v.kek), unhex(t, v.wrapped)
	wrongKEK := bytes.Clone(kek)
	wrongKEK[0] ^= 1
	if _, err := Unwrap(wrongKEK, wrapped); !errors.Is(err, ErrIntegrity) {
		t.Errorf("wrong KEK: err = %v, want ErrIntegrity", err)
	}
	for i := range wrapped {
		bad := bytes.Clone(wrapped)
		bad[i] ^= 0x80
		if _, err := Unwrap(kek, bad); !errors.Is(err, ErrIntegrity) {
			t.Errorf("byte %d flipped: err = %v, want ErrIntegrity", i, err)
		}
	}
}

func TestKeyWrapBadSizes(t *testing.T) {
	kek := make([]byte, 32)
	for _, n := range []int{0, 8, 15, 17, 33} {
		if _, err := Wrap(kek, make([]byte, n)); err == nil {
			t.Errorf("Wrap of %d bytes: no error", n)
		}
	}
	for _, n := range []int{0, 8, 16, 23, 41} {
		if _, err := Unwrap(kek, make([]byte, n)); err == nil || errors.Is(err, ErrIntegrity) {
			t.Errorf("Unwrap of %d bytes: err = %v, want a size error", n, err)
		}
	}
	if _, err := Wrap(make([]byte, 31), make([]byte, 32)); err == nil {
		t.Error("Wrap with a 31-byte KEK: no error")
	}
	if _, err := Unwrap(make([]byte, 31), make([]byte, 40)); err == nil {
		t.Error("Unwrap with a 31-byte KEK: no error")
	}
}
