package main_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// TestFullDisk mines on a 2 MiB tmpfs, with txs of 4 KiB of code pushed
// in, until the disk is full. The node must say so, stop writing (its
// head stays put, it keeps running and answering) and shut down cleanly;
// a copy of its data dir on a roomy disk must open at or past the last
// block it logged, pass chain.Verify and a replay, and mine on.
func TestFullDisk(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	g, gpath := crashGenesis(t)
	p := startProc(t, dir, gpath, "--mine", "--mine-threads", "1", "--miner", wallet.DevAddress(9).Hex())
	url := p.waitStarted(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go sendCode(ctx, url, g.ChainID)

	deadline := time.Now().Add(2 * time.Minute)
	for p.diskErr.Load() == nil {
		select {
		case <-p.done:
			t.Fatalf("the node exited on a full disk: %v", p.tail())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the disk never filled, or the node never said so: %v", p.tail())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("the node says: %s", *p.diskErr.Load())
	cl := node.NewClient(url)
	time.Sleep(500 * time.Millisecond) // the error is logged; let it settle
	st1, err := cl.Status(ctx)
	if err != nil {
		t.Fatalf("API after the disk filled: %v", err)
	}
	errs := p.noSpace.Load()
	time.Sleep(2 * time.Second) // the miner would have found blocks meanwhile
	st2, err := cl.Status(ctx)
	if err != nil {
		t.Fatalf("API after the disk filled: %v", err)
	}
	if st2.Head != st1.Head {
		t.Fatalf("the head moved from %d to %d after the write failure", st1.Height, st2.Height)
	}
	if st2.Mining {
		t.Fatal("still mining blocks it cannot store")
	}
	if !strings.Contains(st2.StorageError, "no space left on device") {
		t.Fatalf("/v1/status storage_error %q", st2.StorageError)
	}
	if n := p.noSpace.Load(); n != errs {
		t.Fatalf("%d more failed writes after the first: it did not stop writing (%v)", n-errs, p.tail())
	}
	select {
	case <-p.done:
		t.Fatalf("the node exited: %v", p.tail())
	default:
	}
	cancel()
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the node did not shut down on a full disk")
	}
	var committed common.Hash
	if h := p.last.Load(); h != nil {
		committed = common.HexToHash(*h)
	}
	roomy := filepath.Join(t.TempDir(), "node")
	copyDir(t, dir, roomy)
	head := checkCrashed(t, g, roomy, committed)
	t.Logf("full at height %d; the copy opens at %d", st2.Height, head.Header.Height)
	// And it goes on where it stopped.
	p2 := startProc(t, roomy, gpath, "--mine", "--mine-threads", "1", "--miner", wallet.DevAddress(9).Hex())
	url2 := p2.waitStarted(t)
	for {
		st, err := node.NewClient(url2).Status(context.Background())
		if err == nil && st.Height > head.Header.Height {
			break
		}
		if time.Now().After(deadline.Add(time.Minute)) {
			t.Fatalf("the node does not mine on a roomy copy: %v", p2.tail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sendCode posts exec txs of 4 KiB of code from dev keys 0-7 until ctx
// ends: each block holds a few hundred kilobytes.
func sendCode(ctx context.Context, url string, chainID uint64) {
	cl := node.NewClient(url)
	code := []byte(strings.Repeat("+>", 2048))
	nonces := map[int]uint64{}
	for i := 0; ctx.Err() == nil; i++ {
		k := i % 8
		if i%64 == k {
			acct, err := cl.Account(ctx, wallet.DevAddress(k))
			if err != nil {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			nonces[k] = acct.PendingNonce
		}
		tx := &proto.Tx{ChainID: chainID, Nonce: nonces[k], Kind: proto.KindExec, Data: code, GasLimit: 200_000, GasPrice: 1}
		tx.Sig, _ = wallet.Sign(tx.SigHash(), wallet.DevKey(k))
		if _, err := cl.SendTx(ctx, tx); err == nil {
			nonces[k]++
		} else if strings.Contains(err.Error(), "full") {
			time.Sleep(50 * time.Millisecond)
		}
	}
}
