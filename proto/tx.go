package proto

import (
	"fmt"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// TxKind says what a transaction does.
type TxKind uint8

// The transaction kinds.
const (
	KindTransfer TxKind = iota // moves value to To
	KindDeploy                 // creates a contract whose code is Data
	KindCall                   // runs contract To with Data as input
	KindExec                   // runs Data as code on the shared world tape
	numKinds
)

var kindNames = [numKinds]string{"transfer", "deploy", "call", "exec"}

func (k TxKind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Valid reports whether k is a known kind.
func (k TxKind) Valid() bool { return k < numKinds }

// ParseKind parses a kind name as String prints it.
func ParseKind(s string) (TxKind, error) {
	for i, n := range kindNames {
		if n == s {
			return TxKind(i), nil
		}
	}
	return 0, fmt.Errorf("unknown tx kind %q", s)
}

// SigSize is the size of a recoverable signature [R || S || V].
const SigSize = 65

// Tx is a signed transaction. Its field order is its encoding order.
// Use it by pointer: it caches its hashes and sender.
type Tx struct {
	ChainID  uint64
	Nonce    uint64
	Kind     TxKind
	To       common.Address // zero for deploy and exec
	Value    uint64
	GasLimit uint64
	GasPrice uint64
	Data     []byte
	Sig      [SigSize]byte

	hash   atomic.Pointer[common.Hash]
	sender atomic.Pointer[common.Address]
	size   atomic.Int64
}

// unsignedTx is a Tx without its signature: what the signature covers.
type unsignedTx struct {
	ChainID  uint64
	Nonce    uint64
	Kind     TxKind
	To       common.Address
	Value    uint64
	GasLimit uint64
	GasPrice uint64
	Data     []byte
}

// DecodeTx decodes a transaction from its canonical encoding.
func DecodeTx(b []byte) (*Tx, error) {
	tx := new(Tx)
	if err := decode(b, tx, MaxTxSize, "tx"); err != nil {
		return nil, err
	}
	h := crypto.Keccak256Hash(b)
	tx.hash.Store(&h)
	tx.size.Store(int64(len(b)))
	return tx, nil
}

// Encode returns the canonical encoding of tx.
func (tx *Tx) Encode() []byte { return Encode(tx) }

// Hash returns Keccak-256 of the canonical encoding (cached).
func (tx *Tx) Hash() common.Hash {
	if h := tx.hash.Load(); h != nil {
		return *h
	}
	b := tx.Encode()
	h := crypto.Keccak256Hash(b)
	tx.hash.Store(&h)
	tx.size.Store(int64(len(b)))
	return h
}

// Size returns the length of the canonical encoding (cached).
func (tx *Tx) Size() int {
	if n := tx.size.Load(); n > 0 {
		return int(n)
	}
	tx.Hash()
	return int(tx.size.Load())
}

// SigHash returns the hash the signature covers: Keccak-256 of the
// encoding of every field but Sig.
func (tx *Tx) SigHash() common.Hash {
	return crypto.Keccak256Hash(Encode(&unsignedTx{
		tx.ChainID, tx.Nonce, tx.Kind, tx.To, tx.Value, tx.GasLimit, tx.GasPrice, tx.Data,
	}))
}

// CachedSender returns the sender recovered earlier, if any.
func (tx *Tx) CachedSender() (common.Address, bool) {
	if a := tx.sender.Load(); a != nil {
		return *a, true
	}
	return common.Address{}, false
}

// SetSender caches the sender recovered from the signature.
func (tx *Tx) SetSender(a common.Address) { tx.sender.Store(&a) }

// Cost returns value + gas_limit × gas_price, the balance the sender must
// hold, and false if it overflows 64 bits.
func (tx *Tx) Cost() (uint64, bool) {
	fee, ok := MulU64(tx.GasLimit, tx.GasPrice)
	if !ok {
		return 0, false
	}
	return AddU64(fee, tx.Value)
}
