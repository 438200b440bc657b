package light_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/light"
	"github.com/tinychain/tinychain/proto"
)

// What a harness peer does with a proof request.
type mode int

const (
	modeLie     mode = iota // the honest node's proof, with the balance or the receipt changed
	modeStall               // reads the request and trickles a reply that never ends
	modeGarbage             // answers "ok" with bytes that are no proof
)

// harness is a real libp2p host on 127.0.0.1 that speaks the proof
// protocol (and nothing else) the way mode says, fetching real proofs
// from an honest full node to tamper with.
type harness struct {
	h      host.Host
	mode   mode
	asked  [3]atomic.Int32 // requests by kind (gossip.ProofAccount, ..., gossip.ProofTx)
	gaveUp atomic.Int32    // stalled streams the asker closed or reset
}

func newHarness(t *testing.T, g *chain.Genesis, m mode, honest ...peer.AddrInfo) *harness {
	t.Helper()
	hs := &harness{h: bareHost(t, honest...), mode: m}
	var from peer.ID
	if len(honest) > 0 {
		from = honest[0].ID
	}
	hs.h.SetStreamHandler(gossip.ProofProtocol(g.ChainID), func(st network.Stream) { hs.serve(t, g, from, st) })
	return hs
}

func (hs *harness) info() peer.AddrInfo { return peer.AddrInfo{ID: hs.h.ID(), Addrs: hs.h.Addrs()} }

func (hs *harness) serve(t *testing.T, g *chain.Genesis, honest peer.ID, st network.Stream) {
	defer st.Close()
	r := bufio.NewReader(st)
	n, err := binary.ReadUvarint(r)
	if err != nil || n > 128 {
		st.Reset()
		return
	}
	var req struct {
		Kind  uint8
		ID    []byte
		Block []byte
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil || rlp.DecodeBytes(b, &req) != nil || req.Kind > gossip.ProofTx {
		st.Reset()
		return
	}
	hs.asked[req.Kind].Add(1)
	var reply []byte
	switch hs.mode {
	case modeStall:
		// A reply frame of 1,000 bytes, trickled a byte every 50 ms: until
		// the asker gives up (resets the stream, so a write fails), or
		// 50 s if it never does.
		if _, err := st.Write(binary.AppendUvarint(nil, 1000)); err != nil {
			return
		}
		for range 1000 {
			time.Sleep(50 * time.Millisecond)
			if _, err := st.Write([]byte{0xc0}); err != nil {
				hs.gaveUp.Add(1)
				return
			}
		}
		return
	case modeGarbage:
		reply = []byte("no proof at all")
	case modeLie:
		reply = hs.forge(t, g, honest, req.Kind, req.ID, req.Block)
	}
	out, _ := rlp.EncodeToBytes([]any{uint8(gossip.ProofOK), []byte{}, reply})
	st.Write(binary.AppendUvarint(nil, uint64(len(out))))
	st.Write(out)
}

// forge asks the honest node for the proof asked of us and changes what
// it proves: an account's balance (ten times, plus one), or a tx's
// receipt (a fault with other gas). The paths stay the honest ones.
func (hs *harness) forge(t *testing.T, g *chain.Genesis, honest peer.ID, kind uint8, id, block []byte) []byte {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if kind == gossip.ProofTx {
		p, err := gossip.FetchTxProof(ctx, hs.h, g.ChainID, honest, common.BytesToHash(id))
		if err != nil {
			t.Errorf("harness: honest tx proof: %v", err)
			return nil
		}
		rcpt, _ := proto.DecodeReceipt(p.Receipt)
		rcpt.Status, rcpt.ErrCode, rcpt.GasUsed = proto.StatusFault, proto.ErrCodeTapeLeft, rcpt.GasUsed+1
		p.Receipt = proto.Encode(rcpt)
		return p.Encode()
	}
	p, err := gossip.FetchAccountProof(ctx, hs.h, g.ChainID, honest, common.BytesToAddress(id), common.BytesToHash(block), false)
	if err != nil {
		t.Errorf("harness: honest account proof: %v", err)
		return nil
	}
	acct, _ := proto.DecodeAccount(p.Account)
	if acct == nil {
		acct = &proto.Account{}
	}
	acct.Balance = acct.Balance*10 + 1
	forged := *p
	forged.Account = proto.Encode(acct)
	return forged.Encode()
}

// logBuffer collects a node's log lines (slog's text form).
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// startLight runs a light node on 127.0.0.1 with cfg (data dir, genesis,
// listen and HTTP addresses filled in) bootstrapped to peers, and waits
// until it knows that the first fullNodes of them serve proofs.
func startLight(t *testing.T, g *chain.Genesis, cfg light.Config, fullNodes int, peers ...peer.AddrInfo) *light.Node {
	t.Helper()
	n := runLight(t, g, cfg, peers...)
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got := 0
		for _, p := range n.Peers() {
			if p.FullNode {
				got++
			}
		}
		if got >= fullNodes {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("the light node sees %d full nodes, want %d: %+v", got, fullNodes, n.Peers())
		}
	}
}

// peerRow returns p's row of the light node's peer table.
func peerRow(t *testing.T, l *light.Node, p peer.ID) light.Peer {
	t.Helper()
	for _, r := range l.Peers() {
		if r.ID == p.String() {
			return r
		}
	}
	t.Fatalf("%s is not in the peer table %+v", p, l.Peers())
	return light.Peer{}
}

// metricLine returns the value text of the metric line named name
// (labels included) from the light node's /metrics, "" if absent.
func metricLine(t *testing.T, url, name string) string {
	t.Helper()
	for _, line := range strings.Split(getText(t, url+"/metrics"), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return ""
}
