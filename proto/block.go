package proto

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
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

// DecodeBlock decodes a block from its canonical encoding. The header goes
// through decode (rlp, then the re-encoding check); the txs, which are
// nearly all of a block, through the strict reader (rlp.go), and each
// tx's hash is taken from its own bytes, which are its canonical encoding.
func DecodeBlock(b []byte) (*Block, error) {
	if len(b) > MaxBlockSize {
		return nil, fmt.Errorf("block: %d bytes > %d: %w", len(b), MaxBlockSize, ErrTooLarge)
	}
	payload, err := wholeList(b)
	if err != nil {
		return nil, fmt.Errorf("block: %w", err)
	}
	r := listReader{b: payload}
	_, header := r.next("header", true)
	txs, _ := r.next("txs", true)
	if err := r.end(); err != nil {
		return nil, fmt.Errorf("block: %w", err)
	}
	blk := new(Block)
	// Capped as a part of b, not by MaxHeaderSize: as before, a header too
	// long for its fields is an rlp error here, not ErrTooLarge.
	if err := decode(header, &blk.Header, MaxBlockSize, "block header"); err != nil {
		return nil, err
	}
	if blk.Txs, err = decodeTxList(txs); err != nil {
		return nil, fmt.Errorf("block: %w", err)
	}
	blk.size.Store(int64(len(b)))
	return blk, nil
}

// decodeTxList decodes the payload of a block's tx list.
func decodeTxList(payload []byte) ([]*Tx, error) {
	txs := []*Tx{} // an empty list decodes to an empty slice, as with rlp
	for rest := payload; len(rest) > 0; {
		fields, list, next, err := splitItem(rest)
		if err == nil && !list {
			err = rlp.ErrExpectedList
		}
		tx := new(Tx)
		if err == nil {
			err = tx.decodeFields(fields)
		}
		if err != nil {
			return nil, fmt.Errorf("tx %d: %w", len(txs), err)
		}
		tx.setEncoding(rest[:len(rest)-len(next)])
		txs = append(txs, tx)
		rest = next
	}
	return txs, nil
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

// Receipt is the outcome of one transaction in a block. Its encoding is
// the RLP list [status, gas_used, output, err_code, fault_at] in this field
// order; receipts_root commits to the Keccak-256 of each. It names why a
// run failed by code and position only, never by text, so that rewording
// a message cannot change a root: ErrorText renders the message.
type Receipt struct {
	Status  ReceiptStatus
	GasUsed uint64
	Output  []byte
	ErrCode ErrCode // why the run failed; ErrCodeNone when Status is ok
	// FaultAt is the byte offset, in the code that ran (the called
	// contract's code, or an exec's data), of the command that failed:
	// the command that ran out of gas (not run) or the one that faulted.
	// It is 0 for the codes that name no command (HasPosition false).
	FaultAt uint64
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

// ErrCode is why a transaction's run failed, as its receipt commits to it.
// The values are consensus: a new code is a new rule.
type ErrCode uint8

// Error codes. TestErrCodeNames pins every value and name.
const (
	// ErrCodeNone: the run succeeded (status ok).
	ErrCodeNone ErrCode = iota
	// ErrCodeOutOfGas: a command's cost did not fit in the gas left; it was
	// not run (status out_of_gas; FaultAt: that command).
	ErrCodeOutOfGas
	// ErrCodeLoadOutOfGas: the gas left after the intrinsic gas did not
	// cover loading the called code (1 gas per byte); no command ran
	// (status out_of_gas).
	ErrCodeLoadOutOfGas
	// ErrCodeTapeLeft: a < at cell 0 (status fault; FaultAt: the <, or the
	// [ of the scan loop that would leave the tape).
	ErrCodeTapeLeft
	// ErrCodeTapeRight: a > at the last cell (status fault; FaultAt as for
	// ErrCodeTapeLeft).
	ErrCodeTapeRight
	// ErrCodeOutputOverflow: a . with the output already at its cap
	// (status fault; FaultAt: the .).
	ErrCodeOutputOverflow
	// ErrCodeNoContract: a call of an address without code (status fault).
	ErrCodeNoContract
	// ErrCodeAddressTaken: a deploy whose contract address already holds a
	// contract or a used nonce (status fault).
	ErrCodeAddressTaken

	numErrCodes
)

var errCodeInfo = [numErrCodes]struct {
	name, text string
	status     ReceiptStatus
	pos        bool
}{
	ErrCodeNone:           {"none", "", StatusOK, false},
	ErrCodeOutOfGas:       {"out_of_gas", "out of gas", StatusOutOfGas, true},
	ErrCodeLoadOutOfGas:   {"load_out_of_gas", "out of gas loading the code (1 gas per byte)", StatusOutOfGas, false},
	ErrCodeTapeLeft:       {"tape_left", "tape fault: < at cell 0", StatusFault, true},
	ErrCodeTapeRight:      {"tape_right", "tape fault: > at the last cell", StatusFault, true},
	ErrCodeOutputOverflow: {"output_overflow", "output overflow", StatusFault, true},
	ErrCodeNoContract:     {"no_contract", "no contract at the called address", StatusFault, false},
	ErrCodeAddressTaken:   {"address_taken", "the contract address is taken", StatusFault, false},
}

// String returns the code's name, as the API shows it in "error_code".
func (c ErrCode) String() string {
	if c < numErrCodes {
		return errCodeInfo[c].name
	}
	return fmt.Sprintf("err_code(%d)", uint8(c))
}

// Valid reports whether c is a defined code.
func (c ErrCode) Valid() bool { return c < numErrCodes }

// Status returns the receipt status that goes with the code.
func (c ErrCode) Status() ReceiptStatus { return errCodeInfo[c%numErrCodes].status }

// HasPosition reports whether the code names a command (FaultAt).
func (c ErrCode) HasPosition() bool { return c < numErrCodes && errCodeInfo[c].pos }

// ErrorText renders the receipt's error for people: the code's message
// and, when it names a command, its byte offset. Empty when the run
// succeeded. It is not committed to: it may be reworded freely.
func (r *Receipt) ErrorText() string {
	if r.ErrCode == ErrCodeNone || !r.ErrCode.Valid() {
		return ""
	}
	text := errCodeInfo[r.ErrCode].text
	if r.ErrCode.HasPosition() {
		text += fmt.Sprintf(" at byte %d", r.FaultAt)
	}
	return text
}

// ErrBadReceipt is returned for a receipt whose fields contradict each
// other (an unknown code, a status that is not the code's, a position
// where the code names none).
var ErrBadReceipt = errors.New("inconsistent receipt")

// Check reports whether the receipt's fields agree: a defined code, the
// code's status, and FaultAt 0 unless the code names a command.
func (r *Receipt) Check() error {
	switch {
	case !r.ErrCode.Valid():
		return fmt.Errorf("receipt: %w: unknown error code %d", ErrBadReceipt, uint8(r.ErrCode))
	case r.Status != r.ErrCode.Status():
		return fmt.Errorf("receipt: %w: status %s with error code %s", ErrBadReceipt, r.Status, r.ErrCode)
	case !r.ErrCode.HasPosition() && r.FaultAt != 0:
		return fmt.Errorf("receipt: %w: fault_at %d with error code %s", ErrBadReceipt, r.FaultAt, r.ErrCode)
	}
	return nil
}

// DecodeReceipt decodes a receipt from its canonical encoding and checks
// that its fields agree.
func DecodeReceipt(b []byte) (*Receipt, error) {
	r := new(Receipt)
	if err := decode(b, r, MaxReceiptSize, "receipt"); err != nil {
		return nil, err
	}
	return r, r.Check()
}
