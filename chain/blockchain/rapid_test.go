package blockchain_test

import (
	"math/big"
	"os"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/chain/state"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
	"pgregory.net/rapid"
)

// rapidChain opens a chain in a temp dir removed when the test ends.
func rapidChain(t *testing.T, g *chain.Genesis) *testchain.Chain {
	dir, err := os.MkdirTemp("", "tinychain-rapid")
	if err != nil {
		t.Fatal(err)
	}
	tc := testchain.Open(t, g, dir)
	t.Cleanup(func() { tc.C.Close(); os.RemoveAll(dir) })
	return tc
}

// branchGen draws a branch: blocks of random valid transfers (random
// senders among the dev keys, random recipients among a few addresses,
// random values) with a random miner each.
func drawBranch(rt *rapid.T, t *testing.T, g *chain.Genesis, label string) [][]*proto.Tx {
	nblocks := rapid.IntRange(1, 5).Draw(rt, label+"_blocks")
	nonces := map[int]uint64{}
	var out [][]*proto.Tx
	for i := 0; i < nblocks; i++ {
		ntx := rapid.IntRange(0, 4).Draw(rt, label+"_txs")
		var txs []*proto.Tx
		for j := 0; j < ntx; j++ {
			from := rapid.IntRange(0, 4).Draw(rt, label+"_from")
			to := common.BigToAddress(big.NewInt(int64(rapid.IntRange(1, 6).Draw(rt, label+"_to"))))
			value := rapid.Uint64Range(0, 1_000_000).Draw(rt, label+"_value")
			txs = append(txs, testchain.Transfer(t, g, from, nonces[from], to, value))
			nonces[from]++
		}
		out = append(out, txs)
	}
	return out
}

// mineBranch mines the branch on tc's head and returns its blocks.
func mineBranch(tc *testchain.Chain, branch [][]*proto.Tx, miner common.Address) []*proto.Block {
	var blocks []*proto.Block
	for _, txs := range branch {
		b := tc.MineOnHead(miner, txs...)
		if err := tc.C.ProcessBlock(b); err != nil {
			tc.T.Fatal(err)
		}
		blocks = append(blocks, b)
	}
	return blocks
}

// touched are the accounts a branch can change.
func touched() []common.Address {
	out := []common.Address{wallet.DevAddress(8), wallet.DevAddress(9)}
	for i := 0; i < 5; i++ {
		out = append(out, wallet.DevAddress(i))
	}
	for i := 1; i <= 6; i++ {
		out = append(out, common.BigToAddress(big.NewInt(int64(i))))
	}
	return out
}

func sameState(t *testing.T, a, b *blockchain.Chain) {
	t.Helper()
	ha, hb := a.Head(), b.Head()
	if ha.Hash != hb.Hash || ha.Header.StateRoot != hb.Header.StateRoot {
		t.Fatalf("heads differ: %d %s vs %d %s", ha.Header.Height, ha.Hash, hb.Header.Height, hb.Hash)
	}
	for _, addr := range touched() {
		x, _ := a.Account(addr)
		y, _ := b.Account(addr)
		if x != y {
			t.Fatalf("account %s: %+v vs %+v", addr, x, y)
		}
	}
}

// TestReorgEqualsReplay: a chain that mined branch A and then received a
// heavier branch B (from genesis) ends in exactly the state of a fresh
// chain that only saw B; and when A grows heavier again, exactly the state
// of a fresh replay of A. Every rollback must restore the exact root.
func TestReorgEqualsReplay(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := testchain.Genesis()
		a := rapidChain(t, g)
		branchA := drawBranch(rt, t, g, "a")
		blocksA := mineBranch(a, branchA, wallet.DevAddress(8))

		b := rapidChain(t, g)
		branchB := drawBranch(rt, t, g, "b")
		blocksB := mineBranch(b, branchB, wallet.DevAddress(9))
		for len(blocksB) <= len(blocksA) {
			blocksB = append(blocksB, mineBranch(b, [][]*proto.Tx{nil}, wallet.DevAddress(9))...)
		}
		for _, blk := range blocksB {
			if err := a.C.ProcessBlock(blk); err != nil {
				t.Fatal(err)
			}
		}
		sameState(t, a.C, b.C)

		// A grows heavier again: a reorg back, compared with a fresh replay.
		replay := rapidChain(t, g)
		for _, blk := range blocksA {
			if err := replay.C.ProcessBlock(blk); err != nil {
				t.Fatal(err)
			}
		}
		for len(blocksA) <= len(blocksB) {
			blocksA = append(blocksA, mineBranch(replay, [][]*proto.Tx{nil}, wallet.DevAddress(8))...)
		}
		for _, blk := range blocksA {
			if err := a.C.ProcessBlock(blk); err != nil && err != chain.ErrDuplicate {
				t.Fatal(err)
			}
		}
		sameState(t, a.C, replay.C)
	})
}

// TestApplyRollbackRestoresRoot: the state root after rolling a random
// block back (a one-block reorg onto an empty sibling with more work) is
// the parent's root, and equals ComputeStateRoot of the model.
func TestApplyRollbackRestoresRoot(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := testchain.Genesis()
		tc := rapidChain(t, g)
		parent := tc.C.Head()
		mineBranch(tc, drawBranch(rt, t, g, "x")[:1], wallet.DevAddress(8))

		// Two empty blocks on the parent outweigh the one above.
		other := rapidChain(t, g)
		for _, blk := range mineBranch(other, [][]*proto.Tx{nil, nil}, wallet.DevAddress(8)) {
			if err := tc.C.ProcessBlock(blk); err != nil {
				t.Fatal(err)
			}
		}
		sameState(t, tc.C, other.C)
		// The model: genesis alloc plus two rewards to dev key 8.
		model := map[common.Address]proto.Account{}
		for a, v := range g.Alloc {
			model[a] = proto.Account{Balance: uint64(v)}
		}
		m := model[wallet.DevAddress(8)]
		m.Balance += 2 * g.Reward(1)
		model[wallet.DevAddress(8)] = m
		root, err := state.ComputeStateRoot(model)
		if err != nil || root != tc.C.Head().Header.StateRoot {
			t.Fatalf("root %s, model %s (%v); parent was %s", tc.C.Head().Header.StateRoot, root, err, parent.Header.StateRoot)
		}
	})
}
