package chain

import (
	"errors"
	"fmt"
)

// ErrorCode identifies the consensus rule a block or transaction broke.
// Each code is an error itself, so errors.Is(err, ErrBadPoW) works on any
// error that wraps a RuleError.
type ErrorCode int

// Rule error codes. Their names (String) are stable: peers and tests see them.
const (
	// ErrBlockTooBig: the block's encoding exceeds max_block_bytes.
	ErrBlockTooBig ErrorCode = iota + 1
	// ErrBadVersion: the header version is not one this chain accepts.
	ErrBadVersion
	// ErrBadPoW: the header hash is above its target.
	ErrBadPoW
	// ErrBadTarget: the header's target is not the ASERT target for its parent.
	ErrBadTarget
	// ErrBadHeight: the header height is not its parent's plus one.
	ErrBadHeight
	// ErrTimeTooOld: the timestamp is not above the median of the last 11 blocks.
	ErrTimeTooOld
	// ErrTimeTooNew: the timestamp is more than max_future_ms ahead of the
	// local clock. Not a fault of the block: it is held and retried.
	ErrTimeTooNew
	// ErrBadTxRoot: tx_root is not the Merkle root of the block's transactions.
	ErrBadTxRoot
	// ErrBadStateRoot: state_root is not the state after executing the block.
	ErrBadStateRoot
	// ErrBadReceiptsRoot: receipts_root is not the root of the block's receipts.
	ErrBadReceiptsRoot
	// ErrBlockGasLimit: a transaction's gas limit exceeds the gas left in the block.
	ErrBlockGasLimit
	// ErrDuplicateTx: a transaction appears twice in one block.
	ErrDuplicateTx
	// ErrTxTooBig: a transaction's encoding exceeds max_tx_bytes.
	ErrTxTooBig
	// ErrBadChainID: the transaction is for another chain.
	ErrBadChainID
	// ErrBadSignature: the signature is malformed, high-S, or does not recover.
	ErrBadSignature
	// ErrBadKind: the transaction kind is unknown.
	ErrBadKind
	// ErrBadTo: the recipient field does not fit the kind (deploy and exec
	// need the zero address; transfer and call need a non-zero one).
	ErrBadTo
	// ErrNonceTooLow: the nonce is below the sender's account nonce.
	ErrNonceTooLow
	// ErrNonceTooHigh: the nonce is above the sender's account nonce.
	ErrNonceTooHigh
	// ErrInsufficientFunds: the sender cannot pay value + gas_limit × gas_price.
	ErrInsufficientFunds
	// ErrGasPriceTooLow: gas_price is below the chain's min_gas_price.
	ErrGasPriceTooLow
	// ErrIntrinsicGas: gas_limit is below the transaction's intrinsic gas.
	ErrIntrinsicGas
	// ErrOverflow: an amount would overflow 64 bits.
	ErrOverflow
	// ErrInvalidAncestor: the block descends from an invalid block.
	ErrInvalidAncestor
	// ErrBadGenesis: the block claims height 0 or the genesis is malformed.
	ErrBadGenesis
	// ErrMalformed: the bytes do not decode to a canonical block or tx.
	ErrMalformed
	// ErrBadCode: contract code whose brackets do not balance.
	ErrBadCode
	// ErrBadValue: a value where the kind takes none (exec).
	ErrBadValue
)

var codeNames = map[ErrorCode]string{
	ErrBlockTooBig:       "block-too-big",
	ErrBadVersion:        "bad-version",
	ErrBadPoW:            "bad-pow",
	ErrBadTarget:         "bad-target",
	ErrBadHeight:         "bad-height",
	ErrTimeTooOld:        "time-too-old",
	ErrTimeTooNew:        "time-too-new",
	ErrBadTxRoot:         "bad-tx-root",
	ErrBadStateRoot:      "bad-state-root",
	ErrBadReceiptsRoot:   "bad-receipts-root",
	ErrBlockGasLimit:     "block-gas-limit",
	ErrDuplicateTx:       "duplicate-tx",
	ErrTxTooBig:          "tx-too-big",
	ErrBadChainID:        "bad-chain-id",
	ErrBadSignature:      "bad-signature",
	ErrBadKind:           "bad-kind",
	ErrBadTo:             "bad-to",
	ErrNonceTooLow:       "nonce-too-low",
	ErrNonceTooHigh:      "nonce-too-high",
	ErrInsufficientFunds: "insufficient-funds",
	ErrGasPriceTooLow:    "gas-price-too-low",
	ErrIntrinsicGas:      "intrinsic-gas",
	ErrOverflow:          "overflow",
	ErrInvalidAncestor:   "invalid-ancestor",
	ErrBadGenesis:        "bad-genesis",
	ErrMalformed:         "malformed",
	ErrBadCode:           "bad-code",
	ErrBadValue:          "bad-value",
}

func (c ErrorCode) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return fmt.Sprintf("code(%d)", int(c))
}

func (c ErrorCode) Error() string { return c.String() }

// RuleError is a broken consensus rule: its code and the details.
type RuleError struct {
	Code   ErrorCode
	Detail string
}

func (e *RuleError) Error() string { return e.Code.String() + ": " + e.Detail }

// Unwrap returns the code, so errors.Is matches it.
func (e *RuleError) Unwrap() error { return e.Code }

func ruleErr(c ErrorCode, format string, args ...any) error {
	return &RuleError{Code: c, Detail: fmt.Sprintf(format, args...)}
}

// CodeOf returns the rule code of err, or 0 if err is not a rule error.
func CodeOf(err error) ErrorCode {
	var re *RuleError
	if errors.As(err, &re) {
		return re.Code
	}
	var c ErrorCode
	if errors.As(err, &c) {
		return c
	}
	return 0
}

// Non-rule outcomes of ProcessBlock. None is the sender's fault but
// ErrOrphanFlood (IsPeerFault).
var (
	// ErrOrphan: the block's parent is unknown; its header waits in the
	// orphan pool (the block itself is fetched again once the parent is in).
	ErrOrphan = errors.New("orphan block: parent unknown")
	// ErrOrphanFlood: the sender's orphans already wait for too many
	// unknown parents; the header is not kept.
	ErrOrphanFlood = errors.New("orphan flood: too many unknown parents from one peer")
	// ErrDuplicate: the block is known already (stored, or held).
	ErrDuplicate = errors.New("block already known")
	// ErrFutureBlock: the block is a little ahead of our clock; it is held
	// and retried when its time comes (the error says when).
	ErrFutureBlock = errors.New("block from the future: held")
	// ErrFutureRefused: the block is too far ahead of our clock to hold,
	// or its sender's share of the held set is used up; it is not kept.
	ErrFutureRefused = errors.New("block from the future: refused")
	// ErrLowWork: the block's chain has less work than the anti-DoS
	// threshold (or, for gossip, than the head); it is not stored.
	ErrLowWork = errors.New("block chain work too low")
	// ErrExecution wraps the rule error of a block that was stored and
	// then failed its state transition when connected.
	ErrExecution = errors.New("block failed execution")
)

// IsPeerFault reports whether err is a rule that the peer which sent the
// block or tx could have checked itself, without state: encoding, sizes,
// PoW, signatures, tx_root, the header against its parent; or an orphan
// flood. Only such errors may lower a peer's standing. A block that fails
// in execution (state root, receipts root, nonces, funds, gas left, any
// rule found while connecting: ErrExecution) or descends from an invalid
// block is not its relayer's fault: an honest peer relays what it could
// not execute. Neither is a block held, refused for its time or its low
// work, a duplicate or an orphan.
func IsPeerFault(err error) bool {
	if errors.Is(err, ErrOrphanFlood) {
		return true
	}
	if errors.Is(err, ErrExecution) {
		return false
	}
	switch CodeOf(err) {
	case 0, ErrTimeTooNew, ErrInvalidAncestor, ErrBadStateRoot, ErrBadReceiptsRoot,
		ErrNonceTooLow, ErrNonceTooHigh, ErrInsufficientFunds:
		return false
	}
	return true
}
