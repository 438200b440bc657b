package chain

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/tinychain/tinychain/chain/smt"
)

// The state's part of the LevelDB layout (the block tree's part, and the
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

func accountFromKey(k []byte) (common.Address, bool) { return AccountFromKey(k) }

// AccountLeaf is where account a with encoding enc (nil: absent) sits in
// the Merkle tree, and its leaf value.
func AccountLeaf(a common.Address, enc []byte) (key, value [32]byte) {
	return accountLeafKey(a), leafValue(enc)
}

// EmptyDB is a database with nothing in it: the state before genesis.
type EmptyDB = emptyDB

type emptyDB struct{}

func (emptyDB) Get([]byte, *opt.ReadOptions) ([]byte, error) { return nil, leveldb.ErrNotFound }

// UndoEntry is one key of the state database and its value before a
// block (State.Commit returns them; RevertState writes them back).
type UndoEntry = undoEntry

// RevertState writes a block's undo data into batch and returns the state
// root after the revert; nodes (optional) is the Merkle node cache of db.
func RevertState(db smt.Reader, nodes *smt.Cache, batch *leveldb.Batch, undo []UndoEntry) (common.Hash, error) {
	return revertState(db, nodes, batch, undo)
}

// TapeLoadGas is the gas of loading owner's tape (world tape: WorldTape).
func TapeLoadGas(st *State, owner common.Address) (uint64, error) { return tapeLoadGas(st, owner) }
