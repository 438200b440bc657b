package miner_test

import (
	"sync"
	"testing"
	"time"

	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/chain/mempool"
	"github.com/tinychain/tinychain/chain/miner"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/wallet"
)

// The lifecycle contract: Start is idempotent, Stop may come twice (and
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
	m.Start()
	m.Start() // a second loop would mine twice on each head
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
	m.Start() // no restart after Stop
	if m.Running() {
		t.Fatal("Start after Stop restarted the miner")
	}
}

// Stop before Start leaves nothing running, and Start then does nothing.
func TestMinerStopBeforeStart(t *testing.T) {
	tc := testchain.New(t, testchain.Genesis())
	m := miner.New(tc.C, mempool.New(tc.C, mempool.Config{}), miner.Config{Threads: 1})
	m.Stop()
	m.Start()
	if m.Running() {
		t.Fatal("running after Stop, Start")
	}
	m.Stop()
}
