package wallet_test

import (
	"crypto/ecdsa"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/google/uuid"
	"github.com/tinychain/tinychain/wallet"
)

func TestSignRecover(t *testing.T) {
	key, _ := crypto.GenerateKey()
	h := crypto.Keccak256Hash([]byte("tinychain"))
	for i := 0; i < 50; i++ {
		h[0] = byte(i)
		sig, err := wallet.Sign(h, key)
		if err != nil {
			t.Fatal(err)
		}
		if sig[64] > 1 {
			t.Fatalf("V = %d", sig[64])
		}
		s := new(big.Int).SetBytes(sig[32:64])
		if s.Cmp(new(big.Int).Rsh(crypto.S256().Params().N, 1)) > 0 {
			t.Fatal("high S produced")
		}
		got, err := wallet.Recover(h, sig)
		if err != nil || got != wallet.KeyAddress(key) {
			t.Fatalf("recovered %s %v, want %s", got, err, wallet.KeyAddress(key))
		}
	}
}

func TestRecoverRejects(t *testing.T) {
	key := wallet.DevKey(0)
	h := crypto.Keccak256Hash([]byte("x"))
	sig, _ := wallet.Sign(h, key)
	// The high-S twin (N-S, V^1) is a valid ECDSA signature, but not ours.
	high := sig
	n := crypto.S256().Params().N
	new(big.Int).Sub(n, new(big.Int).SetBytes(sig[32:64])).FillBytes(high[32:64])
	high[64] ^= 1
	if _, err := wallet.Recover(h, high); !errors.Is(err, wallet.ErrHighS) {
		t.Fatalf("high S: %v", err)
	}
	badV := sig
	badV[64] = 27
	if _, err := wallet.Recover(h, badV); !errors.Is(err, wallet.ErrInvalidV) {
		t.Fatalf("V 27: %v", err)
	}
	zeroR := sig
	clear(zeroR[:32])
	if _, err := wallet.Recover(h, zeroR); !errors.Is(err, wallet.ErrInvalidR) {
		t.Fatalf("R 0: %v", err)
	}
	bigS := sig
	n.FillBytes(bigS[32:64])
	if _, err := wallet.Recover(h, bigS); !errors.Is(err, wallet.ErrInvalidS) {
		t.Fatalf("S = N: %v", err)
	}
	flipped := sig
	flipped[10] ^= 1
	if a, err := wallet.Recover(h, flipped); err == nil && a == wallet.KeyAddress(key) {
		t.Fatal("a flipped bit still recovers the signer")
	}
	for _, err := range []error{wallet.ErrHighS, wallet.ErrInvalidV, wallet.ErrInvalidR, wallet.ErrInvalidS, wallet.ErrRecover} {
		if !errors.Is(err, wallet.ErrInvalidSig) {
			t.Fatalf("%v does not wrap ErrInvalidSig", err)
		}
	}
}

func TestParseAddress(t *testing.T) {
	good := "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed" // EIP-55's own example
	a, err := wallet.ParseAddress(good)
	if err != nil || a.Hex() != good {
		t.Fatalf("%s: %v", good, err)
	}
	for _, s := range []string{strings.ToLower(good), "0x" + strings.ToUpper(good[2:])} {
		if _, err := wallet.ParseAddress(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if _, err := wallet.ParseAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"); !errors.Is(err, wallet.ErrBadChecksum) {
		t.Fatalf("bad checksum: %v", err)
	}
	for _, s := range []string{"", "0x", "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA", "0xzzAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"} {
		if _, err := wallet.ParseAddress(s); !errors.Is(err, wallet.ErrInvalidAddress) {
			t.Fatalf("%q: %v", s, err)
		}
	}
}

// TestDevKeys pins the ten dev addresses the README lists.
func TestDevKeys(t *testing.T) {
	want := []string{
		"0x3B93a38288483Ac0eb00CD8aEa2877dDb879B2a0", "0xfB1A8a849Ad486b44B864699fd4D39B0c60e2598",
		"0x078D467812f5796c898328B3AFbbF88FaBB3aDF3", "0xBf74927853825E8D11d746313822698b238eFf2a",
		"0xb43b9f1f6246bbE5c87BC3FB4e490241fd9F1134", "0x8d20B5712169c10B875B1427e07aa4AEe43447b9",
		"0x59A9ace6112971c120d88BA52d4d28dF7dA187e7", "0x31eA9773BC40BE1a3e6F534707E14241f44669eA",
		"0xef343Fc9F9Fd3F1bBe6BE28E1129D495a50911C6", "0x62Cad582b193893913777f6C2dD5758bb5DfFE39",
	}
	for i, w := range want {
		if got := wallet.DevAddress(i).Hex(); got != w {
			t.Errorf("dev key %d: %s, want %s", i, got, w)
		}
	}
	if wallet.PrivateKeyHex(wallet.DevKey(0)) != "1dfa3c9e59e7bca69782779a732745ef079ee214a91a22ffbb2176e354e17f81" {
		t.Error("dev key 0's private key changed")
	}
}

func TestKeystore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keystore")
	ks := wallet.OpenKeystore(dir, true)
	addr, file, err := ks.New("pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Key(addr, "wrong"); !errors.Is(err, wallet.ErrWrongPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	key, err := ks.Key(addr, "pw")
	if err != nil || wallet.KeyAddress(key) != addr {
		t.Fatalf("unlock: %v", err)
	}
	// The file is geth's format: geth's own decoder reads it.
	b, _ := os.ReadFile(file)
	if k, err := keystore.DecryptKey(b, "pw"); err != nil || k.Address != addr {
		t.Fatalf("geth cannot read our file: %v", err)
	}
	// A file geth wrote is listed and unlocks.
	gethKey, _ := crypto.GenerateKey()
	id, _ := uuid.NewRandom()
	enc, err := keystore.EncryptKey(&keystore.Key{Id: id, Address: crypto.PubkeyToAddress(gethKey.PublicKey), PrivateKey: gethKey},
		"geth", keystore.LightScryptN, keystore.LightScryptP)
	if err != nil {
		t.Fatal(err)
	}
	gethAddr := crypto.PubkeyToAddress(gethKey.PublicKey)
	os.WriteFile(filepath.Join(dir, "UTC--2026-01-01T00-00-00.000000000Z--"+strings.ToLower(gethAddr.Hex()[2:])), enc, 0o600)
	os.WriteFile(filepath.Join(dir, "README.txt"), []byte("not a key"), 0o600)
	list, err := ks.List()
	if err != nil || len(list) != 2 {
		t.Fatalf("list %v %v", list, err)
	}
	if k, err := ks.Key(gethAddr, "geth"); err != nil || !sameKey(k, gethKey) {
		t.Fatalf("geth key: %v", err)
	}
	// Import a hex key, and a keystore JSON under a new password.
	other, _ := crypto.GenerateKey()
	a2, _, err := ks.Import([]byte("0x"+wallet.PrivateKeyHex(other)+"\n"), "", "new")
	if err != nil || a2 != wallet.KeyAddress(other) {
		t.Fatalf("import hex: %v", err)
	}
	if _, _, err := ks.Import([]byte(wallet.PrivateKeyHex(other)), "", "new"); !errors.Is(err, wallet.ErrAccountExists) {
		t.Fatalf("import twice: %v", err)
	}
	ks2 := wallet.OpenKeystore(filepath.Join(t.TempDir(), "ks2"), true)
	a3, _, err := ks2.Import(enc, "geth", "mine")
	if err != nil || a3 != gethAddr {
		t.Fatalf("import json: %v", err)
	}
	if _, err := ks2.Key(a3, "mine"); err != nil {
		t.Fatalf("re-encrypted key: %v", err)
	}
	if _, _, err := ks2.Import(enc, "wrong", "x"); !errors.Is(err, wallet.ErrWrongPassword) {
		t.Fatalf("import with wrong password: %v", err)
	}
	if _, err := ks.Key(common.HexToAddress("0x01"), "pw"); !errors.Is(err, wallet.ErrNoAccount) {
		t.Fatalf("missing account: %v", err)
	}
}

func sameKey(a, b *ecdsa.PrivateKey) bool { return a.D.Cmp(b.D) == 0 }

func TestReadPasswordFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(f, []byte("s3cret\r\nsecond line\n"), 0o600)
	pw, err := wallet.ReadPassword(f, "", false)
	if err != nil || pw != "s3cret" {
		t.Fatalf("%q %v", pw, err)
	}
	if _, err := wallet.ReadPassword(filepath.Join(t.TempDir(), "none"), "", false); err == nil {
		t.Fatal("missing file read")
	}
}

func BenchmarkRecover(b *testing.B) {
	key := wallet.DevKey(1)
	h := crypto.Keccak256Hash([]byte("bench"))
	sig, _ := wallet.Sign(h, key)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := wallet.Recover(h, sig); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "recoveries/s")
}

// BenchmarkRecoverParallel recovers on every core at once (GOMAXPROCS
// goroutines): the limit of block import, which spreads a block's
// recoveries over the cores.
func BenchmarkRecoverParallel(b *testing.B) {
	key := wallet.DevKey(1)
	h := crypto.Keccak256Hash([]byte("bench"))
	sig, _ := wallet.Sign(h, key)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := wallet.Recover(h, sig); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "recoveries/s")
}

func BenchmarkSign(b *testing.B) {
	key := wallet.DevKey(1)
	h := crypto.Keccak256Hash([]byte("bench"))
	for i := 0; i < b.N; i++ {
		if _, err := wallet.Sign(h, key); err != nil {
			b.Fatal(err)
		}
	}
}
