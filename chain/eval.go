package chain

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/vm"
)

// EvalRequest is a dry run: Code on the world tape (as exec would run it),
// or contract To's code on its tape with Input (as call would).
type EvalRequest struct {
	Code     []byte
	To       *common.Address
	Input    []byte
	GasLimit uint64
}

// ErrEval is a request Eval cannot run (no such contract, bad code).
var ErrEval = errors.New("eval")

// ErrEvalTooLarge is eval code longer than the chain's max_tx_bytes.
var ErrEvalTooLarge = errors.New("eval code too large")

// Eval runs req on st (the caller's view, which it may discard after) as
// exec or call would, without a transaction: a dry run. The caller bounds GasLimit (at most the block gas
// limit). Its cost is bounded as a call's: code is at most max_tx_bytes
// (ErrEvalTooLarge), and the run pays GasCodeByte per byte of the code it
// runs (the given code, or the contract's) before its first command, as a
// call does, and GasTapeByte per byte of the tape it starts from, so
// loading both is paid for in gas, and the gas bounds the run.
func Eval(st StateDB, g *Genesis, req EvalRequest) (vm.Result, error) {
	if req.To == nil && len(req.Code) > g.MaxTxBytes {
		return vm.Result{}, fmt.Errorf("%w: %d bytes of code, at most max_tx_bytes = %d", ErrEvalTooLarge, len(req.Code), g.MaxTxBytes)
	}
	var err error
	owner := WorldTape
	var prog *vm.Program
	if req.To != nil {
		owner = *req.To
		acct, err := st.Account(owner)
		if err != nil {
			return vm.Result{}, err
		}
		if !acct.IsContract() {
			return vm.Result{}, fmt.Errorf("%w: no contract at %s", ErrEval, owner)
		}
		size, err := st.CodeSize(acct.CodeHash)
		if err != nil {
			return vm.Result{}, err
		}
		tapeGas, err := tapeLoadGas(st, owner)
		if err != nil {
			return vm.Result{}, err
		}
		if size*vm.GasCodeByte+tapeGas > req.GasLimit {
			// As a call: out of gas before the code is even read.
			return vm.Result{Status: vm.StatusOutOfGas, GasUsed: req.GasLimit, Err: &vm.PosError{Err: vm.ErrLoadOutOfGas}}, nil
		}
		prog, err = st.Program(acct.CodeHash, req.GasLimit, func() ([]byte, error) { return st.CodeByHash(acct.CodeHash) })
		if err != nil {
			return vm.Result{}, err
		}
	} else {
		// Arbitrary code is not cached: it would let a client fill the
		// cache with programs no contract holds.
		if prog, err = vm.Prepare(req.Code, req.GasLimit); err != nil {
			return vm.Result{}, fmt.Errorf("%w: %v", ErrEval, err)
		}
	}
	tape, err := st.LoadTape(owner)
	if err != nil {
		return vm.Result{}, err
	}
	tapeGas, err := tapeLoadGas(st, owner)
	if err != nil {
		return vm.Result{}, err
	}
	return prog.RunLoaded(tape, req.Input, vm.Limits{Gas: req.GasLimit, LoadGas: tapeGas, MaxOutput: vm.MaxOutput}), nil
}
