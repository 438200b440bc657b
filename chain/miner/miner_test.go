package miner_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/chain/mempool"
	"github.com/tinychain/tinychain/chain/miner"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/wallet"
)

// The lifecycle contract: Start runs once (a second is an error), Stop may come twice (and
// before Start), and Stop returns only when every goroutine has ended (the
// hashrate is zeroed by the last of them).
func TestMinerLifecycle(t *testing.T) {
	tc := testchain.New(t, testchain.Genesis())
	tc.Clock.Store(time.Now().UnixMilli()) // blocks one interval apart stay within max_future_ms
	pool := mempool.New(tc.C, mempool.Config{})
	tx := testchain.Transfer(t, tc.G, 0, 0, wallet.DevAddress(5), 7)
	if err := pool.Add(tx); err != nil {
		t.Fatal(err)
	}
	mined := make(chan *blockchain.HeadEvent, 16)
	tc.C.Subscribe(func(ev *blockchain.HeadEvent) {
		select {
		case mined <- ev:
		default:
		}
	})
	m := miner.New(tc.C, pool, miner.Config{Address: wallet.DevAddress(9), Threads: 1, Refresh: 50 * time.Millisecond})
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(); !errors.Is(err, blockchain.ErrStarted) { // a second loop would mine twice on each head
		t.Fatalf("second Start: %v", err)
	}
	if !m.Running() {
		t.Fatal("not running after Start")
	}
	ev := <-mined
	if ev.Head.Header.Miner != wallet.DevAddress(9) || len(ev.Head.Txs) != 1 || ev.Head.Txs[0].Hash() != tx.Hash() {
		t.Fatalf("mined %+v, want the pool's tx paid to the miner", ev.Head.Header)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(m.Stop)
	}
	wg.Wait()
	m.Stop()
	if m.Running() || m.Hashrate() != 0 {
		t.Fatalf("after Stop: running %v, hashrate %v", m.Running(), m.Hashrate())
	}
	if err := m.Start(); !errors.Is(err, blockchain.ErrStopped) { // no restart after Stop
		t.Fatalf("Start after Stop: %v", err)
	}
	if m.Running() {
		t.Fatal("Start after Stop restarted the miner")
	}
}

// Stop before Start leaves nothing running, and Start then is an error.
func TestMinerStopBeforeStart(t *testing.T) {
	tc := testchain.New(t, testchain.Genesis())
	m := miner.New(tc.C, mempool.New(tc.C, mempool.Config{}), miner.Config{Threads: 1})
	m.Stop()
	if err := m.Start(); !errors.Is(err, blockchain.ErrStopped) {
		t.Fatalf("Start after Stop: %v", err)
	}
	if m.Running() {
		t.Fatal("running after Stop, Start")
	}
	m.Stop()
}
