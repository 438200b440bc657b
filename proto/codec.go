package proto

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/rlp"
)

// Absolute size caps of the encodings. A chain's genesis sets its own,
// smaller limits (max_tx_bytes, max_block_bytes); these caps only bound what
// a decoder will ever look at, so that no input can make it allocate more.
const (
	MaxTxSize      = 1 << 20 // 1 MiB
	MaxHeaderSize  = 512
	MaxBlockSize   = 16 << 20 // 16 MiB
	MaxReceiptSize = 128 << 10
)

// ErrTooLarge is returned for input longer than the cap of its type.
var ErrTooLarge = errors.New("encoding too large")

// ErrNonCanonical is returned for bytes that decode but are not the
// canonical encoding of the value they decode to.
var ErrNonCanonical = errors.New("non-canonical encoding")

// Encode returns the canonical encoding of v (a *Tx, *Header, *Block,
// *Receipt or any other RLP-encodable value of this package).
func Encode(v any) []byte {
	b, err := rlp.EncodeToBytes(v)
	if err != nil {
		// Every type of this package encodes without error; failing here is
		// a programming error, not bad input.
		panic(fmt.Sprintf("proto: encode %T: %v", v, err))
	}
	return b
}

// decode decodes b into v after bounding its size, and requires b to be
// the canonical encoding of the result.
func decode(b []byte, v any, max int, what string) error {
	if len(b) > max {
		return fmt.Errorf("%s: %d bytes > %d: %w", what, len(b), max, ErrTooLarge)
	}
	// rlp checks every declared length against the bytes that remain
	// before allocating, and rejects trailing bytes, non-minimal integers
	// and non-minimal length prefixes.
	if err := rlp.DecodeBytes(b, v); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	re, err := rlp.EncodeToBytes(v)
	if err != nil || !bytes.Equal(re, b) {
		return fmt.Errorf("%s: %w", what, ErrNonCanonical)
	}
	return nil
}
