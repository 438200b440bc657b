package blockchain_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// mineBlocks returns k blocks mined on a chain of their own (so they can
// be handed to another chain of the same genesis in any order).
func mineBlocks(t *testing.T, g *chain.Genesis, k int) []*proto.Block {
	t.Helper()
	src := testchain.New(t, g)
	var out []*proto.Block
	for i := 0; i < k; i++ {
		b := src.MineOnHead(wallet.DevAddress(9))
		if err := src.C.ProcessBlock(b); err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func TestImporterLifecycle(t *testing.T) {
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	imp := blockchain.NewImporter(tc.C, blockchain.ImporterConfig{})
	imp.Stop() // before Start
	imp.Stop() // twice
	if err := imp.Start(); !errors.Is(err, blockchain.ErrStopped) {
		t.Fatalf("Start after Stop: %v", err)
	}
	b := mineBlocks(t, g, 1)[0]
	if err := imp.ProcessBlock(b); !errors.Is(err, blockchain.ErrStopped) {
		t.Fatalf("ProcessBlock after Stop: %v", err)
	}
	if err := imp.TrySubmit(context.Background(), b, blockchain.BlockOrigin{}); !errors.Is(err, blockchain.ErrStopped) {
		t.Fatalf("TrySubmit after Stop: %v", err)
	}

	imp = blockchain.NewImporter(tc.C, blockchain.ImporterConfig{})
	if err := imp.Start(); err != nil {
		t.Fatal(err)
	}
	if err := imp.Start(); !errors.Is(err, blockchain.ErrStarted) {
		t.Fatalf("second Start: %v", err)
	}
	if err := imp.ProcessBlock(b); err != nil {
		t.Fatal(err)
	}
	if err := imp.ProcessBlock(b); !errors.Is(err, chain.ErrDuplicate) {
		t.Fatalf("again: %v", err)
	}
	imp.Stop()
	imp.Stop()
}

// TestImporterSlowListener: a listener that does not run while 30 blocks
// are imported holds up none of them; once it runs it sees the newest
// head and every connected block, merged into at most its queue's bound
// of events.
func TestImporterSlowListener(t *testing.T) {
	g := testchain.Genesis()
	blocks := mineBlocks(t, g, 30)
	tc := testchain.New(t, g)
	imp := blockchain.NewImporter(tc.C, blockchain.ImporterConfig{ListenerQueue: 4})
	release := make(chan struct{})
	var (
		mu        sync.Mutex
		events    int
		connected []*proto.Block
		head      *proto.Block
	)
	imp.Subscribe(func(ev *blockchain.HeadEvent) {
		<-release
		mu.Lock()
		defer mu.Unlock()
		events++
		connected = append(connected, ev.Connected...)
		head = ev.Head
	})
	var fast atomic.Int32
	imp.Subscribe(func(*blockchain.HeadEvent) { fast.Add(1) })
	if err := imp.Start(); err != nil {
		t.Fatal(err)
	}
	defer imp.Stop()
	for i, b := range blocks {
		if err := imp.Submit(context.Background(), b, blockchain.BlockOrigin{Peer: "p"}); err != nil {
			t.Fatalf("block %d: %v", i+1, err)
		}
	}
	if h := tc.C.Head().Header.Height; h != 30 {
		t.Fatalf("height %d with a stuck listener", h)
	}
	close(release)
	waitUntil(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return head != nil && head.Hash() == blocks[len(blocks)-1].Hash()
	})
	mu.Lock()
	defer mu.Unlock()
	if len(connected) != len(blocks) {
		t.Fatalf("listener saw %d connected blocks, want %d", len(connected), len(blocks))
	}
	for i, b := range connected {
		if b.Hash() != blocks[i].Hash() {
			t.Fatalf("connected[%d] is not block %d", i, i+1)
		}
	}
	// One event may be taken (and block) before the queue fills, then at
	// most 4 queued, the last of them merged.
	if events > 1+4 {
		t.Fatalf("%d events delivered, want at most 5", events)
	}
}

// TestImporterTrySubmitFull: with the queue full, TrySubmit answers
// ErrQueueFull at once, and a submitter that stops waiting leaves its
// block queued.
func TestImporterTrySubmitFull(t *testing.T) {
	g := testchain.Genesis()
	blocks := mineBlocks(t, g, 2)
	tc := testchain.New(t, g)
	imp := blockchain.NewImporter(tc.C, blockchain.ImporterConfig{Queue: 1})
	defer imp.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := imp.TrySubmit(ctx, blocks[0], blockchain.BlockOrigin{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("first: %v", err)
	}
	if err := imp.TrySubmit(context.Background(), blocks[1], blockchain.BlockOrigin{}); !errors.Is(err, blockchain.ErrQueueFull) {
		t.Fatalf("second: %v", err)
	}
	if imp.Pending() != 1 {
		t.Fatalf("pending %d", imp.Pending())
	}
	if err := imp.Start(); err != nil {
		t.Fatal(err)
	}
	if err := imp.ProcessBlock(blocks[1]); err != nil {
		t.Fatalf("after the first was imported: %v", err)
	}
	if h := tc.C.Head().Header.Height; h != 2 {
		t.Fatalf("height %d", h)
	}
}

// TestImporterStopWhileBlocksArrive: submitters on several goroutines
// while the importer stops; each gets a verdict or ErrStopped, none hangs.
func TestImporterStopWhileBlocksArrive(t *testing.T) {
	g := testchain.Genesis()
	blocks := mineBlocks(t, g, 40)
	tc := testchain.New(t, g)
	imp := blockchain.NewImporter(tc.C, blockchain.ImporterConfig{Queue: 4})
	var heard atomic.Int32
	imp.Subscribe(func(*blockchain.HeadEvent) { heard.Add(1) })
	if err := imp.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Go(func() {
			for i := w; i < len(blocks); i += 4 {
				err := imp.Submit(context.Background(), blocks[i], blockchain.BlockOrigin{Peer: "p"})
				if err != nil && !errors.Is(err, blockchain.ErrStopped) && !errors.Is(err, chain.ErrOrphan) &&
					!errors.Is(err, chain.ErrDuplicate) {
					t.Errorf("block %d: %v", i+1, err)
				}
			}
		})
	}
	waitUntil(t, func() bool { return heard.Load() > 0 })
	imp.Stop()
	wg.Wait()
	imp.Stop()
}

// waitUntil polls ok until it holds (the test's own timeout bounds it:
// no wall-clock limit here, the machine is shared).
func waitUntil(t *testing.T, ok func() bool) {
	t.Helper()
	for !ok() {
		time.Sleep(5 * time.Millisecond)
	}
}
