package node_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/wallet"
)

// p2pConfig is a node of the easy genesis with libp2p on 127.0.0.1, in a
// temp dir, not started.
func p2pConfig(t *testing.T, mine bool, boot ...string) node.Config {
	return node.Config{
		DataDir: t.TempDir(), Genesis: easyGenesis(), HTTPAddr: "127.0.0.1:0",
		Mine: mine, MinerAddr: wallet.DevAddress(9), MineThreads: 1,
		P2P: &gossip.Config{Listen: []string{"/ip4/127.0.0.1/tcp/0"}, Bootstrap: boot},
	}
}

// TestNodeCloseWithoutStart: New listens nowhere (neither the API nor
// libp2p), and Close without Start, twice, closes the database.
func TestNodeCloseWithoutStart(t *testing.T) {
	// A port nobody listens on, to see that New does not take it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := p2pConfig(t, true)
	cfg.HTTPAddr = addr
	n, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatal("the API listens before Start")
	}
	if a := n.Net.ListenAddrs(); len(a) != 0 || n.Net.PeerID() == "" {
		t.Fatalf("before Start: listen addrs %v, peer id %q (want none, and the id)", a, n.Net.PeerID())
	}
	if err := n.Net.Close(); err != nil { // the network alone, twice, unstarted
		t.Fatal(err)
	}
	if err := n.Net.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := n.Start(); !errors.Is(err, blockchain.ErrStopped) {
		t.Fatalf("Start after Close: %v", err)
	}
	// The database is closed: it opens again.
	n, err = node.New(cfg)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	n.Close()
}

// TestNodeStartTwice: a second Start is ErrStarted and changes nothing;
// Close from several goroutines at once stops the node once.
func TestNodeStartTwice(t *testing.T) {
	n, err := node.New(p2pConfig(t, true))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); !errors.Is(err, blockchain.ErrStarted) {
		t.Fatalf("second Start: %v", err)
	}
	if err := n.Net.Start(); !errors.Is(err, blockchain.ErrStarted) {
		t.Fatalf("second network Start: %v", err)
	}
	if err := n.Importer.Start(); !errors.Is(err, blockchain.ErrStarted) {
		t.Fatalf("second importer Start: %v", err)
	}
	if err := n.Miner.Start(); !errors.Is(err, blockchain.ErrStarted) {
		t.Fatalf("second miner Start: %v", err)
	}
	for n.Chain.Head().Header.Height < 2 {
		time.Sleep(20 * time.Millisecond)
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if err := n.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	wg.Wait()
	if n.Miner.Running() {
		t.Fatal("miner running after Close")
	}
}

// TestNodeCloseWhileBlocksArrive: a node closed while its peer's mined
// blocks come by gossip and sync, and while a goroutine of ours hands it
// blocks too, stops cleanly: every submitter gets a verdict or
// ErrStopped, nothing hangs, nothing races (under -race).
func TestNodeCloseWhileBlocksArrive(t *testing.T) {
	a, err := node.New(p2pConfig(t, true))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	b, err := node.New(p2pConfig(t, false, a.Net.ListenAddrs()[0]))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	for b.Chain.Head().Header.Height < 3 {
		time.Sleep(20 * time.Millisecond)
	}
	var feeders sync.WaitGroup
	closed := make(chan struct{})
	for range 2 {
		feeders.Go(func() {
			for h := uint64(1); ; h++ {
				hash, err := a.Chain.HashAt(h)
				if err != nil {
					h-- // not mined yet
					select {
					case <-closed:
						return
					case <-time.After(10 * time.Millisecond):
					}
					continue
				}
				blk, err := a.Chain.Block(hash)
				if err != nil {
					continue
				}
				if err := b.Importer.Submit(context.Background(), blk, blockchain.BlockOrigin{}); errors.Is(err, blockchain.ErrStopped) {
					return
				}
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	var closers sync.WaitGroup
	for range 2 {
		closers.Go(func() {
			if err := b.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	closers.Wait()
	close(closed)
	feeders.Wait()
}
