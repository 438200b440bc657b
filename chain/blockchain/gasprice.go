package blockchain

import (
	"slices"

	"github.com/ethereum/go-ethereum/common"
)

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

// gasMemo is the last RecentGasPrices answer and what it was for.
type gasMemo struct {
	head   common.Hash
	n      int
	prices *GasPrices
}

// RecentGasPrices looks at the last n main-chain blocks. The answer is
// kept until the head moves, so however many requests ask, the node
// decodes those blocks (at most n × max_block_bytes) once per head.
func (c *Chain) RecentGasPrices(n int) (*GasPrices, error) {
	c.mu.RLock()
	head := c.head.hash
	var nodes []*blockNode
	for h := len(c.main) - 1; h > 0 && len(nodes) < n; h-- {
		nodes = append(nodes, c.main[h])
	}
	c.mu.RUnlock()
	if m := c.gasPrices.Load(); m != nil && m.head == head && m.n == n {
		p := *m.prices
		return &p, nil
	}
	p, err := c.gasPricesOf(nodes)
	if err != nil {
		return nil, err
	}
	c.gasPrices.Store(&gasMemo{head: head, n: n, prices: p})
	q := *p
	return &q, nil
}

func (c *Chain) gasPricesOf(nodes []*blockNode) (*GasPrices, error) {
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
