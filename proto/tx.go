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
	// decodedHash holds the hash that the decoders compute before the tx
	// is shared, so that caching it costs no allocation; hash points at
	// it. Hash, which may run on one tx in several goroutines at once,
	// allocates its own instead.
	decodedHash common.Hash
}

// DecodeTx decodes a transaction from its canonical encoding.
func DecodeTx(b []byte) (*Tx, error) {
	if len(b) > MaxTxSize {
		return nil, fmt.Errorf("tx: %d bytes > %d: %w", len(b), MaxTxSize, ErrTooLarge)
	}
	payload, err := wholeList(b)
	if err != nil {
		return nil, fmt.Errorf("tx: %w", err)
	}
	tx := new(Tx)
	if err := tx.decodeFields(payload); err != nil {
		return nil, fmt.Errorf("tx: %w", err)
	}
	tx.setEncoding(b)
	return tx, nil
}

// decodeFields reads the fields, in Tx's field order and of the sizes of
// their types, from the payload of the tx's list with the strict reader
// (rlp.go): what it accepts is canonical, so the bytes need no
// re-encoding.
func (tx *Tx) decodeFields(payload []byte) error {
	r := listReader{b: payload}
	tx.ChainID = r.uint("chain_id", 8)
	tx.Nonce = r.uint("nonce", 8)
	tx.Kind = TxKind(r.uint("kind", 1))
	r.fixed("to", tx.To[:])
	tx.Value = r.uint("value", 8)
	tx.GasLimit = r.uint("gas_limit", 8)
	tx.GasPrice = r.uint("gas_price", 8)
	tx.Data = r.bytes("data")
	r.fixed("sig", tx.Sig[:])
	return r.end()
}

// setEncoding caches the hash and size of enc, the tx's canonical
// encoding, on a tx that no other goroutine sees yet.
func (tx *Tx) setEncoding(enc []byte) {
	s := hashers.Get().(*hasher)
	tx.decodedHash = s.sum(enc, nil, nil)
	hashers.Put(s)
	tx.hash.Store(&tx.decodedHash)
	tx.size.Store(int64(len(enc)))
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
// encoding of every field but Sig, the RLP list [chain_id, nonce, kind,
// to, value, gas_limit, gas_price, data]. It is taken for every tx whose
// sender is recovered, so it encodes by hand into a pooled buffer and
// hasher instead of through rlp's reflection (TestSigHashMatchesRLP and the
// fuzz tests hold the two equal).
func (tx *Tx) SigHash() common.Hash {
	s := hashers.Get().(*hasher)
	defer hashers.Put(s)
	fields := appendUint(s.fields[:0], tx.ChainID)
	fields = appendUint(fields, tx.Nonce)
	fields = appendUint(fields, uint64(tx.Kind))
	fields = append(append(fields, 0x80+common.AddressLength), tx.To[:]...)
	fields = appendUint(fields, tx.Value)
	fields = appendUint(fields, tx.GasLimit)
	fields = appendUint(fields, tx.GasPrice)
	fields = appendStringHeader(fields, tx.Data) // the data itself follows
	list := appendHeader(s.list[:0], 0xc0, len(fields)+len(tx.Data))
	return s.sum(list, fields, tx.Data)
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
