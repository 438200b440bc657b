package gossip_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

type annEntry struct {
	Hash common.Hash
	Size uint32
}

// TestTxsAnnouncedNotPushed (attack 8): a node whose mempool holds 6 MB of
// pending txs sends a peer that never asks for them only their hashes,
// about 40 bytes a tx a round, on connect and on the backoff schedule,
// not the txs themselves again and again. A peer that asks gets each tx
// it asks for, and a real node that lacked them all gets every one.
func TestTxsAnnouncedNotPushed(t *testing.T) {
	defer gossip.SetAnnounceSchedule(500*time.Millisecond, time.Second)()
	g := easyGenesis()
	g.ChainID = 4747
	victim := startNode(t, g, false)
	var pool []*proto.Tx
	for k := 0; k < 6; k++ {
		for nonce := uint64(0); nonce < 10; nonce++ {
			data := make([]byte, 100<<10)
			data[0] = byte(k)
			tx := &proto.Tx{ChainID: g.ChainID, Nonce: nonce, Kind: proto.KindTransfer, To: common.Address{1}, Value: 1, Data: data,
				GasLimit: chain.TxGas + chain.TxDataGasByte*uint64(len(data)), GasPrice: 1}
			tx.Sig, _ = wallet.Sign(tx.SigHash(), wallet.DevKey(k))
			if err := victim.Pool.Add(tx); err != nil {
				t.Fatal(err)
			}
			pool = append(pool, tx)
		}
	}
	_, poolBytes := victim.Pool.Stats()

	// A raw peer that speaks the tx protocols, old and new, and counts
	// every byte they carry to it; it asks for nothing by itself.
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var mu sync.Mutex
	var wire int64
	announced := map[common.Hash]uint32{}
	h.SetStreamHandler(protocol.ID(fmt.Sprintf("/tinychain/%d/txpush/1", g.ChainID)), func(s network.Stream) {
		defer s.Close()
		n, _ := io.Copy(io.Discard, s) // what the old code pushed
		mu.Lock()
		wire += n
		mu.Unlock()
	})
	h.SetStreamHandler(protocol.ID(fmt.Sprintf("/tinychain/%d/txannounce/1", g.ChainID)), func(s network.Stream) {
		defer s.Close()
		b, _ := io.ReadAll(io.LimitReader(s, 1<<20))
		var list []annEntry
		if len(b) > 0 {
			r := bufio.NewReader(bytes.NewReader(b))
			n, _ := binary.ReadUvarint(r)
			body := make([]byte, n)
			io.ReadFull(r, body)
			if err := rlp.DecodeBytes(body, &list); err != nil {
				t.Errorf("announce: %v", err)
			}
		}
		mu.Lock()
		wire += int64(len(b))
		for _, e := range list {
			announced[e.Hash] = e.Size
		}
		mu.Unlock()
	})
	addr, _ := ma.NewMultiaddr(victim.Net.ListenAddrs()[0])
	info, _ := peer.AddrInfoFromP2pAddr(addr)
	if err := h.Connect(context.Background(), *info); err != nil {
		t.Fatal(err)
	}
	// Connect, then about four backoff rounds (0.5 s, 1 s, 1 s, 1 s).
	time.Sleep(4 * time.Second)
	mu.Lock()
	got, nAnn := wire, len(announced)
	mu.Unlock()
	t.Logf("pool %d txs, %d bytes; the peer got %d bytes of tx protocol in 4 s, %d hashes announced", len(pool), poolBytes, got, nAnn)
	if nAnn != len(pool) {
		t.Fatalf("%d of %d pending txs announced", nAnn, len(pool))
	}
	for _, tx := range pool {
		if announced[tx.Hash()] != uint32(tx.Size()) {
			t.Fatalf("tx %s announced with size %d, it has %d", tx.Hash(), announced[tx.Hash()], tx.Size())
		}
	}
	// At most 10 rounds of 60 entries of ≤ 40 bytes: no body was pushed.
	if bound := int64(10 * len(pool) * 40); got > bound {
		t.Fatalf("the peer got %d bytes, over the announce bound %d (the pool is %d bytes)", got, bound, poolBytes)
	}

	// The raw peer asks for two txs and one unknown hash: it gets the two.
	s, err := h.NewStream(context.Background(), info.ID, protocol.ID(fmt.Sprintf("/tinychain/%d/txrequest/1", g.ChainID)))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := rlp.EncodeToBytes([]common.Hash{pool[3].Hash(), {0xde, 0xad}, pool[40].Hash()})
	s.Write(binary.AppendUvarint(nil, uint64(len(req))))
	s.Write(req)
	s.CloseWrite()
	r := bufio.NewReader(s)
	var served []common.Hash
	for {
		n, err := binary.ReadUvarint(r)
		if err != nil {
			break
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			t.Fatal(err)
		}
		tx, err := proto.DecodeTx(b)
		if err != nil {
			t.Fatal(err)
		}
		served = append(served, tx.Hash())
	}
	s.Close()
	if len(served) != 2 || served[0] != pool[3].Hash() || served[1] != pool[40].Hash() {
		t.Fatalf("served %v", served)
	}

	// A real node that lacks them all gets every one, by request.
	other := startNode(t, g, false, victim.Net.ListenAddrs()[0])
	t0 := time.Now()
	defer func() { t.Logf("the new peer had them all after %v", time.Since(t0)) }()
	waitFor(t, "the pending txs to reach the new peer", 30*time.Second, func() bool {
		for _, tx := range pool {
			if other.Pool.Get(tx.Hash()) == nil {
				return false
			}
		}
		return true
	})
}

// TestTxAnnouncerThatDoesNotServe: a peer announces a tx and then does not
// serve it. It is asked once, not again however often it announces, and
// the tx comes from an honest announcer; its state goes when it leaves.
func TestTxAnnouncerThatDoesNotServe(t *testing.T) {
	g := easyGenesis()
	g.ChainID = 4748
	victim := startNode(t, g, false)
	honest := startNode(t, g, false)
	tx := &proto.Tx{ChainID: g.ChainID, Kind: proto.KindTransfer, To: common.Address{2}, Value: 1, GasLimit: chain.TxGas, GasPrice: 1}
	tx.Sig, _ = wallet.Sign(tx.SigHash(), wallet.DevKey(4))
	if err := honest.Pool.Add(tx); err != nil {
		t.Fatal(err)
	}

	liar, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	defer liar.Close()
	var mu sync.Mutex
	asked := 0
	liar.SetStreamHandler(protocol.ID(fmt.Sprintf("/tinychain/%d/txrequest/1", g.ChainID)), func(s network.Stream) {
		b, _ := io.ReadAll(io.LimitReader(s, 1<<16))
		if bytes.Contains(b, tx.Hash().Bytes()) {
			mu.Lock()
			asked++
			mu.Unlock()
		}
		s.Close() // serves nothing
	})
	addr, _ := ma.NewMultiaddr(victim.Net.ListenAddrs()[0])
	info, _ := peer.AddrInfoFromP2pAddr(addr)
	if err := liar.Connect(context.Background(), *info); err != nil {
		t.Fatal(err)
	}
	announce := func() {
		s, err := liar.NewStream(context.Background(), info.ID, protocol.ID(fmt.Sprintf("/tinychain/%d/txannounce/1", g.ChainID)))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := rlp.EncodeToBytes([]annEntry{{tx.Hash(), uint32(tx.Size())}})
		s.Write(append(binary.AppendUvarint(nil, uint64(len(b))), b...))
		s.Close()
	}
	announce()
	waitFor(t, "the victim to ask the liar", 10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return asked == 1 })
	for i := 0; i < 3; i++ {
		time.Sleep(300 * time.Millisecond)
		announce()
	}
	time.Sleep(time.Second)
	mu.Lock()
	if asked != 1 {
		t.Fatalf("the liar was asked %d times", asked)
	}
	mu.Unlock()
	if victim.Pool.Get(tx.Hash()) != nil {
		t.Fatal("the tx came from nowhere")
	}
	if err := victim.Net.Connect(honest.Net.ListenAddrs()[0]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the tx from the honest announcer", 20*time.Second, func() bool { return victim.Pool.Get(tx.Hash()) != nil })
	before := victim.Net.TxPeers()
	liar.Close()
	waitFor(t, "the liar's state to go", 10*time.Second, func() bool { return victim.Net.TxPeers() == before-1 })
}
