// Package testchain holds the test fixtures that the tests of chain/...,
// node, gossip and the examples share: a genesis on which blocks are mined
// instantly, a real chain in a temporary LevelDB with a clock the test
// sets, and signed dev-key transactions. It is imported by tests only.
package testchain

import (
	"context"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/chain/miner"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// ChainID is the chain id of Genesis.
const ChainID = 99

// Genesis is the devnet with the easiest target (2^255 − 1, also the pow
// limit: half of all hashes solve a block, so tests mine instantly) and
// 1 s blocks. Callers change what they need (another chain id, a shorter
// interval). The devnet's 60 s ASERT half-life stays: a node that mines
// far ahead of the schedule slows down, as on a real network.
func Genesis() *chain.Genesis {
	g := chain.Devnet()
	g.ChainID = ChainID
	limit := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(1))
	g.Target = (*hexutil.Big)(limit)
	g.PowLimit = (*hexutil.Big)(new(big.Int).Set(limit))
	g.BlockIntervalMs = 1000
	return g
}

// WriteGenesis writes g as JSON into a temp dir and returns the path.
func WriteGenesis(t testing.TB, g *chain.Genesis) string {
	t.Helper()
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "genesis.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Chain is a real chain in a LevelDB directory, closed when the test ends,
// whose clock (Clock, in ms) the test sets: it starts 10^9 ms after the
// genesis, far enough that no block a test mines is from the future.
type Chain struct {
	T     testing.TB
	G     *chain.Genesis
	C     *blockchain.Chain
	Clock atomic.Int64 // ms
}

// New opens a chain for g in a fresh temp dir.
func New(t testing.TB, g *chain.Genesis) *Chain { return Open(t, g, t.TempDir()) }

// Open opens (or reopens) the chain for g in dir.
func Open(t testing.TB, g *chain.Genesis, dir string) *Chain {
	t.Helper()
	tc := &Chain{T: t, G: g}
	tc.Clock.Store(int64(g.Timestamp) + 1_000_000_000)
	c, err := blockchain.Open(blockchain.Config{Dir: dir, Genesis: g, Now: tc.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	tc.C = c
	return tc
}

// Now is the chain's clock.
func (tc *Chain) Now() time.Time { return time.UnixMilli(tc.Clock.Load()) }

// MineAny assembles whatever of txs applies on the head, one interval
// after its parent, and solves it.
func (tc *Chain) MineAny(coinbase common.Address, txs []*proto.Tx) *proto.Block {
	tc.T.Helper()
	tpl, err := tc.C.NewTemplate()
	if err != nil {
		tc.T.Fatal(err)
	}
	defer tpl.Release()
	b, _, err := miner.Assemble(tpl, tc.G, coinbase, tpl.Parent.Timestamp+uint64(tc.G.BlockIntervalMs), txs)
	if err != nil {
		tc.T.Fatal(err)
	}
	Solve(tc.T, &b.Header)
	return b
}

// MineOnHead assembles a block of txs on the head, one interval after its
// parent, and solves it; every tx must fit.
func (tc *Chain) MineOnHead(coinbase common.Address, txs ...*proto.Tx) *proto.Block {
	tc.T.Helper()
	b := tc.MineAny(coinbase, txs)
	if len(b.Txs) != len(txs) {
		tc.T.Fatalf("assembled %d of %d txs", len(b.Txs), len(txs))
	}
	Solve(tc.T, &b.Header)
	return b
}

// Solve grinds h's nonce on one thread.
func Solve(t testing.TB, h *proto.Header) {
	t.Helper()
	var n atomic.Uint64
	if !miner.Solve(context.Background(), h, 1, &n) {
		t.Fatal("no solution")
	}
}

// Sign fills in tx's chain id (and a gas price of 1 if it has none) and
// signs it with dev key from.
func Sign(t testing.TB, g *chain.Genesis, from int, tx *proto.Tx) *proto.Tx {
	t.Helper()
	tx.ChainID = g.ChainID
	if tx.GasPrice == 0 {
		tx.GasPrice = 1
	}
	sig, err := wallet.Sign(tx.SigHash(), wallet.DevKey(from))
	if err != nil {
		t.Fatal(err)
	}
	tx.Sig = sig
	return tx
}

// Transfer is a signed transfer of value from dev key from, at gas price 1.
func Transfer(t testing.TB, g *chain.Genesis, from int, nonce uint64, to common.Address, value uint64) *proto.Tx {
	t.Helper()
	return Sign(t, g, from, &proto.Tx{Nonce: nonce, Kind: proto.KindTransfer, To: to, Value: value, GasLimit: chain.TxGas})
}
