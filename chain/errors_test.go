package chain_test

import (
	"testing"

	"github.com/tinychain/tinychain/chain"
)

// TestErrorCodeStringer pins every rule error code's name: peers and tests
// read them, so renaming one (or reordering the codes) must fail here.
func TestErrorCodeStringer(t *testing.T) {
	tests := []struct {
		in   chain.ErrorCode
		want string
	}{
		{0, "code(0)"},
		{chain.ErrBlockTooBig, "block-too-big"},
		{chain.ErrBadVersion, "bad-version"},
		{chain.ErrBadPoW, "bad-pow"},
		{chain.ErrBadTarget, "bad-target"},
		{chain.ErrBadHeight, "bad-height"},
		{chain.ErrTimeTooOld, "time-too-old"},
		{chain.ErrTimeTooNew, "time-too-new"},
		{chain.ErrBadTxRoot, "bad-tx-root"},
		{chain.ErrBadStateRoot, "bad-state-root"},
		{chain.ErrBadReceiptsRoot, "bad-receipts-root"},
		{chain.ErrBlockGasLimit, "block-gas-limit"},
		{chain.ErrDuplicateTx, "duplicate-tx"},
		{chain.ErrTxTooBig, "tx-too-big"},
		{chain.ErrBadChainID, "bad-chain-id"},
		{chain.ErrBadSignature, "bad-signature"},
		{chain.ErrBadKind, "bad-kind"},
		{chain.ErrBadTo, "bad-to"},
		{chain.ErrNonceTooLow, "nonce-too-low"},
		{chain.ErrNonceTooHigh, "nonce-too-high"},
		{chain.ErrInsufficientFunds, "insufficient-funds"},
		{chain.ErrGasPriceTooLow, "gas-price-too-low"},
		{chain.ErrIntrinsicGas, "intrinsic-gas"},
		{chain.ErrOverflow, "overflow"},
		{chain.ErrInvalidAncestor, "invalid-ancestor"},
		{chain.ErrBadGenesis, "bad-genesis"},
		{chain.ErrMalformed, "malformed"},
		{chain.ErrBadCode, "bad-code"},
		{chain.ErrBadValue, "bad-value"},
		{chain.ErrBadValue + 1, "code(29)"}, // a new code must be named here
	}
	for i, tc := range tests {
		if int(tc.in) != i && i != len(tests)-1 || i == len(tests)-1 && int(tc.in) != 29 {
			t.Errorf("%s is code %d, want %d: codes are numbered in order", tc.want, int(tc.in), i)
		}
		if got := tc.in.String(); got != tc.want {
			t.Errorf("code %d: String() = %q, want %q", int(tc.in), got, tc.want)
		}
		if got := tc.in.Error(); got != tc.want {
			t.Errorf("code %d: Error() = %q, want %q", int(tc.in), got, tc.want)
		}
	}
}
