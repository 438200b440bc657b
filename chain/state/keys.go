package state

import (
	"errors"

	"github.com/ethereum/go-ethereum/common"
)

// The state's part of the database layout (the block tree's part, and the
// whole table, is in chain/blockchain's store.go):
//
//	a<addr>        account encoding (proto.Account)
//	c<codehash>    contract code (content-addressed, never deleted)
//	l<codehash>    its length (4 bytes big-endian)
//	w<addr>        contract tape, trailing zero cells trimmed
//	v<addr>        its length (4 bytes big-endian), absent when empty
//	s...           sparse Merkle tree nodes over the accounts (package smt)
var smtPrefix = []byte("s")

// SMTPrefix is the key prefix of the state's Merkle nodes.
var SMTPrefix = smtPrefix

func prefixed(p byte, b []byte) []byte { return append([]byte{p}, b...) }

func accountKey(a common.Address) []byte  { return prefixed('a', a[:]) }
func codeKey(h common.Hash) []byte        { return prefixed('c', h[:]) }
func codeSizeKey(h common.Hash) []byte    { return prefixed('l', h[:]) }
func tapeKey(a common.Address) []byte     { return prefixed('w', a[:]) }
func tapeSizeKey(a common.Address) []byte { return prefixed('v', a[:]) }

// AccountKey is the key of a's account encoding.
func AccountKey(a common.Address) []byte { return accountKey(a) }

// AccountFromKey returns the address of an account key.
func AccountFromKey(k []byte) (common.Address, bool) {
	if len(k) != 1+common.AddressLength || k[0] != 'a' {
		return common.Address{}, false
	}
	return common.BytesToAddress(k[1:]), true
}

// AccountLeaf is where account a with encoding enc (nil: absent) sits in
// the Merkle tree, and its leaf value.
func AccountLeaf(a common.Address, enc []byte) (key, value [32]byte) {
	return accountLeafKey(a), leafValue(enc)
}

// EmptyDB is a database with nothing in it: the state before genesis.
type EmptyDB struct{}

// Get finds nothing.
func (EmptyDB) Get([]byte) ([]byte, bool, error) { return nil, false, nil }

// errNotStored is stored data that must be there and is not (the code of
// a contract account).
var errNotStored = errors.New("not in the database")
