package proto

import (
	"crypto/sha256"
	"math/big"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
)

// Header is a block header. Its field order is its encoding order; Nonce
// comes last so that a miner can vary it at a fixed offset of the encoding.
type Header struct {
	Version      uint32
	Height       uint64
	PrevHash     common.Hash
	Timestamp    uint64      // unix milliseconds
	Target       common.Hash // 256-bit big-endian: PoW holds when hash <= target
	Miner        common.Address
	TxRoot       common.Hash
	StateRoot    common.Hash
	ReceiptsRoot common.Hash
	Nonce        uint64
}

// DecodeHeader decodes a header from its canonical encoding.
func DecodeHeader(b []byte) (*Header, error) {
	h := new(Header)
	if err := decode(b, h, MaxHeaderSize, "header"); err != nil {
		return nil, err
	}
	return h, nil
}

// Encode returns the canonical encoding of h.
func (h *Header) Encode() []byte { return Encode(h) }

// Hash returns the block hash: SHA-256 of the header's encoding.
func (h *Header) Hash() common.Hash { return sha256.Sum256(h.Encode()) }

// TargetBig returns the target as an integer.
func (h *Header) TargetBig() *big.Int { return new(big.Int).SetBytes(h.Target[:]) }

// Block is a header and its transactions. Use it by pointer: it caches its
// hash and size.
type Block struct {
	Header Header
	Txs    []*Tx

	hash atomic.Pointer[common.Hash]
	size atomic.Int64
}

// DecodeBlock decodes a block from its canonical encoding.
func DecodeBlock(b []byte) (*Block, error) {
	blk := new(Block)
	if err := decode(b, blk, MaxBlockSize, "block"); err != nil {
		return nil, err
	}
	blk.size.Store(int64(len(b)))
	return blk, nil
}

// Encode returns the canonical encoding of b.
func (b *Block) Encode() []byte {
	enc := Encode(b)
	b.size.Store(int64(len(enc)))
	return enc
}

// Hash returns the block hash (cached; a block is not changed once hashed).
func (b *Block) Hash() common.Hash {
	if h := b.hash.Load(); h != nil {
		return *h
	}
	h := b.Header.Hash()
	b.hash.Store(&h)
	return h
}

// Size returns the length of the block's encoding (cached).
func (b *Block) Size() int {
	if n := b.size.Load(); n > 0 {
		return int(n)
	}
	return len(b.Encode())
}

// Receipt is the outcome of one transaction in a block.
type Receipt struct {
	Status  ReceiptStatus
	GasUsed uint64
	Output  []byte
	Error   string // why the execution failed; empty when Status is ok
}

// ReceiptStatus is the outcome of a transaction's execution.
type ReceiptStatus uint8

// Receipt statuses.
const (
	StatusOK ReceiptStatus = iota
	StatusOutOfGas
	StatusFault
)

func (s ReceiptStatus) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusOutOfGas:
		return "out_of_gas"
	case StatusFault:
		return "fault"
	}
	return "unknown"
}

// DecodeReceipt decodes a receipt from its canonical encoding.
func DecodeReceipt(b []byte) (*Receipt, error) {
	r := new(Receipt)
	if err := decode(b, r, MaxReceiptSize, "receipt"); err != nil {
		return nil, err
	}
	return r, nil
}
