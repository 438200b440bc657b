package wallet

import (
	"crypto/ecdsa"
	"fmt"
	"strconv"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// DevKeys is the number of dev keys: DevKey(0) to DevKey(DevKeys-1).
const DevKeys = 10

// devKeySeed is hashed with the key's index to give its 32 bytes.
const devKeySeed = "tinychain dev key "

// DevKey returns dev key i, the secp256k1 key whose 32 bytes are
// Keccak-256("tinychain dev key " + decimal i). The devnet genesis funds
// these keys; their private keys are public, so they are for devnets and
// tests only. Each call returns a fresh copy.
//
// A key must lie in [1, N-1]. A hash outside that range (probability about
// 2^-128) would make the derivation undefined; none of the ten is (the
// golden test pins them), so DevKey panics only if i is out of range.
func DevKey(i int) *ecdsa.PrivateKey {
	if i < 0 || i >= DevKeys {
		panic(fmt.Sprintf("wallet: dev key %d out of range [0, %d)", i, DevKeys))
	}
	key, err := crypto.ToECDSA(crypto.Keccak256([]byte(devKeySeed + strconv.Itoa(i))))
	if err != nil {
		panic(fmt.Sprintf("wallet: dev key %d: %v", i, err)) // never: see above
	}
	return key
}

// DevAddress returns the address of DevKey(i).
func DevAddress(i int) common.Address {
	return KeyAddress(DevKey(i))
}
