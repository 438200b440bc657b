package blockchain

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/tinychain/tinychain/chain/smt"
	"github.com/tinychain/tinychain/chain/store"
	"github.com/tinychain/tinychain/proto"
)

// The LevelDB layout. Every key starts with a one-byte prefix naming its
// table; everything one block changes is written in one batch.
//
//	a<addr>        account encoding (proto.Account)
//	c<codehash>    contract code (content-addressed, never deleted)
//	l<codehash>    its length (4 bytes big-endian): a call checks its load
//	               gas against it before reading the code
//	w<addr>        contract tape, trailing zero cells trimmed
//	v<addr>        its length (4 bytes big-endian), absent when empty: a
//	               run's tape load gas is known before the tape is read
//	s...           sparse Merkle tree nodes over the accounts (package smt)
//	b<hash>        block encoding, for every block whose data we hold
//	i<hash>        block index record: header, cumulative work, status
//	r<hash><index> receipt of tx index (4 bytes big-endian) of a connected
//	               block, one key each: a tx lookup reads its own only
//	               (chain/query.go), the block's list is the prefix r<hash>
//	u<hash>        undo data of a connected block
//	n<height>      hash of the main-chain block at height (8 bytes big-endian)
//	t<txhash>      location of a main-chain tx: block hash and index
//	x<addr>...     main-chain txs touching an address (addrindex.go)
//	head           hash of the head block
//	genesis        hash of the genesis block this database belongs to
var (
	keyHead    = []byte("head")
	keyGenesis = []byte("genesis")
)

func prefixed(p byte, b []byte) []byte { return append([]byte{p}, b...) }

func blockKey(h common.Hash) []byte       { return prefixed('b', h[:]) }
func indexKey(h common.Hash) []byte       { return prefixed('i', h[:]) }
func receiptsPrefix(h common.Hash) []byte { return prefixed('r', h[:]) }
func receiptKey(h common.Hash, i int) []byte {
	return binary.BigEndian.AppendUint32(receiptsPrefix(h), uint32(i))
}
func undoKey(h common.Hash) []byte { return prefixed('u', h[:]) }
func txKey(h common.Hash) []byte   { return prefixed('t', h[:]) }
func heightKey(n uint64) []byte    { return binary.BigEndian.AppendUint64([]byte{'n'}, n) }

// indexRecord is what the block index keeps of a block.
type indexRecord struct {
	Header proto.Header
	Work   []byte // cumulative work, big-endian
	Status uint8
	Seq    uint64 // arrival order: the first seen of equal-work chains wins
}

// TxLocation is where a main-chain transaction is: its block, its index
// there, and the byte range of its encoding within the block's stored
// encoding, so that a lookup decodes the one tx, not the whole block.
type TxLocation struct {
	Block  common.Hash
	Index  uint32
	Offset uint32
	Length uint32
}

// txSpans returns the byte range [offset, offset+length) of each tx's
// encoding within a block's encoding (the RLP list [header, [tx, ...]]).
func txSpans(enc []byte) ([][2]uint32, error) {
	body, _, err := rlp.SplitList(enc)
	if err != nil {
		return nil, err
	}
	_, _, rest, err := rlp.Split(body) // the header
	if err != nil {
		return nil, err
	}
	txs, _, err := rlp.SplitList(rest)
	if err != nil {
		return nil, err
	}
	var out [][2]uint32
	for len(txs) > 0 {
		_, _, next, err := rlp.Split(txs)
		if err != nil {
			return nil, err
		}
		out = append(out, [2]uint32{uint32(len(enc) - len(txs)), uint32(len(txs) - len(next))})
		txs = next
	}
	return out, nil
}

// txLocations returns where each of b's txs is, b being stored as enc.
func txLocations(hash common.Hash, enc []byte) ([]TxLocation, error) {
	spans, err := txSpans(enc)
	if err != nil {
		return nil, fmt.Errorf("block %s: %w", hash, err)
	}
	locs := make([]TxLocation, len(spans))
	for i, sp := range spans {
		locs[i] = TxLocation{Block: hash, Index: uint32(i), Offset: sp[0], Length: sp[1]}
	}
	return locs, nil
}

// storeGet reads key and decodes it into v; found is false if absent.
func storeGet(db smt.Reader, key []byte, v any) (found bool, err error) {
	b, found, err := db.Get(key)
	if err != nil || !found {
		return false, err
	}
	if err := rlp.DecodeBytes(b, v); err != nil {
		return true, fmt.Errorf("stored %q is corrupt: %w", key[:1], err)
	}
	return true, nil
}

// errMissing is a key that must be stored and is not.
var errMissing = errors.New("not in the database")

// mustGet reads key, which must be there.
func mustGet(db smt.Reader, key []byte) ([]byte, error) {
	v, found, err := db.Get(key)
	if err == nil && !found {
		err = fmt.Errorf("key %x: %w", key, errMissing)
	}
	return v, err
}

// decodeStored decodes a stored record.
func decodeStored(b []byte, v any) error {
	if err := rlp.DecodeBytes(b, v); err != nil {
		return fmt.Errorf("stored record is corrupt: %w", err)
	}
	return nil
}

// sortRecords orders index records by height, so parents come first.
func sortRecords(recs []*indexRecord) {
	sort.Slice(recs, func(i, j int) bool { return recs[i].Header.Height < recs[j].Header.Height })
}

func putRLP(batch *store.Batch, key []byte, v any) {
	batch.Put(key, proto.Encode(v))
}

func workBytes(w *big.Int) []byte { return w.Bytes() }
