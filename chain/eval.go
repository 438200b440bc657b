package chain

import (
	"errors"
	"fmt"
	"slices"

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

// Eval runs req on a snapshot of the head state and changes nothing: the
// seed's machine_eval. The caller bounds GasLimit.
func (c *Chain) Eval(req EvalRequest) (vm.Result, error) {
	st, _, release, err := c.StateView()
	if err != nil {
		return vm.Result{}, err
	}
	defer release()
	code, owner := req.Code, WorldTape
	if req.To != nil {
		owner = *req.To
		if code, err = st.Code(owner); err != nil {
			return vm.Result{}, err
		}
		if code == nil {
			return vm.Result{}, fmt.Errorf("%w: no contract at %s", ErrEval, owner)
		}
	}
	prog, err := st.program(code)
	if err != nil {
		return vm.Result{}, fmt.Errorf("%w: %v", ErrEval, err)
	}
	tape, err := st.LoadTape(owner)
	if err != nil {
		return vm.Result{}, err
	}
	return prog.Run(tape, req.Input, vm.Limits{Gas: req.GasLimit, MaxOutput: vm.MaxOutput}), nil
}

// GasPrices are the gas prices paid in recent main-chain blocks: what a
// wallet bids from.
type GasPrices struct {
	Blocks    int    // blocks looked at
	Txs       int    // txs seen in them
	Min       uint64 // the chain's floor
	Low       uint64 // 25th percentile of recent prices (or the floor)
	Median    uint64
	High      uint64 // 90th percentile
	Suggested uint64 // what a wallet should bid: the median, at least the floor
}

// RecentGasPrices looks at the last n main-chain blocks.
func (c *Chain) RecentGasPrices(n int) (*GasPrices, error) {
	c.mu.RLock()
	var nodes []*blockNode
	for h := len(c.main) - 1; h > 0 && len(nodes) < n; h-- {
		nodes = append(nodes, c.main[h])
	}
	c.mu.RUnlock()
	floor := uint64(c.g.MinGasPrice)
	out := &GasPrices{Blocks: len(nodes), Min: floor}
	var prices []uint64
	for _, n := range nodes {
		b, err := c.Block(n.hash)
		if err != nil {
			return nil, err
		}
		for _, tx := range b.Txs {
			prices = append(prices, tx.GasPrice)
		}
	}
	out.Txs = len(prices)
	pct := func(p int) uint64 {
		if len(prices) == 0 {
			return floor
		}
		return max(prices[(len(prices)-1)*p/100], floor)
	}
	slices.Sort(prices)
	out.Low, out.Median, out.High = pct(25), pct(50), pct(90)
	out.Suggested = out.Median
	return out, nil
}
