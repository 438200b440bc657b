package chain

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tinychain/tinychain/vm"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/proto"
)

// This file is the state transition: transactions and blocks applied to a
// State. It reads and writes only the State it is given.

// GasPool is the gas left in a block.
type GasPool uint64

// ApplyTx executes one transaction whose context-free checks passed
// (sender recovered). It checks the rules that need state (nonce, funds),
// charges the fee into *fees and returns the receipt. A rule error means
// the transaction cannot be in this block; the State is then unchanged.
func ApplyTx(st StateDB, tx *proto.Tx, sender common.Address, pool *GasPool, fees *uint64) (*proto.Receipt, error) {
	if tx.GasLimit > uint64(*pool) {
		return nil, ruleErr(ErrBlockGasLimit, "tx %s: gas limit %d > %d left in block", tx.Hash(), tx.GasLimit, *pool)
	}
	acct, err := st.Account(sender)
	if err != nil {
		return nil, err
	}
	switch {
	case tx.Nonce < acct.Nonce:
		return nil, ruleErr(ErrNonceTooLow, "tx %s: nonce %d, account at %d", tx.Hash(), tx.Nonce, acct.Nonce)
	case tx.Nonce > acct.Nonce:
		return nil, ruleErr(ErrNonceTooHigh, "tx %s: nonce %d, account at %d", tx.Hash(), tx.Nonce, acct.Nonce)
	}
	cost, ok := tx.Cost()
	if !ok {
		return nil, ruleErr(ErrOverflow, "tx %s: cost overflows", tx.Hash())
	}
	if acct.Balance < cost {
		return nil, ruleErr(ErrInsufficientFunds, "tx %s: %s holds %d, needs %d", tx.Hash(), sender, acct.Balance, cost)
	}
	mark := st.Snapshot()
	rcpt, err := execute(st, tx, sender)
	if err != nil {
		st.RevertTo(mark)
		return nil, err
	}
	fee := rcpt.GasUsed * tx.GasPrice // ≤ gas_limit × gas_price, which did not overflow
	total, ok := proto.AddU64(*fees, fee)
	if !ok {
		st.RevertTo(mark)
		return nil, ruleErr(ErrOverflow, "tx %s: block fees overflow", tx.Hash())
	}
	*fees = total
	*pool -= GasPool(rcpt.GasUsed)
	return rcpt, nil
}

// execute bumps the sender's nonce, buys the gas limit, runs the kind's
// effect and refunds the gas left. The checks of ApplyTx have passed. A
// failed run (out of gas, fault) keeps its fee and nonce bump and reverts
// the rest; a broken rule (an overflow) is returned as an error.
func execute(st StateDB, tx *proto.Tx, sender common.Address) (*proto.Receipt, error) {
	acct, err := st.Account(sender)
	if err != nil {
		return nil, err
	}
	acct.Nonce++
	acct.Balance -= tx.GasLimit * tx.GasPrice // ≤ cost, checked by ApplyTx
	if err := st.SetAccount(sender, acct); err != nil {
		return nil, err
	}
	mark := st.Snapshot()
	r, err := run(st, tx, sender)
	if err != nil {
		return nil, err
	}
	if r.Status != proto.StatusOK {
		st.RevertTo(mark)
	}
	if err := AddBalance(st, sender, (tx.GasLimit-r.GasUsed)*tx.GasPrice); err != nil {
		return nil, err
	}
	return r, nil
}

// run performs the effect of tx's kind and returns its receipt, with the
// gas used including the intrinsic gas.
func run(st StateDB, tx *proto.Tx, sender common.Address) (*proto.Receipt, error) {
	gas := IntrinsicGas(tx)
	ok := &proto.Receipt{Status: proto.StatusOK, GasUsed: gas}
	switch tx.Kind {
	case proto.KindTransfer:
		return ok, transferValue(st, sender, tx.To, tx.Value)
	case proto.KindDeploy:
		addr := crypto.CreateAddress(sender, tx.Nonce)
		if acct, err := st.Account(addr); err != nil {
			return nil, err
		} else if acct.IsContract() || acct.Nonce != 0 {
			return fail(gas, proto.ErrCodeAddressTaken), nil
		}
		if err := st.CreateContract(addr, tx.Data); err != nil {
			return nil, err
		}
		return ok, transferValue(st, sender, addr, tx.Value)
	case proto.KindCall:
		acct, err := st.Account(tx.To)
		if err != nil {
			return nil, err
		}
		if !acct.IsContract() {
			return fail(gas, proto.ErrCodeNoContract), nil
		}
		if err := transferValue(st, sender, tx.To, tx.Value); err != nil {
			return nil, err
		}
		left := tx.GasLimit - gas
		// A call that cannot pay to load its contract's code fails before
		// the code is read, let alone prepared: the node's work stays
		// within what the tx pays.
		size, err := st.CodeSize(acct.CodeHash)
		if err != nil {
			return nil, err
		}
		tapeGas, err := tapeLoadGas(st, tx.To)
		if err != nil {
			return nil, err
		}
		if size*vm.GasCodeByte+tapeGas > left {
			return &proto.Receipt{Status: proto.StatusOutOfGas, GasUsed: tx.GasLimit, ErrCode: proto.ErrCodeLoadOutOfGas}, nil
		}
		prog, err := st.Program(acct.CodeHash, left, func() ([]byte, error) { return st.CodeByHash(acct.CodeHash) })
		if err != nil {
			// Deployed code was validated; a stored contract that does not
			// compile is in no valid chain.
			return nil, err
		}
		// A call loads its contract's code (GasCodeByte a byte, added by
		// RunLoaded) and its tape (GasTapeByte a byte) before its first
		// command.
		return runVM(st, tx.To, prog.RunLoaded, tx.Data, gas, vm.Limits{Gas: left, LoadGas: tapeGas})
	case proto.KindExec:
		// An exec's code is its data, paid for at TxDataGasByte (16) a byte
		// in the intrinsic gas: it pays no code load gas on top, only the
		// world tape's load gas.
		left := tx.GasLimit - gas
		tapeGas, err := tapeLoadGas(st, WorldTape)
		if err != nil {
			return nil, err
		}
		if tapeGas > left {
			return &proto.Receipt{Status: proto.StatusOutOfGas, GasUsed: tx.GasLimit, ErrCode: proto.ErrCodeLoadOutOfGas}, nil
		}
		prog, err := st.Program(crypto.Keccak256Hash(tx.Data), left, func() ([]byte, error) { return tx.Data, nil })
		if err != nil {
			return nil, err // exec'd code was validated by CheckTx
		}
		return runVM(st, WorldTape, prog.Run, nil, gas, vm.Limits{Gas: left, LoadGas: tapeGas})
	}
	return nil, ruleErr(ErrBadKind, "tx %s: unknown kind %d", tx.Hash(), uint8(tx.Kind))
}

func transferValue(st StateDB, from, to common.Address, v uint64) error {
	if v == 0 {
		return nil
	}
	if err := SubBalance(st, from, v); err != nil {
		return err
	}
	return AddBalance(st, to, v)
}

// tapeLoadGas is what loading owner's stored tape costs a run: GasTapeByte
// per byte of its compact form, known without reading the tape. Each call
// copies, compares and (when it changed) rehashes and rewrites the tape,
// so this keeps that work within what the run pays.
func tapeLoadGas(st StateDB, owner common.Address) (uint64, error) {
	n, err := st.TapeSize(owner)
	return n * vm.GasTapeByte, err
}

// runVM runs a program (run: its Run or RunLoaded) with input on the tape
// of owner, within lim, and stores the tape if the run succeeded.
func runVM(st StateDB, owner common.Address, run func(*vm.Tape, []byte, vm.Limits) vm.Result, input []byte, intrinsic uint64, lim vm.Limits) (*proto.Receipt, error) {
	tape, err := st.LoadTape(owner)
	if err != nil {
		return nil, err
	}
	lim.MaxOutput = vm.MaxOutput
	res := run(tape, input, lim)
	r := &proto.Receipt{GasUsed: intrinsic + res.GasUsed, Output: res.Output}
	r.ErrCode, r.FaultAt = VMErrCode(res.Err)
	r.Status = r.ErrCode.Status()
	if r.Status == proto.StatusOK {
		return r, st.SetTape(owner, tape)
	}
	return r, nil
}

// VMErrCode returns the receipt's error code and fault position for the
// error of a VM run (nil: ErrCodeNone).
func VMErrCode(err error) (proto.ErrCode, uint64) {
	if err == nil {
		return proto.ErrCodeNone, 0
	}
	var code proto.ErrCode
	switch {
	case errors.Is(err, vm.ErrLoadOutOfGas):
		return proto.ErrCodeLoadOutOfGas, 0
	case errors.Is(err, vm.ErrOutOfGas):
		code = proto.ErrCodeOutOfGas
	case errors.Is(err, vm.ErrTapeLeft):
		code = proto.ErrCodeTapeLeft
	case errors.Is(err, vm.ErrTapeRight):
		code = proto.ErrCodeTapeRight
	case errors.Is(err, vm.ErrOutputOverflow):
		code = proto.ErrCodeOutputOverflow
	default:
		// Unbalanced code never reaches a run here.
		panic(fmt.Sprintf("chain: VM error without a receipt code: %v", err))
	}
	var pe *vm.PosError
	if !errors.As(err, &pe) {
		panic(fmt.Sprintf("chain: VM error without a position: %v", err))
	}
	return code, uint64(pe.Pos)
}

// fail is the receipt of a run that failed before it started.
func fail(gas uint64, code proto.ErrCode) *proto.Receipt {
	return &proto.Receipt{Status: code.Status(), GasUsed: gas, ErrCode: code}
}

// ApplyBlock executes b's transactions on st and credits the miner with
// the reward and the fees. senders come from CheckBlock. It returns the
// receipts; the caller compares the roots.
func ApplyBlock(st StateDB, b *proto.Block, senders []common.Address, g *Genesis) ([]*proto.Receipt, error) {
	return applyBlock(st, b, func(i int) (common.Address, error) { return senders[i], nil }, g)
}

// ApplyCheckedBlock is ApplyBlock while chk (b's StartCheckBlock) is
// still recovering senders: each tx executes as soon as its sender is
// known. A tx whose CheckTx failed stops it with that error; the caller
// must then take chk.Wait's error, which is the first in block order, and
// likewise after any other error, since a later tx's CheckTx error comes
// before an execution error (CheckBlock runs before ApplyBlock).
func ApplyCheckedBlock(st StateDB, b *proto.Block, chk *BlockCheck, g *Genesis) ([]*proto.Receipt, error) {
	return applyBlock(st, b, chk.Sender, g)
}

func applyBlock(st StateDB, b *proto.Block, sender func(int) (common.Address, error), g *Genesis) ([]*proto.Receipt, error) {
	pool := GasPool(g.BlockGasLimit)
	var fees uint64
	receipts := make([]*proto.Receipt, len(b.Txs))
	for i, tx := range b.Txs {
		from, err := sender(i)
		if err != nil {
			return nil, err
		}
		r, err := ApplyTx(st, tx, from, &pool, &fees)
		if err != nil {
			return nil, fmt.Errorf("block %s tx %d: %w", b.Hash(), i, err)
		}
		receipts[i] = r
	}
	pay, ok := proto.AddU64(g.Reward(b.Header.Height), fees)
	if !ok {
		return nil, ruleErr(ErrOverflow, "block %s: reward + fees overflow", b.Hash())
	}
	if err := AddBalance(st, b.Header.Miner, pay); err != nil {
		return nil, err
	}
	return receipts, nil
}
