package gossip_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/big"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/chain/miner"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// A liar's sync peer, outside our code: a bare libp2p host that claims a
// chain of 2^250 work in its status and answers the sync protocols with
// what the test gives it. It speaks the old hashes protocol too, so the
// tests show what the code before headers-first sync did with it.
type liar struct {
	h                 host.Host
	statuses, headers atomic.Int64
	bodies            atomic.Int64 // body requests received
	answered          atomic.Int64 // body requests answered
	bodyDelay         time.Duration
}

func writeRaw(w io.Writer, b []byte) {
	w.Write(binary.AppendUvarint(nil, uint64(len(b))))
	w.Write(b)
}

func readRaw(r *bufio.Reader) []byte {
	n, err := binary.ReadUvarint(r)
	if err != nil || n > 4<<20 {
		return nil
	}
	b := make([]byte, n)
	io.ReadFull(r, b)
	return b
}

type statusClaim struct {
	Genesis, Head common.Hash
	Height        uint64
	Work          []byte
}

// startLiar runs a liar on g's network. headersAfter answers a locator
// (nil: the protocol is not spoken); hashesAfter likewise for the old
// protocol; body serves a requested hash (it is counted in any case).
func startLiar(t *testing.T, g *chain.Genesis, headersAfter func(loc []common.Hash) []*proto.Header,
	hashesAfter func(loc []common.Hash) []common.Hash, body func(common.Hash) []byte) *liar {
	t.Helper()
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	l := &liar{h: h, bodyDelay: 8 * time.Second} // just inside the asker's chunk timeout
	gen, _ := blockchain.GenesisBlock(g)
	proto := func(name string) protocol.ID { return protocol.ID(fmt.Sprintf("/tinychain/%d/%s/1", g.ChainID, name)) }
	h.SetStreamHandler(proto("status"), func(s network.Stream) {
		defer s.Close()
		readRaw(bufio.NewReader(s))
		l.statuses.Add(1)
		b, _ := rlp.EncodeToBytes(&statusClaim{gen.Hash(), common.Hash{1}, 1 << 40, new(big.Int).Lsh(big.NewInt(1), 250).Bytes()})
		writeRaw(s, b)
	})
	type locReq struct {
		Locator []common.Hash
		Max     uint32
	}
	if headersAfter != nil {
		h.SetStreamHandler(proto("headers"), func(s network.Stream) {
			defer s.Close()
			var req locReq
			rlp.DecodeBytes(readRaw(bufio.NewReader(s)), &req)
			l.headers.Add(1)
			var raws []rlp.RawValue
			for _, hd := range headersAfter(req.Locator) {
				raws = append(raws, hd.Encode())
			}
			b, _ := rlp.EncodeToBytes(raws)
			writeRaw(s, b)
		})
	}
	if hashesAfter != nil {
		h.SetStreamHandler(proto("hashes"), func(s network.Stream) {
			defer s.Close()
			var req locReq
			rlp.DecodeBytes(readRaw(bufio.NewReader(s)), &req)
			b, _ := rlp.EncodeToBytes(hashesAfter(req.Locator))
			writeRaw(s, b)
		})
	}
	h.SetStreamHandler(proto("bodies"), func(s network.Stream) {
		defer s.Close()
		var req struct{ Hashes []common.Hash }
		rlp.DecodeBytes(readRaw(bufio.NewReader(s)), &req)
		l.bodies.Add(1)
		time.Sleep(l.bodyDelay)
		l.answered.Add(1)
		w := bufio.NewWriter(s)
		for _, hash := range req.Hashes {
			if b := body(hash); b != nil {
				writeRaw(w, b)
			}
		}
		writeRaw(w, nil)
		w.Flush()
	})
	return l
}

func (l *liar) addr() string { return l.h.Addrs()[0].String() + "/p2p/" + l.h.ID().String() }

// minerGenesis: a block takes the miner about 30,000 hashes (a few ms),
// so the honest miner makes hundreds of blocks in the tests' windows.
func minerGenesis(id uint64) *chain.Genesis {
	g := easyGenesis()
	g.ChainID = id
	g.Target = (*hexutil.Big)(new(big.Int).Lsh(big.NewInt(1), 241))
	g.BlockIntervalMs = 300
	return g
}

// TestClaimedWorkDoesNotPauseMiner (attack 2): a peer claims 2^250 work
// and answers the sync with copies of the genesis (as hashes, headers and
// bodies, each body reply just inside the chunk timeout). The honest
// miner is never paused and keeps mining; the liar gets no body request
// and is struck for headers that do not start at our locator.
func TestClaimedWorkDoesNotPauseMiner(t *testing.T) {
	g := minerGenesis(4401)
	gen, _ := blockchain.GenesisBlock(g)
	l := startLiar(t, g,
		func([]common.Hash) []*proto.Header {
			out := make([]*proto.Header, gossip.MaxHeaders)
			for i := range out {
				out[i] = &gen.Header
			}
			return out
		},
		func([]common.Hash) []common.Hash {
			out := make([]common.Hash, 2048)
			for i := range out {
				out[i] = gen.Hash()
			}
			return out
		},
		func(common.Hash) []byte { return gen.Encode() })
	victim := startNode(t, g, true, l.addr())
	paused := 0
	sample := func() {
		if victim.Net.Syncing() {
			paused++
		}
	}
	waitFor(t, "the victim to answer the liar's sync", 30*time.Second, func() bool {
		sample()
		return victim.Net.Strikes(l.h.ID().String()) > 0 || l.bodies.Load() > 0
	})
	h0 := victim.Chain.Head().Header.Height
	waitFor(t, "the victim to mine 40 blocks more with the liar connected", 90*time.Second, func() bool {
		sample()
		return victim.Chain.Head().Header.Height >= h0+40
	})
	if paused > 0 {
		t.Errorf("the miner was paused in %d samples", paused)
	}
	if n := l.bodies.Load(); n != 0 {
		t.Errorf("%d body requests to the liar", n)
	}
	if s := victim.Net.Strikes(l.h.ID().String()); s == 0 {
		t.Error("the liar was not struck")
	}
}

// cheapBranch is n headers forked from genesis: the first at the genesis
// target, then timestamps so far behind ASERT's schedule that every
// target is pow_limit (about 2 hashes a header here).
func cheapBranch(g *chain.Genesis, n int) []*proto.Header {
	gen, _ := blockchain.GenesisBlock(g)
	var out []*proto.Header
	parent, anchor := &gen.Header, uint64(0)
	ts := g.Timestamp + 1
	for i := 0; i < n; i++ {
		if i == 1 {
			ts = uint64(time.Now().UnixMilli()) - 60_000
		}
		h := &proto.Header{Version: chain.HeaderVersion, Height: parent.Height + 1, PrevHash: parent.Hash(), Timestamp: ts,
			Target: common.BigToHash(chain.NextTarget(g, parent, anchor)), TxRoot: chain.MerkleRoot(nil)}
		var c atomic.Uint64
		miner.Solve(context.Background(), h, 1, &c)
		if h.Height == 1 {
			anchor = h.Timestamp
		}
		out = append(out, h)
		parent, ts = h, ts+1
	}
	return out
}

// after serves the headers of branch (forked at genesis) after the first
// locator hash it knows.
func after(genesis common.Hash, branch []*proto.Header, max int) func([]common.Hash) []*proto.Header {
	at := map[common.Hash]int{genesis: 0}
	for i, h := range branch {
		at[h.Hash()] = i + 1
	}
	return func(loc []common.Hash) []*proto.Header {
		for _, hash := range loc {
			if i, ok := at[hash]; ok {
				return branch[i:min(i+max, len(branch))]
			}
		}
		return nil
	}
}

// TestCheapHeadersGetNoBodies (attack 3, the sync side): a peer claiming
// 2^250 work serves valid headers of a cheap branch (pow_limit targets)
// whose work stays below our head's. Two replies are checked, no body is
// asked for, nothing is stored, the node never believes it is behind,
// and the liar is struck for claiming more work than it delivered.
func TestCheapHeadersGetNoBodies(t *testing.T) {
	g := minerGenesis(4402)
	gen, _ := blockchain.GenesisBlock(g)
	victim := startNode(t, g, false)
	mineBlocks(t, victim, 50)
	branch := cheapBranch(g, 5000)
	work := new(big.Int)
	for _, h := range branch {
		work.Add(work, chain.CalcWork(h.TargetBig()))
	}
	if work.Cmp(victim.Chain.Head().TotalWork) >= 0 {
		t.Fatalf("the branch is not cheap: %v >= %v", work, victim.Chain.Head().TotalWork)
	}
	hashes := make([]common.Hash, len(branch))
	bodies := map[common.Hash][]byte{}
	for i, h := range branch {
		hashes[i] = h.Hash()
		bodies[hashes[i]] = (&proto.Block{Header: *h}).Encode()
	}
	l := startLiar(t, g, after(gen.Hash(), branch, gossip.MaxHeaders),
		func([]common.Hash) []common.Hash { return hashes[:2048] },
		func(h common.Hash) []byte { return bodies[h] })
	if err := victim.Net.Connect(l.addr()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the liar to be struck", 30*time.Second, func() bool {
		if victim.Net.Syncing() {
			t.Fatal("the victim believes it is behind")
		}
		return victim.Net.Strikes(l.h.ID().String()) > 0 || l.bodies.Load() > 0
	})
	if n := l.bodies.Load(); n != 0 {
		t.Fatalf("%d body requests for a branch with less work than ours", n)
	}
	// The first reply holds block 1 at the genesis target; after the
	// second, all at pow_limit, the rest could not catch up however many.
	if n := l.headers.Load(); n != 2 {
		t.Errorf("%d header requests, want 2", n)
	}
	for _, h := range hashes[:10] {
		if _, err := victim.Chain.HeaderByHash(h); err == nil {
			t.Fatal("a block of the cheap branch was stored")
		}
	}
	// Benched: the next status rounds ask it for no more headers.
	n := l.headers.Load()
	time.Sleep(12 * time.Second)
	if l.headers.Load() != n {
		t.Errorf("headers asked again of a benched peer: %d -> %d", n, l.headers.Load())
	}
}

// TestHeavierHeadersWithoutBodiesPauseBriefly: a peer serves valid
// headers with more work than ours (cheap here, where every target is
// pow_limit) and stalls the bodies. The node is measurably behind, so
// the miner pauses, but only for the progress timeout (5 s): it mines
// again before the stalled reply (9.5 s) ends the download.
func TestHeavierHeadersWithoutBodiesPauseBriefly(t *testing.T) {
	g := easyGenesis()
	g.ChainID = 4403
	gen, _ := blockchain.GenesisBlock(g)
	branch := cheapBranch(g, 200)
	victim := startNode(t, g, false)
	l := startLiar(t, g, after(gen.Hash(), branch, gossip.MaxHeaders), nil, func(common.Hash) []byte { return nil })
	l.bodyDelay = 9500 * time.Millisecond
	if err := victim.Net.Connect(l.addr()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the node to see it is behind", 30*time.Second, func() bool { return victim.Net.Syncing() })
	victim.Miner.Start()
	waitFor(t, "the miner to resume", 30*time.Second, func() bool { return victim.Chain.Head().Header.Height > 0 })
	if l.answered.Load() != 0 {
		t.Fatal("the miner resumed only when the stalled download ended")
	}
}

// TestStatusStallersDoNotSlowResync (attack 10): four peers accept the
// status stream and never answer; the honest peer's status is still asked
// every resync period, not once per 4 timeouts.
func TestStatusStallersDoNotSlowResync(t *testing.T) {
	g := easyGenesis()
	g.ChainID = 4404
	gen, _ := blockchain.GenesisBlock(g)
	var asked atomic.Int64
	mk := func(stall bool) string {
		h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		h.SetStreamHandler(protocol.ID(fmt.Sprintf("/tinychain/%d/status/1", g.ChainID)), func(s network.Stream) {
			defer s.Close()
			readRaw(bufio.NewReader(s))
			if stall {
				time.Sleep(time.Minute)
				return
			}
			asked.Add(1)
			b, _ := rlp.EncodeToBytes(&statusClaim{gen.Hash(), gen.Hash(), 0, []byte{1}})
			writeRaw(s, b)
		})
		return h.Addrs()[0].String() + "/p2p/" + h.ID().String()
	}
	boot := []string{mk(false)}
	for i := 0; i < 4; i++ {
		boot = append(boot, mk(true))
	}
	startNode(t, g, false, boot...)
	waitFor(t, "the first status", 20*time.Second, func() bool { return asked.Load() > 0 })
	c0 := asked.Load()
	time.Sleep(17 * time.Second) // three resync periods, and some
	// Before: one pass over the peers took 4 × 15 s, so at most one.
	if n := asked.Load() - c0; n < 2 {
		t.Fatalf("the honest peer's status was asked %d times in 17 s with 4 stallers", n)
	}
}

// TestPeerStateClearedOnDisconnect: peers that sync from a node and leave
// leave nothing behind in its per-peer maps.
func TestPeerStateClearedOnDisconnect(t *testing.T) {
	g := easyGenesis()
	g.ChainID = 4405
	src := startNode(t, g, false)
	mineBlocks(t, src, 50)
	var others []*node.Node
	for i := 0; i < 3; i++ {
		o := startNode(t, g, false, src.Net.ListenAddrs()[0])
		others = append(others, o)
	}
	for _, o := range others {
		waitFor(t, "a peer to sync", 30*time.Second, func() bool { return o.Chain.Head().Hash == src.Chain.Head().Hash })
	}
	if peers, _, serving, _, _ := src.Net.PeerStateSizes(); peers != 3 || serving == 0 {
		t.Fatalf("with 3 peers: %d statuses, %d budgets", peers, serving)
	}
	for _, o := range others {
		o.Close()
	}
	waitFor(t, "the per-peer maps to empty", 20*time.Second, func() bool {
		peers, scores, serving, asking, _ := src.Net.PeerStateSizes()
		return peers+scores+serving+asking == 0 && src.Net.PeerCount() == 0
	})
}

// TestServingBudget: a peer asking for ~1.5 MB blocks as fast as it can
// gets no more than the budget's burst plus its rate over the time, and
// no more than two replies at once.
func TestServingBudget(t *testing.T) {
	g := easyGenesis()
	g.ChainID = 4406
	src := startNode(t, g, false)
	var hashes []common.Hash
	nonce := uint64(0)
	for i := 0; i < 4; i++ {
		var txs []*proto.Tx
		for j := 0; j < 15; j++ {
			tx := &proto.Tx{ChainID: g.ChainID, Nonce: nonce, Kind: proto.KindTransfer, To: common.HexToAddress("0x51"),
				Value: 1, GasLimit: 2_000_000, GasPrice: 1, Data: make([]byte, 100_000)}
			tx.Data[0] = byte(nonce)
			nonce++
			tx.Sig, _ = wallet.Sign(tx.SigHash(), wallet.DevKey(0))
			txs = append(txs, tx)
		}
		mineWith(t, src, 1, txs...)
		hashes = append(hashes, src.Chain.Head().Hash)
	}
	blk, _ := src.Chain.Block(hashes[0])
	if len(blk.Txs) != 15 {
		t.Fatalf("a block of %d txs", len(blk.Txs))
	}

	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	addr, _ := ma.NewMultiaddr(src.Net.ListenAddrs()[0])
	info, _ := peer.AddrInfoFromP2pAddr(addr)
	ctx := context.Background()
	if err := h.Connect(ctx, *info); err != nil {
		t.Fatal(err)
	}
	req, _ := rlp.EncodeToBytes(&struct{ Hashes []common.Hash }{hashes})
	bodiesProto := protocol.ID(fmt.Sprintf("/tinychain/%d/bodies/1", g.ChainID))

	// Streams at once: two are served, the others reset (each waiting
	// reply holds memory of ours). Each
	// reply, 64 blocks, keeps its stream busy for the whole serving window.
	var many []common.Hash
	for len(many) < 64 {
		many = append(many, hashes...)
	}
	long, _ := rlp.EncodeToBytes(&struct{ Hashes []common.Hash }{many})
	var streams []network.Stream
	for i := 0; i < 4; i++ {
		s, err := h.NewStream(ctx, info.ID, bodiesProto)
		if err != nil {
			t.Fatal(err)
		}
		writeRaw(s, long)
		streams = append(streams, s)
	}
	answered := 0
	for _, s := range streams {
		if b := readRaw(bufio.NewReader(s)); len(b) > 0 {
			answered++
		}
	}
	for _, s := range streams {
		s.Reset()
	}
	if answered != 2 {
		t.Fatalf("%d of 4 streams at once served, want 2", answered)
	}
	time.Sleep(2 * time.Second) // the budget refills

	var got int64
	start := time.Now()
	for time.Since(start) < 4*time.Second {
		s, err := h.NewStream(ctx, info.ID, bodiesProto)
		if err != nil {
			t.Fatal(err)
		}
		writeRaw(s, req)
		r := bufio.NewReader(s)
		for {
			b := readRaw(r)
			if len(b) == 0 {
				break
			}
			got += int64(len(b))
		}
		s.Close()
	}
	elapsed := time.Since(start).Seconds()
	limit := float64(gossip.ServeBurst) + gossip.ServeRate*elapsed
	t.Logf("%.1f MB served in %.1f s (budget %.1f MB)", float64(got)/1e6, elapsed, limit/1e6)
	if float64(got) > limit {
		t.Fatalf("%d bytes served in %.1f s: over the budget of %.0f", got, elapsed, limit)
	}
	if float64(got) < limit/4 {
		t.Fatalf("only %d bytes served in %.1f s", got, elapsed)
	}
}
