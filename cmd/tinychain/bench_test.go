package main_test

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// BenchmarkNodeRSS measures the resident memory of the real binary: idle
// (a node on a fresh datadir, not mining, 5 s after it started) and busy
// (mining on one thread for 15 s while 4 clients read accounts and status
// and 8 senders submit transfers, the peak of samples every 100 ms).
// Run it once: go test ./cmd/tinychain -run '^$' -bench NodeRSS -benchtime 1x
func BenchmarkNodeRSS(b *testing.B) {
	gen := writeEasyGenesis(b)
	for range b.N {
		_, idle := startNodeProcess(b, "--genesis", gen)
		time.Sleep(5 * time.Second)
		idleKB := rssKB(b, idle.Pid)
		idle.Kill()

		url, busy := startNodeProcess(b, "--genesis", gen, "--mine", "--miner", wallet.DevAddress(9).Hex(), "--mine-threads", "1")
		peakKB, sent, height := busyLoad(b, url, busy.Pid, 15*time.Second)
		if sent == 0 || height == 0 {
			b.Fatalf("the busy node did no work: %d txs sent, height %d", sent, height)
		}
		b.ReportMetric(float64(idleKB)/1024, "idle_MB")
		b.ReportMetric(float64(peakKB)/1024, "busy_MB")
		b.ReportMetric(float64(sent)/15, "sent_tx/s")
		b.ReportMetric(float64(height), "busy_blocks")
	}
}

// busyLoad loads the node at url for d and returns its peak RSS, the txs it
// accepted and its height at the end.
func busyLoad(b *testing.B, url string, pid int, d time.Duration) (peakKB int, sent int64, height uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cl := node.NewClient(url)
	g := chain.Devnet()
	var accepted atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ { // readers
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				cl.Account(ctx, wallet.DevAddress(i%wallet.DevKeys))
				cl.Status(ctx)
			}
		}()
	}
	for k := 1; k <= 8; k++ { // senders, one dev key each, ~50 tx/s
		wg.Add(1)
		go func() {
			defer wg.Done()
			for nonce := uint64(0); ctx.Err() == nil; {
				tx := &proto.Tx{ChainID: 4242, Nonce: nonce, Kind: proto.KindTransfer, Value: 1,
					To:       common.BigToAddress(new(big.Int).SetUint64(uint64(k)<<32 | nonce)),
					GasLimit: chain.TxGas, GasPrice: uint64(g.MinGasPrice)}
				tx.Sig, _ = wallet.Sign(tx.SigHash(), wallet.DevKey(k))
				if _, err := cl.SendTx(ctx, tx); err == nil {
					accepted.Add(1)
					nonce++
				}
				time.Sleep(20 * time.Millisecond) // also the back-off when 64 nonces ahead
			}
		}()
	}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for ctx.Err() == nil {
		<-t.C
		peakKB = max(peakKB, rssKB(b, pid))
	}
	wg.Wait()
	st, err := node.NewClient(url).Status(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return peakKB, accepted.Load(), st.Height
}

// rssKB reads VmRSS of process pid from /proc (Linux).
func rssKB(b *testing.B, pid int) int {
	buf, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(buf), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
			kb, err := strconv.Atoi(f[1])
			if err != nil {
				b.Fatal(err)
			}
			return kb
		}
	}
	b.Fatal("no VmRSS in /proc/pid/status")
	return 0
}
