package wallet

import (
	"crypto/ecdsa"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/crypto"
)

// ParseAddress parses "0x" followed by 40 hex digits. All-lower-case and
// all-upper-case digits are accepted as they are; mixed case must carry a
// correct EIP-55 checksum, so a mistyped checksummed address is caught.
func ParseAddress(s string) (common.Address, error) {
	if len(s) != 2+2*common.AddressLength || s[0] != '0' || s[1] != 'x' {
		return common.Address{}, fmt.Errorf("%w: %q: want 0x and 40 hex digits", ErrInvalidAddress, s)
	}
	var a common.Address
	if _, err := hex.Decode(a[:], []byte(s[2:])); err != nil {
		return common.Address{}, fmt.Errorf("%w: %q: want 0x and 40 hex digits", ErrInvalidAddress, s)
	}
	digits := s[2:]
	mixed := strings.ToLower(digits) != digits && strings.ToUpper(digits) != digits
	if mixed && a.Hex() != s {
		return common.Address{}, fmt.Errorf("%w: %q (did you mean %s?)", ErrBadChecksum, s, a.Hex())
	}
	return a, nil
}

// KeyAddress returns the address of key's public key.
func KeyAddress(key *ecdsa.PrivateKey) common.Address {
	return crypto.PubkeyToAddress(key.PublicKey)
}

// ParsePrivateKey parses a private key written as 64 hex digits, with or
// without "0x", ignoring surrounding white space (the format of
// `geth account import` key files and of PrivateKeyHex).
func ParsePrivateKey(s string) (*ecdsa.PrivateKey, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		s = s[2:]
	}
	if len(s) != 64 {
		return nil, fmt.Errorf("%w: want 64 hex digits, got %d characters", ErrInvalidKey, len(s))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: not hex", ErrInvalidKey)
	}
	defer clear(b)
	key, err := crypto.ToECDSA(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return key, nil
}

// PrivateKeyHex returns key as 64 lower-case hex digits without "0x", the
// form that `geth account import` and ParsePrivateKey read.
func PrivateKeyHex(key *ecdsa.PrivateKey) string {
	return hex.EncodeToString(math.PaddedBigBytes(key.D, 32))
}
