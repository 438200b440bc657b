package blockchain_test

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/chain/miner"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// lateGenesis is the devnet's timing (2 s blocks, 60 s half-life) at an
// easier target (2^246: about 1,000 hashes a block), so that a branch
// whose block 1 is stamped at the genesis time and whose later blocks are
// stamped months later gets pow_limit targets from ASERT: about 2 hashes
// a block, the cheap side chain of a spammer.
func lateGenesis() *chain.Genesis {
	g := chain.Devnet()
	g.ChainID = 77
	g.Target = (*hexutil.Big)(new(big.Int).Lsh(big.NewInt(1), 246))
	return g
}

// sideChild builds a child of parent with the target the chain demands
// and garbage state and receipts roots (a block only stored is never
// executed), carrying txs.
func sideChild(t testing.TB, g *chain.Genesis, parent *proto.Header, anchor, ts uint64, salt byte, txs ...*proto.Tx) *proto.Block {
	t.Helper()
	if parent.Height == 0 {
		anchor = ts
	}
	b := &proto.Block{Header: proto.Header{
		Version: chain.HeaderVersion, Height: parent.Height + 1, PrevHash: parent.Hash(), Timestamp: ts,
		Target: common.BigToHash(chain.NextTarget(g, parent, anchor)), TxRoot: chain.TxRoot(txs),
		StateRoot: common.Hash{0xde, 0xad}, ReceiptsRoot: common.Hash{salt}, Miner: common.Address{0xba, 0xd},
	}, Txs: txs}
	testchain.Solve(t, &b.Header)
	return b
}

// mineHonest extends tc's head by k valid empty blocks, one interval apart.
func mineHonest(t *testing.T, tc *testchain.Chain, k int) {
	t.Helper()
	for i := 0; i < k; i++ {
		if err := tc.C.ProcessBlock(tc.MineOnHead(wallet.DevAddress(9))); err != nil {
			t.Fatal(err)
		}
	}
}

func headerAt(t *testing.T, c *blockchain.Chain, h uint64) *proto.Header {
	t.Helper()
	hash, err := c.HashAt(h)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.HeaderByHash(hash)
	if err != nil {
		t.Fatal(err)
	}
	return &info.Header
}

// badSigTxs are n transfers whose signatures do not recover: a block
// carrying them fails CheckBlock, so an outcome other than bad-signature
// proves its body was never checked (no signature recovered).
func badSigTxs(g *chain.Genesis, n int) []*proto.Tx {
	var txs []*proto.Tx
	for i := 0; i < n; i++ {
		tx := &proto.Tx{ChainID: g.ChainID, Nonce: uint64(i), Kind: proto.KindTransfer, To: common.Address{1}, GasLimit: chain.TxGas, GasPrice: 1}
		tx.Sig = [65]byte{}
		txs = append(txs, tx)
	}
	return txs
}

// TestLowWorkSideBranchNotStored: attack 3 on a chain past the margin. A
// branch forked at genesis whose blocks come late (cheap: ASERT eases its
// targets to pow_limit) has far less work than the head's minus the
// margin: its blocks are refused with ErrLowWork before their bodies are
// checked, nothing is stored, and the cheap blocks after them are orphan
// headers, bounded. At the boundary, a side block whose chain has exactly
// the threshold's work is stored; one block's work less is not.
func TestLowWorkSideBranchNotStored(t *testing.T) {
	g := lateGenesis()
	tc := testchain.New(t, g)
	mineHonest(t, tc, blockchain.WorkMarginBlocks+6)
	c := tc.C
	head := c.Head()
	threshold := c.AntiDoSWorkThreshold()
	perBlock := chain.CalcWork(head.Header.TargetBig())
	if want := new(big.Int).Sub(head.TotalWork, new(big.Int).Mul(perBlock, big.NewInt(blockchain.WorkMarginBlocks))); threshold.Cmp(want) != 0 {
		t.Fatalf("threshold %s, want %s", threshold, want)
	}

	// The boundary: the side child of block h has work (h+2) blocks (the
	// genesis counts); the threshold is 7 blocks' work.
	anchor := headerAt(t, c, 1).Timestamp
	at := sideChild(t, g, headerAt(t, c, 5), anchor, headerAt(t, c, 5).Timestamp+1, 1)
	if err := c.ProcessBlock(at); err != nil {
		t.Fatalf("side block at the threshold: %v", err)
	}
	below := sideChild(t, g, headerAt(t, c, 4), anchor, headerAt(t, c, 4).Timestamp+1, 2, badSigTxs(g, 3)...)
	if err := c.ProcessBlock(below); !errors.Is(err, chain.ErrLowWork) {
		t.Fatalf("side block one block below the threshold: %v, want ErrLowWork", err)
	}
	if chain.IsPeerFault(chain.ErrLowWork) {
		t.Fatal("low work is not a peer's fault")
	}

	// The cheap branch from genesis.
	gen, _ := blockchain.GenesisBlock(g)
	a1 := sideChild(t, g, &gen.Header, 0, g.Timestamp+1, 3)
	now := uint64(tc.Clock.Load())
	a2 := sideChild(t, g, &a1.Header, a1.Header.Timestamp, now-60_000, 4)
	if err := c.ProcessBlock(a1); !errors.Is(err, chain.ErrLowWork) {
		t.Fatalf("a1: %v, want ErrLowWork", err)
	}
	par := &a2.Header
	for i := 0; i < 200; i++ {
		b := sideChild(t, g, par, a1.Header.Timestamp, par.Timestamp+1, byte(i))
		if b.Header.TargetBig().Cmp(g.PowLimit.ToInt()) != 0 {
			t.Fatalf("cheap block %d: target is not pow_limit", i)
		}
		if err := c.ProcessBlock(b); !errors.Is(err, chain.ErrOrphan) {
			t.Fatalf("cheap block %d: %v, want ErrOrphan", i, err)
		}
		par = &b.Header
	}
	for _, b := range []*proto.Block{below, a1, a2} {
		if _, err := c.HeaderByHash(b.Hash()); !errors.Is(err, blockchain.ErrNotFound) {
			t.Fatalf("block %s below the threshold is indexed", b.Hash())
		}
	}
	if c.Head().Hash != head.Hash {
		t.Fatal("head moved")
	}
	if _, orphans, _ := c.PendingCounts(); orphans > 64 {
		t.Fatalf("%d orphans", orphans)
	}
}

// TestFullSideBlocksBelowThresholdCostNothing: the disk-filling form of
// attack 3 (max-size side blocks of stateless-valid txs on the cheap
// branch). The body of a block below the threshold is never checked (its
// broken signatures go unnoticed) nor written.
func TestFullSideBlocksBelowThresholdCostNothing(t *testing.T) {
	g := lateGenesis()
	tc := testchain.New(t, g)
	mineHonest(t, tc, blockchain.WorkMarginBlocks+2)
	gen, _ := blockchain.GenesisBlock(g)
	b := sideChild(t, g, &gen.Header, 0, g.Timestamp+1, 1, badSigTxs(g, 2000)...)
	if err := tc.C.ProcessBlock(b); !errors.Is(err, chain.ErrLowWork) {
		t.Fatalf("full side block: %v, want ErrLowWork (before its signatures)", err)
	}
	if _, err := tc.C.Block(b.Hash()); !errors.Is(err, blockchain.ErrNotFound) {
		t.Fatalf("full side block stored: %v", err)
	}
}

// TestSideTipsPruned: side tips that fall below the threshold as the head
// moves on leave the fork-choice candidates, the index and the database,
// and stay gone after a restart; those within the margin stay.
func TestSideTipsPruned(t *testing.T) {
	g := testchain.Genesis()
	dir := t.TempDir()
	tc := testchain.Open(t, g, dir)
	mineHonest(t, tc, 3)
	c := tc.C
	anchor := headerAt(t, c, 1).Timestamp
	var siblings []*proto.Block
	for i := 0; i < 50; i++ {
		p := headerAt(t, c, 2)
		b := sideChild(t, g, p, anchor, p.Timestamp+1+uint64(i), byte(i))
		if err := c.ProcessBlock(b); err != nil {
			t.Fatal(err)
		}
		siblings = append(siblings, b)
	}
	if tips, _, _ := c.PendingCounts(); tips != 51 {
		t.Fatalf("%d tips, want 51", tips)
	}
	mineHonest(t, tc, blockchain.WorkMarginBlocks) // the siblings are at the threshold
	if tips, _, _ := c.PendingCounts(); tips != 51 {
		t.Fatalf("%d tips within the margin, want 51", tips)
	}
	mineHonest(t, tc, 1) // now one block below
	if tips, _, _ := c.PendingCounts(); tips != 1 {
		t.Fatalf("%d tips after the head moved on, want 1", tips)
	}
	for _, b := range siblings {
		if _, err := c.HeaderByHash(b.Hash()); !errors.Is(err, blockchain.ErrNotFound) {
			t.Fatalf("pruned side block %s still indexed", b.Hash())
		}
	}
	head := c.Head().Hash
	c.Close()
	tc2 := testchain.Open(t, g, dir)
	if tc2.C.Head().Hash != head {
		t.Fatal("head changed across a restart")
	}
	if tips, _, _ := tc2.C.PendingCounts(); tips != 1 {
		t.Fatalf("%d tips after a restart, want 1", tips)
	}
	if err := tc2.C.Verify(); err != nil {
		t.Fatal(err)
	}
}

// TestForkChoiceManyTips: thousands of equal-work tips leave the head on
// the first seen; a child of the last one wins; a child of an invalid
// block is not a tip.
func TestForkChoiceManyTips(t *testing.T) {
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	mineHonest(t, tc, 2)
	c := tc.C
	head := c.Head()
	anchor := headerAt(t, c, 1).Timestamp
	p := headerAt(t, c, 1)
	var last *proto.Block
	const n = 3000
	for i := 0; i < n; i++ {
		last = sideChild(t, g, p, anchor, p.Timestamp+1+uint64(i), byte(i))
		if err := c.ProcessBlock(last); err != nil {
			t.Fatal(err)
		}
	}
	if c.Head().Hash != head.Hash {
		t.Fatal("an equal-work tip replaced the first seen")
	}
	if tips, _, _ := c.PendingCounts(); tips != n+1 {
		t.Fatalf("%d tips, want %d", tips, n+1)
	}
	// A valid child of the head's sibling: last's garbage state root
	// makes the reorganisation fail, and the head returns.
	child := sideChild(t, g, &last.Header, anchor, last.Header.Timestamp+1, 0)
	err := c.ProcessBlock(child)
	if !errors.Is(err, chain.ErrExecution) || chain.CodeOf(err) == 0 || chain.IsPeerFault(err) {
		t.Fatalf("child of a bad-state block: %v (peer fault %v)", err, chain.IsPeerFault(err))
	}
	if c.Head().Hash != head.Hash {
		t.Fatal("head left the valid chain")
	}
	if tips, _, _ := c.PendingCounts(); tips != n {
		t.Fatalf("%d tips after the invalid branch, want %d", tips, n)
	}
	grand := sideChild(t, g, &child.Header, anchor, child.Header.Timestamp+1, 0)
	if err := c.ProcessBlock(grand); chain.CodeOf(err) != chain.ErrInvalidAncestor || chain.IsPeerFault(err) {
		t.Fatalf("grandchild of an invalid block: %v", err)
	}
	// A valid block with more work wins at once.
	if err := c.ProcessBlock(tc.MineOnHead(wallet.DevAddress(3))); err != nil || c.Head().Header.Height != 3 {
		t.Fatalf("heavier block: %v, height %d", err, c.Head().Header.Height)
	}
}

// BenchmarkForkChoiceTips: ProcessBlock of one more sibling tip with
// 40,000 tips in the set (attack 3's fan). At 97681c9 fork choice scanned
// every tip per block: 26.8 ms a block at 40k tips; the ordered set reads
// the best one.
func BenchmarkForkChoiceTips(b *testing.B) {
	g := testchain.Genesis()
	tc := testchain.New(b, g)
	for i := 0; i < 2; i++ {
		if err := tc.C.ProcessBlock(tc.MineOnHead(wallet.DevAddress(9))); err != nil {
			b.Fatal(err)
		}
	}
	h1, _ := tc.C.HashAt(1)
	info, _ := tc.C.HeaderByHash(h1)
	p := &info.Header
	mk := func(i int) *proto.Block {
		return sideChild(b, g, p, p.Timestamp, p.Timestamp+1+uint64(i), byte(i))
	}
	const tips = 40_000
	for i := 0; i < tips; i++ {
		if err := tc.C.ProcessBlock(mk(i)); err != nil {
			b.Fatal(err)
		}
	}
	blocks := make([]*proto.Block, b.N)
	for i := range blocks {
		blocks[i] = mk(tips + i)
	}
	b.ResetTimer()
	for _, blk := range blocks {
		if err := tc.C.ProcessBlock(blk); err != nil {
			b.Fatal(err)
		}
	}
}

// TestOrphansAreHeadersBoundedPerPeer: attack 4. An orphan's body is not
// checked (a block of unrecoverable signatures and a wrong tx root is an
// orphan, not bad-signature), it is not kept (the parent's arrival does
// not bring it in: it is fetched again), a peer's orphans are bounded and
// a peer whose orphans hang from many lone unknown parents is refused with
// ErrOrphanFlood, a peer fault; an honest band of orphans with gaps is
// not; the pool is bounded in total.
func TestOrphansAreHeadersBoundedPerPeer(t *testing.T) {
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	c := tc.C
	powLimit := common.BigToHash(g.PowLimit.ToInt())
	orphan := func(height uint64, parent common.Hash, txs ...*proto.Tx) *proto.Block {
		b := &proto.Block{Header: proto.Header{Version: chain.HeaderVersion, Height: height, PrevHash: parent,
			Timestamp: uint64(tc.Clock.Load()), Target: powLimit, TxRoot: common.Hash{0xee}}, Txs: txs}
		testchain.Solve(t, &b.Header)
		return b
	}
	// The body is never looked at.
	junk := orphan(1000, common.Hash{1}, badSigTxs(g, 500)...)
	if err := c.ProcessBlockFrom(junk, blockchain.BlockOrigin{Peer: "p", Gossip: true}); !errors.Is(err, chain.ErrOrphan) {
		t.Fatalf("orphan with a junk body: %v, want ErrOrphan", err)
	}
	if err := c.ProcessBlockFrom(junk, blockchain.BlockOrigin{Peer: "p", Gossip: true}); !errors.Is(err, chain.ErrDuplicate) {
		t.Fatalf("orphan again: %v", err)
	}
	// A flood: lone unknown parents at scattered heights.
	k := 1
	var err error
	for ; k < 40; k++ {
		err = c.ProcessBlockFrom(orphan(1000+uint64(k)*100, common.Hash{byte(k), 2}), blockchain.BlockOrigin{Peer: "p", Gossip: true})
		if !errors.Is(err, chain.ErrOrphan) {
			break
		}
	}
	if !errors.Is(err, chain.ErrOrphanFlood) || !chain.IsPeerFault(err) || k != 8 {
		t.Fatalf("lone orphan %d: %v (peer fault %v)", k+1, err, chain.IsPeerFault(err))
	}
	// An honest band: 200 blocks of one chain, every fifth lost.
	prev := common.Hash{9, 9}
	for i := 0; i < 200; i++ {
		b := orphan(5000+uint64(i), prev)
		prev = b.Hash()
		if i%5 == 4 {
			continue
		}
		if err := c.ProcessBlockFrom(b, blockchain.BlockOrigin{Peer: "honest", Gossip: true}); !errors.Is(err, chain.ErrOrphan) {
			t.Fatalf("honest orphan %d: %v", i, err)
		}
	}
	_, orphans, _ := c.PendingCounts()
	if orphans > 64+10 {
		t.Fatalf("%d orphans held for two peers (at most 64 each)", orphans)
	}
	// Many peers, each with a band: bounded in total.
	for i := 0; i < 1200; i++ {
		peer := i % 40
		err := c.ProcessBlockFrom(orphan(100_000*uint64(peer+1)+uint64(i/40), common.Hash{byte(i), byte(i >> 8), 3}),
			blockchain.BlockOrigin{Peer: string(rune('A' + peer)), Gossip: true})
		if !errors.Is(err, chain.ErrOrphan) {
			t.Fatalf("band orphan %d: %v", i, err)
		}
	}
	if _, orphans, _ := c.PendingCounts(); orphans > 512 {
		t.Fatalf("%d orphans in the pool, at most 512", orphans)
	}
	// The parent arrives: the orphan's header goes, the block comes whole.
	parent := tc.MineOnHead(wallet.DevAddress(1))
	if err := c.ProcessBlock(parent); err != nil {
		t.Fatal(err)
	}
	kid := tc.MineOnHead(wallet.DevAddress(2))
	c2 := testchain.New(t, g)
	if err := c2.C.ProcessBlockFrom(kid, blockchain.BlockOrigin{Peer: "x", Gossip: true}); !errors.Is(err, chain.ErrOrphan) {
		t.Fatalf("kid first: %v", err)
	}
	if err := c2.C.ProcessBlock(parent); err != nil {
		t.Fatal(err)
	}
	if _, orphans, _ := c2.C.PendingCounts(); orphans != 0 || c2.C.Head().Hash != parent.Hash() {
		t.Fatalf("after the parent: %d orphans, head %d", orphans, c2.C.Head().Header.Height)
	}
	if err := c2.C.ProcessBlockFrom(kid, blockchain.BlockOrigin{Peer: "x", Gossip: true}); err != nil || c2.C.Head().Hash != kid.Hash() {
		t.Fatalf("kid again: %v", err)
	}
}

// TestFutureSetCannotBePinned: attack 11. A block beyond twice
// max_future_ms is refused, not held; a peer holds at most 4 blocks, all
// peers 32; when the set is full, a block due earlier takes the place of
// the one due last; every held block leaves when its time comes. So an
// honest block a little early is held and connected on time however many
// blocks a flood stamped far ahead.
func TestFutureSetCannotBePinned(t *testing.T) {
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	c := tc.C
	mineHonest(t, tc, 2)
	now := func() uint64 { return uint64(tc.Clock.Load()) }
	at := func(ts uint64, salt byte) *proto.Block {
		tpl, err := c.NewTemplate()
		if err != nil {
			t.Fatal(err)
		}
		defer tpl.Release()
		b, _, err := miner.Assemble(tpl, g, common.Address{salt}, ts, nil)
		if err != nil {
			t.Fatal(err)
		}
		testchain.Solve(t, &b.Header)
		return b
	}
	maxF := uint64(g.MaxFutureMs)
	far := at(now()+2*maxF+1, 1)
	err := c.ProcessBlockFrom(far, blockchain.BlockOrigin{Peer: "a", Gossip: true})
	if !errors.Is(err, chain.ErrFutureRefused) || !strings.Contains(err.Error(), "ms ahead") || chain.IsPeerFault(err) {
		t.Fatalf("far-future block: %v", err)
	}
	// One peer pins at the horizon: four held, the rest refused.
	held := 0
	for i := 0; i < 10; i++ {
		err := c.ProcessBlockFrom(at(now()+2*maxF-uint64(i), byte(10+i)), blockchain.BlockOrigin{Peer: "a", Gossip: true})
		if errors.Is(err, chain.ErrFutureBlock) {
			if !strings.Contains(err.Error(), "until") {
				t.Fatalf("held without saying until when: %v", err)
			}
			held++
		} else if !errors.Is(err, chain.ErrFutureRefused) {
			t.Fatalf("future block %d: %v", i, err)
		}
	}
	if held != 4 {
		t.Fatalf("one peer got %d blocks held, want 4", held)
	}
	// Many peers fill the set.
	for i := 0; i < 60; i++ {
		c.ProcessBlockFrom(at(now()+2*maxF-100-uint64(i), byte(100+i)), blockchain.BlockOrigin{Peer: string(rune('A' + i)), Gossip: true})
	}
	if _, _, n := c.PendingCounts(); n != 32 {
		t.Fatalf("%d blocks held, want the cap 32", n)
	}
	// An honest block 20 ms past max_future_ms still gets in.
	honest := at(now()+maxF+20, 200)
	if err := c.ProcessBlockFrom(honest, blockchain.BlockOrigin{Peer: "h", Gossip: true}); !errors.Is(err, chain.ErrFutureBlock) {
		t.Fatalf("honest early block: %v", err)
	}
	tc.Clock.Add(25)
	c.RetryFutureBlocks()
	if c.Head().Hash != honest.Hash() {
		t.Fatalf("the honest block was not connected when its time came (head %d)", c.Head().Header.Height)
	}
	// The flood's blocks all leave once their time comes (they are
	// siblings of the honest block now: stored or refused, not held).
	tc.Clock.Add(int64(2 * maxF))
	c.RetryFutureBlocks()
	if _, _, n := c.PendingCounts(); n != 0 {
		t.Fatalf("%d blocks still held after their time", n)
	}
}

// TestOrphanCheaperThanItsBody: the attack-4 orphan (max_block_bytes of
// signed txs at pow_limit) costs no signature recovery: the same txs
// signed by a fresh key report no sender once it is refused as an orphan.
func TestOrphanCheaperThanItsBody(t *testing.T) {
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	key, _ := crypto.GenerateKey()
	var txs []*proto.Tx
	for i := 0; i < 100; i++ {
		tx := &proto.Tx{ChainID: g.ChainID, Nonce: uint64(i), Kind: proto.KindTransfer, To: common.Address{1}, GasLimit: chain.TxGas, GasPrice: 1}
		tx.Sig, _ = wallet.Sign(tx.SigHash(), key)
		txs = append(txs, tx)
	}
	b := &proto.Block{Header: proto.Header{Version: chain.HeaderVersion, Height: 50, PrevHash: common.Hash{5},
		Timestamp: uint64(tc.Clock.Load()), Target: common.BigToHash(g.PowLimit.ToInt()), TxRoot: chain.TxRoot(txs)}, Txs: txs}
	testchain.Solve(t, &b.Header)
	if err := tc.C.ProcessBlockFrom(b, blockchain.BlockOrigin{Peer: "p", Gossip: true}); !errors.Is(err, chain.ErrOrphan) {
		t.Fatal(err)
	}
	for _, tx := range txs {
		if _, ok := tx.CachedSender(); ok {
			t.Fatal("an orphan's signature was recovered")
		}
	}
}

// A headers-first sync hands the chain a heavier branch that forked deeper
// than the work margin. Its first blocks are below the threshold on their
// own; the branch's checked work (BranchWork) must both admit them and
// keep them from being pruned until the rest arrives.
func TestDeepHeavierBranchSyncs(t *testing.T) {
	g := testchain.Genesis()
	a := testchain.New(t, g)
	b := testchain.New(t, g)
	const ahead = blockchain.WorkMarginBlocks + 60
	for i := 0; i < ahead; i++ {
		if err := a.C.ProcessBlock(a.MineOnHead(wallet.DevAddress(1))); err != nil {
			t.Fatal(err)
		}
	}
	var branch []*proto.Block
	for i := 0; i < ahead+5; i++ {
		blk := b.MineOnHead(wallet.DevAddress(2))
		if err := b.C.ProcessBlock(blk); err != nil {
			t.Fatal(err)
		}
		branch = append(branch, blk)
	}
	work := b.C.Head().TotalWork
	if first := branch[0]; !errors.Is(a.C.ProcessBlockFrom(first, blockchain.BlockOrigin{Peer: "p"}), chain.ErrLowWork) {
		t.Fatal("the deep branch's first block was admitted without its branch work")
	}
	for i, blk := range branch {
		if err := a.C.ProcessBlockFrom(blk, blockchain.BlockOrigin{Peer: "p", BranchWork: work}); err != nil {
			t.Fatalf("branch block %d: %v", i+1, err)
		}
	}
	if got, want := a.C.Head().Hash, b.C.Head().Hash; got != want {
		t.Fatalf("head %s at %d, want the heavier branch's %s", got, a.C.Head().Header.Height, want)
	}
}
