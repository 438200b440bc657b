package proto_test

import (
	"math/big"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/proto"
)

// transferBlock returns a block of n signed-looking transfers, shaped as
// the import benchmark's (chain/blockchain BenchmarkImportBlocks): ten
// senders' nonces, fresh recipients, 21,000 gas at price 1. The
// signatures are arbitrary bytes: proto does not check them.
func transferBlock(n int) *proto.Block {
	blk := fixtureBlock()
	blk.Txs = make([]*proto.Tx, n)
	for j := range blk.Txs {
		tx := &proto.Tx{ChainID: 1337, Nonce: uint64(j / 10), Kind: proto.KindTransfer,
			To: common.BigToAddress(big.NewInt(int64(1_000_000 + j))), Value: 1, GasLimit: 21000, GasPrice: 1}
		for i := range tx.Sig {
			tx.Sig[i] = byte(j*7 + i*13 + 0x80)
		}
		tx.Sig[64] = byte(j % 2)
		blk.Txs[j] = tx
	}
	return blk
}

// BenchmarkDecodeBlock is what block import pays per tx besides the
// signature recovery: a 1,000-transfer block decoded from bytes, then
// every tx's hash (tx_root, the indexes) and signing hash (the input of
// the recovery) taken. It reports ns and allocations per tx.
func BenchmarkDecodeBlock(b *testing.B) {
	enc := transferBlock(1000).Encode()
	b.ReportAllocs()
	b.SetBytes(int64(len(enc)))
	var txs int
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cpu0 := cpuTime()
	for b.Loop() {
		blk, err := proto.DecodeBlock(enc)
		if err != nil {
			b.Fatal(err)
		}
		for _, tx := range blk.Txs {
			tx.Hash()
			tx.SigHash()
		}
		txs += len(blk.Txs)
	}
	cpu := cpuTime() - cpu0
	runtime.ReadMemStats(&m1)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(txs), "ns/tx")
	// CPU time (all threads, the GC's too) moves less with the load of a
	// shared machine than the wall time does.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(txs), "cpu-ns/tx")
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/float64(txs), "allocs/tx")
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
