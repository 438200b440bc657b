package vectors

import (
	"crypto/sha256"
	"fmt"
	"math/big"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// The consensus constants, declared again on purpose.
const (
	txGas       = 1000 // intrinsic gas of a tx
	txDataGas   = 16   // per data byte
	reward      = 50_000_000_000
	intervalMs  = 1000
	maxFutureMs = 15_000
)

// Genesis is the suite's chain: easy targets (1 in 4 hashes solves a
// block), small limits so that the limit rules are cheap to reach, and an
// account near 2^64 for the overflow rule.
func Genesis() *chain.Genesis {
	g := chain.Devnet()
	g.ChainID = 31337
	g.Timestamp = 1_700_000_000_000
	g.Target = (*hexutil.Big)(new(big.Int).Lsh(big.NewInt(1), 254))
	g.PowLimit = (*hexutil.Big)(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(1)))
	g.BlockIntervalMs = intervalMs
	g.HalfLifeMs = 20_000
	g.BlockReward = reward
	g.HalvingInterval = 0
	g.BlockGasLimit = 40_000
	g.MaxBlockBytes = 2048
	g.MaxTxBytes = 600
	g.MinGasPrice = 1
	g.MaxFutureMs = maxFutureMs
	g.Alloc[richAddr] = chain.Amount(^uint64(0) - 1500)
	return g
}

// richAddr holds nearly 2^64: a transfer to it overflows its balance.
var richAddr = common.HexToAddress("0x00000000000000000000000000000000000000f1")

// state is the generator's model of the accounts after a block.
type state map[common.Address]proto.Account

func (s state) clone() state {
	out := make(state, len(s))
	for k, v := range s {
		out[k] = v
	}
	return out
}

// node is a block of the tree with the model state after it.
type node struct {
	name   string
	block  *proto.Block
	parent *node
	state  state
	anchor uint64 // timestamp of block 1 on this branch
}

func (n *node) header() *proto.Header { return &n.block.Header }

// prevTimes are the timestamps of n and up to 10 ancestors.
func (n *node) prevTimes() []uint64 {
	var out []uint64
	for p := n; p != nil && len(out) < 11; p = p.parent {
		out = append(out, p.block.Header.Timestamp)
	}
	return out
}

func median(ts []uint64) uint64 {
	s := append([]uint64(nil), ts...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// effect is what the model expects of a contract tx (deploy, call, exec):
// its receipt, worked out by hand in contracts.go from the gas table
// declared there, and the tape its run leaves when it succeeds.
type effect struct {
	receipt proto.Receipt
	tape    []byte // the tape after a successful run (compact); nil: a deploy, or unchanged
}

// apply runs txs on the model: transfers by the rules, contract txs by
// their expected effect (known, by tx hash). It fails on anything the
// model does not expect to be valid (the generator only builds valid
// blocks through it).
func apply(s state, txs []*proto.Tx, miner common.Address, known map[common.Hash]effect) error {
	var fees uint64
	for _, tx := range txs {
		from, err := wallet.Recover(tx.SigHash(), tx.Sig)
		if err != nil {
			return err
		}
		r := receiptOf(tx, known)
		gas := r.GasUsed
		a := s[from]
		if a.Nonce != tx.Nonce || a.Balance < tx.Value+tx.GasLimit*tx.GasPrice {
			return fmt.Errorf("model: tx %s not valid", tx.Hash())
		}
		a.Nonce++
		a.Balance -= gas * tx.GasPrice
		ok := r.Status == proto.StatusOK
		if ok {
			a.Balance -= tx.Value
		}
		s[from] = a
		fees += gas * tx.GasPrice
		if !ok {
			continue
		}
		to := tx.To
		if tx.Kind == proto.KindDeploy {
			to = crypto.CreateAddress(from, tx.Nonce)
		}
		acct := s[to]
		acct.Balance += tx.Value
		if tx.Kind == proto.KindDeploy {
			acct.CodeHash = crypto.Keccak256Hash(tx.Data)
		}
		if e := known[tx.Hash()]; e.tape != nil {
			acct.TapeHash = crypto.Keccak256Hash(e.tape)
		}
		s[to] = acct
	}
	m := s[miner]
	m.Balance += reward + fees
	s[miner] = m
	for a, acct := range s {
		if acct == (proto.Account{}) {
			delete(s, a)
		}
	}
	return nil
}

// receiptOf is the receipt the model expects of tx: a transfer succeeds
// with its intrinsic gas.
func receiptOf(tx *proto.Tx, known map[common.Hash]effect) proto.Receipt {
	if e, ok := known[tx.Hash()]; ok {
		return e.receipt
	}
	return proto.Receipt{Status: proto.StatusOK, GasUsed: uint64(txGas + txDataGas*len(tx.Data))}
}

func receipts(txs []*proto.Tx, known map[common.Hash]effect) []*proto.Receipt {
	out := make([]*proto.Receipt, len(txs))
	for i, tx := range txs {
		r := receiptOf(tx, known)
		out[i] = &r
	}
	return out
}

// solve finds the first nonce whose hash is under the target (want true)
// or above it (want false, for the bad-PoW vector): deterministic, so the
// suite is the same on every run.
func solve(h *proto.Header, want bool) {
	target := h.TargetBig()
	for h.Nonce = 1 << 56; ; h.Nonce++ { // 8-byte nonces: sizes do not depend on the search
		hash := sha256.Sum256(h.Encode())
		if (new(big.Int).SetBytes(hash[:]).Cmp(target) <= 0) == want {
			return
		}
	}
}
