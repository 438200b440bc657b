package blockchain_test

import (
	"context"
	"crypto/sha256"
	"math/big"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/mempool"
	"github.com/tinychain/tinychain/chain/miner"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// importBlocks mines n blocks of txsPerBlock transfers (from the ten dev
// keys to fresh addresses) and returns their encodings.
func importBlocks(b *testing.B, g *chain.Genesis, n, txsPerBlock int) [][]byte {
	b.Helper()
	tc := testchain.New(b, g)
	nonces := make([]uint64, wallet.DevKeys)
	var out [][]byte
	for i := 0; i < n; i++ {
		txs := make([]*proto.Tx, txsPerBlock)
		for j := range txs {
			from := j % wallet.DevKeys
			to := common.BigToAddress(big.NewInt(int64(1_000_000 + i*txsPerBlock + j)))
			tx := &proto.Tx{ChainID: g.ChainID, Nonce: nonces[from], Kind: proto.KindTransfer, To: to, Value: 1,
				GasLimit: chain.TxGas, GasPrice: 1}
			nonces[from]++
			tx.Sig, _ = wallet.Sign(tx.SigHash(), wallet.DevKey(from))
			txs[j] = tx
		}
		blk := tc.MineOnHead(wallet.DevAddress(9), txs...)
		if err := tc.C.ProcessBlock(blk); err != nil {
			b.Fatal(err)
		}
		out = append(out, blk.Encode())
	}
	return out
}

// BenchmarkImportBlocks imports blocks of signed transfers, decoding each
// from bytes so that signatures are recovered as for a block from the
// network: blocks of 1,000 (the limit is signature recovery) and 200
// blocks of 100 (the shape of BenchmarkSync in gossip/, where the
// per-block work counts as much), as a sync brings them (ahead) and one
// at a time (-alone).
//
// The 1,000-transfer rows time 20 blocks on a chain that imported 40
// before them, untimed: a node in the middle of a sync, whose LevelDB has
// turned its memtable over twice (the third reuses the first's memory,
// as every later one does) and whose state holds 40,000 accounts. Timed
// from a fresh database, the first blocks pay for growing the memtable,
// which a node does once.
//
// 100tx-pooled is the case of a block whose txs the node holds in its
// mempool already (admitted, untimed, before each block arrives): gossip
// gives the block's copies the senders the mempool recovered.
func BenchmarkImportBlocks(b *testing.B) {
	b.Run("1000tx", func(b *testing.B) { benchImport(b, 40, 20, 1000, ahead) })
	b.Run("100tx", func(b *testing.B) { benchImport(b, 0, 200, 100, ahead) })
	b.Run("1000tx-alone", func(b *testing.B) { benchImport(b, 40, 20, 1000, alone) })
	b.Run("100tx-alone", func(b *testing.B) { benchImport(b, 0, 200, 100, alone) })
	b.Run("100tx-pooled", func(b *testing.B) { benchImport(b, 0, 200, 100, pooled) })
	b.Run("1000tx-senders", func(b *testing.B) { benchImport(b, 40, 20, 1000, senders) })
}

// How a benchmark's blocks come to ProcessBlock.
const (
	// ahead: as a sync brings them (gossip's recoverAhead): the next
	// block's senders are recovered (chain.RecoverSenders) while the
	// one before it is imported, so the recoveries fill the cores that
	// the block's commit leaves idle.
	ahead = iota
	// alone: one block at a time, nothing recovered before it comes.
	alone
	// pooled: alone, but the block's txs are in the mempool, whose
	// senders gossip copies to the block's (mempool.CopySenders).
	pooled
	// senders: alone, the senders given (untimed): what import costs
	// besides the recoveries.
	senders
)

// mined holds minedBlocks' blocks: each sub-benchmark runs more than
// once, and mining 60,000 transfers takes seconds.
var mined = map[[3]uint64][][]byte{}

// minedBlocks is importBlocks, once for each genesis block gas limit and
// shape.
func minedBlocks(b *testing.B, g *chain.Genesis, n, txsPerBlock int) [][]byte {
	k := [3]uint64{g.BlockGasLimit, uint64(n), uint64(txsPerBlock)}
	if mined[k] == nil {
		mined[k] = importBlocks(b, g, n, txsPerBlock)
	}
	return mined[k]
}

// benchImport times the import of n blocks of perBlock transfers, each
// iteration into a fresh chain that first imports warm blocks untimed.
func benchImport(b *testing.B, warm, n, perBlock int, mode int) {
	g := testchain.Genesis()
	g.BlockGasLimit = uint64(2*perBlock) * chain.TxGas
	all := minedBlocks(b, g, warm+n, perBlock)
	before, encs := all[:warm], all[warm:]
	var from [][]common.Address // each block's senders, for senders
	if mode == senders {
		for _, enc := range encs {
			blk, _ := proto.DecodeBlock(enc)
			s, err := chain.CheckBlock(blk, g)
			if err != nil {
				b.Fatal(err)
			}
			from = append(from, s)
		}
	}
	b.ResetTimer()
	var blocks int
	var dur, cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		tc := testchain.New(b, g)
		mp := mempool.New(tc.C, mempool.Config{})
		for _, enc := range before {
			blk, _ := proto.DecodeBlock(enc)
			if err := tc.C.ProcessBlock(blk); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		if mode == ahead {
			start, cpu0 := time.Now(), cpuTime()
			for blk := range recoverAhead(b, encs) {
				if err := tc.C.ProcessBlock(blk); err != nil {
					b.Fatal(err)
				}
			}
			dur += time.Since(start)
			cpu += cpuTime() - cpu0
			blocks += len(encs)
			continue
		}
		for k, enc := range encs {
			var pre *proto.Block
			if mode == senders {
				b.StopTimer()
				pre, _ = proto.DecodeBlock(enc)
				for j, tx := range pre.Txs {
					tx.SetSender(from[k][j])
				}
				b.StartTimer()
			}
			if mode == pooled {
				b.StopTimer()
				pre, _ := proto.DecodeBlock(enc)
				for _, tx := range pre.Txs {
					if err := mp.Add(tx); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
			}
			start, cpu0 := time.Now(), cpuTime()
			blk, err := proto.DecodeBlock(enc)
			if err != nil {
				b.Fatal(err)
			}
			if pre != nil {
				blk = pre // decoded, untimed, with its senders
			}
			if mode == pooled {
				mp.CopySenders(blk.Txs)
			}
			if err := tc.C.ProcessBlock(blk); err != nil {
				b.Fatal(err)
			}
			dur += time.Since(start)
			cpu += cpuTime() - cpu0
			blocks++
		}
	}
	b.ReportMetric(float64(blocks)/dur.Seconds(), "blocks/s")
	b.ReportMetric(float64(blocks*perBlock)/dur.Seconds(), "tx/s")
	// CPU time (all threads) per tx moves less with the machine's load
	// than the rate does.
	b.ReportMetric(float64(cpu.Microseconds())/float64(blocks*perBlock), "cpu-µs/tx")
}

// recoverAhead decodes encs and yields the blocks in order, having
// recovered the senders of each while the one before it was processed:
// gossip's sync does the same (recoverAhead in gossip/sync.go).
func recoverAhead(b *testing.B, encs [][]byte) func(yield func(*proto.Block) bool) {
	return func(yield func(*proto.Block) bool) {
		ready := make(chan *proto.Block, 1)
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			defer close(ready)
			for _, enc := range encs {
				blk, err := proto.DecodeBlock(enc)
				if err != nil {
					b.Error(err)
					return
				}
				chain.RecoverSenders(blk.Txs)
				select {
				case ready <- blk:
				case <-stop:
					return
				}
			}
		}()
		for blk := range ready {
			if !yield(blk) {
				return
			}
		}
	}
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSenderRecovery recovers the sender of fresh decoded txs: the
// limit of block import on one core.
func BenchmarkSenderRecovery(b *testing.B) {
	g := testchain.Genesis()
	tx := &proto.Tx{ChainID: g.ChainID, Kind: proto.KindTransfer, To: common.HexToAddress("0x01"), Value: 1, GasLimit: chain.TxGas, GasPrice: 1}
	tx.Sig, _ = wallet.Sign(tx.SigHash(), wallet.DevKey(0))
	enc := tx.Encode()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t, _ := proto.DecodeTx(enc)
		if _, err := chain.Sender(t); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "recoveries/s")
}

// BenchmarkMining measures the miner's hashes/s on one thread, next to
// BenchmarkSHA256Header, plain SHA-256 of a header-sized buffer: the limit.
func BenchmarkMining(b *testing.B) {
	h := &proto.Header{Version: 1, Height: 1, Timestamp: 1, Target: common.Hash{}} // target 0: never met
	var n atomic.Uint64
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ResetTimer()
	start := time.Now()
	go func() {
		for n.Load() < uint64(b.N) {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	miner.Solve(ctx, h, 1, &n)
	b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "hashes/s")
}

func BenchmarkSHA256Header(b *testing.B) {
	h := &proto.Header{Version: 1, Height: 1, Timestamp: 1, Nonce: 1 << 56}
	buf := h.Encode()
	for i := 0; i < b.N; i++ {
		buf[len(buf)-1] = byte(i)
		_ = sha256.Sum256(buf)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
}

// BenchmarkKeccak is the state's hash, for comparison.
func BenchmarkKeccak(b *testing.B) {
	buf := make([]byte, 65)
	for i := 0; i < b.N; i++ {
		buf[0] = byte(i)
		_ = crypto.Keccak256Hash(buf)
	}
}
