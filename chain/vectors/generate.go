package vectors

import (
	"crypto/ecdsa"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tinychain/tinychain/chain"
	chainstate "github.com/tinychain/tinychain/chain/state"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// Outcomes of processing a block.
const (
	Accepted      = "accepted"       // stored (whether or not it became the head)
	Orphan        = "orphan"         // parent unknown: its header waits in the orphan pool
	Future        = "future"         // timestamp ahead of the clock: held
	FutureRefused = "future-refused" // more than 2 × max_future_ms ahead: refused, not held
	Duplicate     = "duplicate"      // known already (stored, or held as orphan or future)
	Rejected      = "rejected"       // broke the rule named by Code
	Retry         = "retry"          // not a block: advance the clock, retry held blocks
)

// Vector is one step of the suite.
type Vector struct {
	Name    string        `json:"name"`
	Block   hexutil.Bytes `json:"block,omitempty"`
	Outcome string        `json:"outcome"`
	Code    string        `json:"code,omitempty"`
	// AdvanceClockMs moves the clock forward before the step.
	AdvanceClockMs uint64      `json:"advance_clock_ms,omitempty"`
	Head           common.Hash `json:"head"`
	Height         uint64      `json:"height"`
}

// Suite is the genesis, the clock and the steps.
type Suite struct {
	Genesis *chain.Genesis `json:"genesis"`
	NowMs   uint64         `json:"now_ms"`
	Vectors []Vector       `json:"vectors"`
}

type gen struct {
	g     *chain.Genesis
	nodes map[string]*node
	s     *Suite
	// effects are the expected outcomes of the contract txs (contracts.go)
	effects map[common.Hash]effect
}

type opt func(*proto.Block)

// build makes the valid block name on parent with txs (the model applies
// them), then applies the mungers and solves the proof of work.
func (gn *gen) build(name, parent string, txs []*proto.Tx, munge ...opt) *node {
	p := gn.nodes[parent]
	if p == nil {
		panic("vectors: no block " + parent)
	}
	miner := wallet.DevAddress(9)
	st := p.state.clone()
	if err := apply(st, txs, miner, gn.effects); err != nil {
		// A block meant to break a state rule: keep the parent's state.
		st = p.state.clone()
	}
	root, err := chainstate.ComputeStateRoot(st)
	if err != nil {
		panic(err)
	}
	h := proto.Header{
		Version: chain.HeaderVersion, Height: p.header().Height + 1, PrevHash: p.block.Hash(),
		Timestamp: p.header().Timestamp + intervalMs, Miner: miner,
		Target:       common.BigToHash(chain.NextTarget(gn.g, p.header(), p.anchor)),
		TxRoot:       chain.TxRoot(txs),
		StateRoot:    root,
		ReceiptsRoot: chain.ReceiptsRoot(receipts(txs, gn.effects)),
	}
	b := &proto.Block{Header: h, Txs: txs}
	solveWant := true
	for _, m := range munge {
		if m == nil {
			solveWant = false
			continue
		}
		m(b)
	}
	solve(&b.Header, solveWant)
	n := &node{name: name, block: &proto.Block{Header: b.Header, Txs: b.Txs}, parent: p, state: st, anchor: p.anchor}
	if n.header().Height == 1 {
		n.anchor = n.header().Timestamp
	}
	gn.nodes[name] = n
	return n
}

// badPoW, as a munger, asks for a nonce whose hash is above the target.
var badPoW opt

// expect records the step: the outcome of n and the head after it.
func (gn *gen) expect(n *node, outcome, code, head string) {
	h := gn.nodes[head]
	gn.s.Vectors = append(gn.s.Vectors, Vector{
		Name: n.name, Block: n.block.Encode(), Outcome: outcome, Code: code,
		Head: h.block.Hash(), Height: h.header().Height,
	})
}

// tx signs a transfer from dev key `from` with the nonce the parent's
// state gives (plus skip), for the mungers to change.
func (gn *gen) tx(parent string, from int, to common.Address, value uint64, edit ...func(*proto.Tx)) *proto.Tx {
	return gn.txFrom(parent, wallet.DevKey(from), to, value, edit...)
}

func (gn *gen) txFrom(parent string, k *ecdsa.PrivateKey, to common.Address, value uint64, edit ...func(*proto.Tx)) *proto.Tx {
	addr := wallet.KeyAddress(k)
	tx := &proto.Tx{ChainID: gn.g.ChainID, Nonce: gn.nodes[parent].state[addr].Nonce, Kind: proto.KindTransfer,
		To: to, Value: value, GasLimit: txGas, GasPrice: 1}
	for _, e := range edit {
		e(tx)
	}
	if tx.GasLimit == txGas && len(tx.Data) > 0 {
		tx.GasLimit = uint64(txGas + txDataGas*len(tx.Data))
	}
	sig, err := wallet.Sign(tx.SigHash(), k)
	if err != nil {
		panic(err)
	}
	tx.Sig = sig
	return tx
}

func addr(n int64) common.Address { return common.BigToAddress(big.NewInt(n)) }

func must(ok bool, format string, args ...any) {
	if !ok {
		panic(fmt.Sprintf(format, args...))
	}
}
