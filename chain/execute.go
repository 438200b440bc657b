package chain

import (
	"fmt"

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
func ApplyTx(st *State, tx *proto.Tx, sender common.Address, pool *GasPool, fees *uint64) (*proto.Receipt, error) {
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
	fee, _ := proto.MulU64(rcpt.GasUsed, tx.GasPrice) // ≤ gas_limit × gas_price, checked above
	total, ok := proto.AddU64(*fees, fee)
	if !ok {
		st.RevertTo(mark)
		return nil, ruleErr(ErrOverflow, "tx %s: block fees overflow", tx.Hash())
	}
	*fees = total
	*pool -= GasPool(rcpt.GasUsed)
	return rcpt, nil
}

// execute bumps the sender's nonce, charges the fee and runs the kind's
// effect. The checks of ApplyTx have passed.
func execute(st *State, tx *proto.Tx, sender common.Address) (*proto.Receipt, error) {
	gasUsed := IntrinsicGas(tx)
	fee := gasUsed * tx.GasPrice // ≤ cost, which did not overflow
	acct, err := st.Account(sender)
	if err != nil {
		return nil, err
	}
	acct.Nonce++
	acct.Balance -= fee
	if err := st.SetAccount(sender, acct); err != nil {
		return nil, err
	}
	switch tx.Kind {
	case proto.KindTransfer:
		if err := st.SubBalance(sender, tx.Value); err != nil {
			return nil, err
		}
		if err := st.AddBalance(tx.To, tx.Value); err != nil {
			return nil, err
		}
		return &proto.Receipt{Status: proto.StatusOK, GasUsed: gasUsed}, nil
	}
	return nil, ruleErr(ErrNotSupported, "tx %s: kind %s is not supported yet", tx.Hash(), tx.Kind)
}

// ApplyBlock executes b's transactions on st and credits the miner with
// the reward and the fees. senders come from CheckBlock. It returns the
// receipts; the caller compares the roots.
func ApplyBlock(st *State, b *proto.Block, senders []common.Address, g *Genesis) ([]*proto.Receipt, error) {
	pool := GasPool(g.BlockGasLimit)
	var fees uint64
	receipts := make([]*proto.Receipt, len(b.Txs))
	for i, tx := range b.Txs {
		r, err := ApplyTx(st, tx, senders[i], &pool, &fees)
		if err != nil {
			return nil, fmt.Errorf("block %s tx %d: %w", b.Hash(), i, err)
		}
		receipts[i] = r
	}
	pay, ok := proto.AddU64(g.Reward(b.Header.Height), fees)
	if !ok {
		return nil, ruleErr(ErrOverflow, "block %s: reward + fees overflow", b.Hash())
	}
	if err := st.AddBalance(b.Header.Miner, pay); err != nil {
		return nil, err
	}
	return receipts, nil
}
