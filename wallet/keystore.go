package wallet

import (
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/google/uuid"
)

// Keystore is a directory of Web3 Secret Storage key files, the format of
// geth's keystore: files move between geth and tinychain both ways.
//
// It uses go-ethereum's EncryptKey/DecryptKey on plain files rather than
// keystore.KeyStore, whose background directory watcher and account cache
// serve a long-running wallet, not a command that opens one file and exits.
type Keystore struct {
	dir            string
	scryptN, scryp int
}

// Account is a key file in the keystore.
type Account struct {
	Address common.Address
	File    string
}

// OpenKeystore returns the keystore in dir (created on first write). light
// selects geth's light scrypt parameters (fast, weaker: for tests);
// otherwise the standard ones, as geth uses.
func OpenKeystore(dir string, light bool) *Keystore {
	ks := &Keystore{dir: dir, scryptN: keystore.StandardScryptN, scryp: keystore.StandardScryptP}
	if light {
		ks.scryptN, ks.scryp = keystore.LightScryptN, keystore.LightScryptP
	}
	return ks
}

// Dir returns the keystore directory.
func (ks *Keystore) Dir() string { return ks.dir }

// New creates a key, stores it encrypted with password and returns its
// address and file.
func (ks *Keystore) New(password string) (common.Address, string, error) {
	key, err := crypto.GenerateKey()
	if err != nil {
		return common.Address{}, "", err
	}
	return ks.store(key, password)
}

// List returns every key file in the keystore, sorted by address; files
// that are not key files are skipped.
func (ks *Keystore) List() ([]Account, error) {
	entries, err := os.ReadDir(ks.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Account
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(ks.dir, e.Name())
		if a, ok := fileAddress(path); ok {
			out = append(out, Account{Address: a, File: path})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Address.Cmp(out[j].Address) < 0 })
	return out, nil
}

// fileAddress reads the "address" field of a key file.
func fileAddress(path string) (common.Address, bool) {
	b, err := os.ReadFile(path)
	if err != nil || len(b) > 64<<10 {
		return common.Address{}, false
	}
	var kf struct {
		Address string          `json:"address"`
		Crypto  json.RawMessage `json:"crypto"`
	}
	if json.Unmarshal(b, &kf) != nil || len(kf.Crypto) == 0 {
		return common.Address{}, false
	}
	s := strings.TrimPrefix(strings.ToLower(kf.Address), "0x")
	if len(s) != 40 || !common.IsHexAddress(s) {
		return common.Address{}, false
	}
	return common.HexToAddress(s), true
}

// find returns the key file of addr.
func (ks *Keystore) find(addr common.Address) (string, error) {
	accts, err := ks.List()
	if err != nil {
		return "", err
	}
	for _, a := range accts {
		if a.Address == addr {
			return a.File, nil
		}
	}
	return "", fmt.Errorf("%w: %s in %s", ErrNoAccount, addr.Hex(), ks.dir)
}

// Key decrypts and returns the private key of addr.
func (ks *Keystore) Key(addr common.Address, password string) (*ecdsa.PrivateKey, error) {
	file, err := ks.find(addr)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	key, err := keystore.DecryptKey(b, password)
	if errors.Is(err, keystore.ErrDecrypt) {
		return nil, fmt.Errorf("%w for %s", ErrWrongPassword, addr.Hex())
	}
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", file, err)
	}
	if key.Address != addr {
		return nil, fmt.Errorf("key file %s holds %s, not %s", file, key.Address.Hex(), addr.Hex())
	}
	return key.PrivateKey, nil
}

// Export returns the private key of addr (as Key; for `wallet export`).
func (ks *Keystore) Export(addr common.Address, password string) (*ecdsa.PrivateKey, error) {
	return ks.Key(addr, password)
}

// Import adds a key given either as a hex private key (as `geth account
// import` reads) or as a keystore JSON file decrypted with password; it is
// stored encrypted with newPassword.
func (ks *Keystore) Import(data []byte, password, newPassword string) (common.Address, string, error) {
	var key *ecdsa.PrivateKey
	if trimmed := strings.TrimSpace(string(data)); strings.HasPrefix(trimmed, "{") {
		k, err := keystore.DecryptKey([]byte(trimmed), password)
		if errors.Is(err, keystore.ErrDecrypt) {
			return common.Address{}, "", fmt.Errorf("%w for the imported key file", ErrWrongPassword)
		}
		if err != nil {
			return common.Address{}, "", fmt.Errorf("imported key file: %w", err)
		}
		key = k.PrivateKey
	} else {
		k, err := ParsePrivateKey(trimmed)
		if err != nil {
			return common.Address{}, "", err
		}
		key = k
	}
	addr := KeyAddress(key)
	if _, err := ks.find(addr); err == nil {
		return common.Address{}, "", fmt.Errorf("%w: %s", ErrAccountExists, addr.Hex())
	}
	return ks.store(key, newPassword)
}

// store encrypts key into a new file named as geth names them.
func (ks *Keystore) store(key *ecdsa.PrivateKey, password string) (common.Address, string, error) {
	id, err := uuid.NewRandom()
	if err != nil {
		return common.Address{}, "", err
	}
	k := &keystore.Key{Id: id, Address: KeyAddress(key), PrivateKey: key}
	b, err := keystore.EncryptKey(k, password, ks.scryptN, ks.scryp)
	if err != nil {
		return common.Address{}, "", err
	}
	if err := os.MkdirAll(ks.dir, 0o700); err != nil {
		return common.Address{}, "", err
	}
	ts := time.Now().UTC().Format("2006-01-02T15-04-05.000000000Z")
	file := filepath.Join(ks.dir, fmt.Sprintf("UTC--%s--%x", ts, k.Address[:]))
	// Write to a temporary file and rename, so a crash leaves no half key.
	tmp, err := os.CreateTemp(ks.dir, ".tmp-key-*")
	if err != nil {
		return common.Address{}, "", err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return common.Address{}, "", err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return common.Address{}, "", err
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		os.Remove(tmp.Name())
		return common.Address{}, "", err
	}
	return k.Address, file, nil
}
