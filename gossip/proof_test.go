package gossip_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/tinychain/tinychain/chain/proof"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/node"
)

func peerOf(t *testing.T, n *node.Node) peer.AddrInfo {
	t.Helper()
	addr, err := ma.NewMultiaddr(n.Net.ListenAddrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	info, err := peer.AddrInfoFromP2pAddr(addr)
	if err != nil {
		t.Fatal(err)
	}
	return *info
}

// TestProofsOverLibp2p: a node asks another for an account proof, an
// absence proof, a proof at an older block and a tx proof over
// /proof/1, and package proof accepts each against the full node's blocks.
func TestProofsOverLibp2p(t *testing.T) {
	g := easyGenesis()
	full := startNode(t, g, false)
	asker := startNode(t, g, false, full.Net.ListenAddrs()[0])
	to := common.HexToAddress("0x00000000000000000000000000000000000000f1")
	tx := testchain.Transfer(t, g, 0, 0, to, 4242)
	mineWith(t, full, 3, tx)
	id := peerOf(t, full).ID
	waitFor(t, "the nodes to connect", 10*time.Second, func() bool { return len(asker.Net.Peers()) == 1 })
	ctx := context.Background()

	head := full.Chain.Head()
	p, err := asker.Net.AccountProof(ctx, id, to, common.Hash{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if acct, err := proof.VerifyAccountAt(p, to, head.Hash); err != nil || acct == nil || acct.Balance != 4242 {
		t.Fatalf("account at the head: %+v %v", acct, err)
	}
	genesis := full.Chain.GenesisHash()
	p, err = asker.Net.AccountProof(ctx, id, to, genesis, true)
	if err != nil {
		t.Fatal(err)
	}
	if acct, err := proof.VerifyAccountAt(p, to, genesis); err != nil || acct != nil {
		t.Fatalf("account at genesis: %+v %v", acct, err)
	}
	tp, err := asker.Net.TxProof(ctx, id, tx.Hash())
	if err != nil {
		t.Fatal(err)
	}
	res, err := full.Chain.Tx(tx.Hash())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := proof.VerifyTxAt(tp, tx.Hash(), res.Block); err != nil {
		t.Fatal(err)
	}
	if _, err := asker.Net.TxProof(ctx, id, common.Hash{1}); !errors.Is(err, gossip.ErrProofRefused) {
		t.Fatalf("unknown tx: %v", err)
	}
	if _, err := asker.Net.AccountProof(ctx, id, to, common.Hash{2}, false); !errors.Is(err, gossip.ErrProofRefused) {
		t.Fatalf("unknown block: %v", err)
	}
}

// TestHostileProofRequests: a bare libp2p host sends the proof protocol
// oversized frames, garbage, wrong kinds and lengths, and a burst of
// requests in parallel. Each bad request gets a bad-request reply or a
// reset, never a crash, and the node still answers a good request.
func TestHostileProofRequests(t *testing.T) {
	g := easyGenesis()
	victim := startNode(t, g, false)
	mineWith(t, victim, 2)
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	info := peerOf(t, victim)
	ctx := context.Background()
	if err := h.Connect(ctx, info); err != nil {
		t.Fatal(err)
	}
	pid := protocol.ID(fmt.Sprintf("/tinychain/%d/proof/1", g.ChainID))
	// ask sends raw bytes and returns the reply code, or -1 for a reset
	// or no reply.
	ask := func(raw []byte) int {
		s, err := h.NewStream(ctx, info.ID, pid)
		if err != nil {
			return -1
		}
		defer s.Close()
		s.SetDeadline(time.Now().Add(20 * time.Second))
		s.Write(raw)
		s.CloseWrite()
		b := readRaw(bufio.NewReader(s))
		var reply struct {
			Code          uint8
			Message, Body []byte
		}
		if b == nil || rlp.DecodeBytes(b, &reply) != nil {
			return -1
		}
		return int(reply.Code)
	}
	frame := func(v any) []byte {
		b, _ := rlp.EncodeToBytes(v)
		return append(appendUvarint(len(b)), b...)
	}
	type req struct {
		Kind      uint8
		ID, Block []byte
	}
	addr := common.HexToAddress("0x01")
	for name, tc := range map[string]struct {
		raw  []byte
		want []int
	}{
		"oversized":      {appendUvarint(1 << 40), []int{-1}},
		"over the limit": {frame(req{Kind: 0, ID: make([]byte, 200)}), []int{-1}},
		"not rlp":        {append(appendUvarint(3), 0xff, 0xff, 0xff), []int{-1}},
		"short":          {appendUvarint(10), []int{-1}},
		"unknown kind":   {frame(req{Kind: 9, ID: addr[:]}), []int{int(gossip.ProofBadRequest)}},
		"short address":  {frame(req{Kind: 0, ID: addr[:3]}), []int{int(gossip.ProofBadRequest)}},
		"bad block":      {frame(req{Kind: 0, ID: addr[:], Block: []byte{1, 2}}), []int{int(gossip.ProofBadRequest)}},
		"tx with block":  {frame(req{Kind: 2, ID: make([]byte, 32), Block: make([]byte, 32)}), []int{int(gossip.ProofBadRequest)}},
		"unknown tx":     {frame(req{Kind: 2, ID: make([]byte, 32)}), []int{int(gossip.ProofNotFound)}},
		"good":           {frame(req{Kind: 0, ID: addr[:]}), []int{int(gossip.ProofOK)}},
	} {
		if got := ask(tc.raw); got != tc.want[0] {
			t.Errorf("%s: reply %d, want %d", name, got, tc.want[0])
		}
	}
	// A burst: at most two streams are served at once, the rest reset;
	// the budget holds the rest back. Nothing else happens.
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for range 32 {
		wg.Go(func() {
			c := ask(frame(req{Kind: 1, ID: addr[:]}))
			mu.Lock()
			codes[c]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if codes[int(gossip.ProofOK)] == 0 || codes[int(gossip.ProofOK)]+codes[-1] != 32 {
		t.Fatalf("burst replies %v", codes)
	}
	if got := ask(frame(req{Kind: 0, ID: addr[:]})); got != int(gossip.ProofOK) {
		t.Fatalf("after the burst: %d", got)
	}
}

func appendUvarint(n int) []byte {
	var b []byte
	x := uint64(n)
	for x >= 0x80 {
		b = append(b, byte(x)|0x80)
		x >>= 7
	}
	return append(b, byte(x))
}
