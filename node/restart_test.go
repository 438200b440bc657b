package node_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// openNode starts a node on dir (a fixed data dir, to restart on).
func openNode(t *testing.T, dir string, mine bool) *node.Node {
	t.Helper()
	n, err := node.New(node.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", Genesis: easyGenesis(), Mine: mine,
		MinerAddr: wallet.DevAddress(9), MineThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		n.Close()
		t.Fatal(err)
	}
	return n
}

// TestLocalTxsSurviveRestart: txs sent to the API are pending again after
// a restart on the same data dir (the journal), one mined meanwhile is
// skipped, and the replayed ones are then mined.
func TestLocalTxsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	n := openNode(t, dir, false)
	cl := node.NewClient("http://" + n.HTTPAddr())
	ctx := context.Background()
	mined, pending, queued := transfer(t, 77, 0, wallet.DevAddress(4), 1), transfer(t, 77, 1, wallet.DevAddress(4), 2),
		transfer(t, 77, 3, wallet.DevAddress(4), 3)
	for _, tx := range []*proto.Tx{mined, pending, queued} {
		if _, err := cl.SendTx(ctx, tx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cl.SendTx(ctx, pending); err != nil { // sent twice, journaled once
		t.Fatal(err)
	}
	mineOne(t, n, mined)
	n.Close()

	n = openNode(t, dir, false)
	base := "http://" + n.HTTPAddr()
	st, _ := getTxStatus(t, base, "/v1/txs/"+pending.Hash().Hex())
	if st == nil || st.Status != "pending" {
		t.Fatalf("after a restart the pending tx is %+v", st)
	}
	st, _ = getTxStatus(t, base, "/v1/txs/"+queued.Hash().Hex())
	if st == nil || st.Status != "queued" || *st.WaitingForNonce != 2 {
		t.Fatalf("after a restart the queued tx is %+v", st)
	}
	if count, _ := n.Pool.Stats(); count != 2 {
		t.Fatalf("mempool holds %d txs after the restart, want 2", count)
	}
	mineOne(t, n, pending)
	eventually(t, func() string {
		if st, _ := getTxStatus(t, base, "/v1/txs/"+pending.Hash().Hex()); st == nil || st.Status != "included" {
			return fmt.Sprintf("the replayed tx: %+v", st)
		}
		return ""
	})
	n.Close()
	// The journal now holds only the queued tx: the mined ones left it.
	n = openNode(t, dir, false)
	defer n.Close()
	if count, _ := n.Pool.Stats(); count != 1 || n.Pool.Get(queued.Hash()) == nil {
		t.Fatalf("mempool holds %d txs after the second restart, want the queued one", count)
	}
}

// TestJournalTornTail: a journal cut mid-record (a crash while writing)
// replays what comes before the cut.
func TestJournalTornTail(t *testing.T) {
	dir := t.TempDir()
	a, b := transfer(t, 77, 0, wallet.DevAddress(4), 1), transfer(t, 77, 1, wallet.DevAddress(4), 2)
	enc := append(a.Encode(), b.Encode()...)
	if err := os.WriteFile(filepath.Join(dir, "transactions.rlp"), enc[:len(enc)-5], 0o600); err != nil {
		t.Fatal(err)
	}
	n := openNode(t, dir, false)
	defer n.Close()
	if count, _ := n.Pool.Stats(); count != 1 || n.Pool.Get(a.Hash()) == nil {
		t.Fatalf("mempool holds %d txs, want the one before the cut", count)
	}
}

// TestDataDirInUse: a second node on a data dir that a running node holds
// is refused, naming the holder's pid.
func TestDataDirInUse(t *testing.T) {
	dir := t.TempDir()
	n := openNode(t, dir, false)
	_, err := node.New(node.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", Genesis: easyGenesis()})
	want := fmt.Sprintf("data dir %s is in use by another tinychain node (pid %d)", dir, os.Getpid())
	if err == nil || err.Error() != want {
		t.Fatalf("second node: %v, want %q", err, want)
	}
	n.Close()
	n = openNode(t, dir, false) // released at Close
	n.Close()
}

// TestListenPortInUse: a node whose p2p port is taken fails and says so,
// whether every listen address is taken (a second node with the same
// --listen) or only one (it would have run without that transport).
func TestListenPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	tcp, quic := fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", port), fmt.Sprintf("/ip4/127.0.0.1/udp/%d/quic-v1", port)
	start := func(listen []string) error {
		n, err := node.New(node.Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", Genesis: easyGenesis(),
			P2P: &gossip.Config{Listen: listen}})
		if err != nil {
			return err
		}
		defer n.Close()
		return n.Start()
	}
	for _, listen := range [][]string{{tcp}, {tcp, quic}} {
		if err := start(listen); err == nil || !strings.Contains(err.Error(), "cannot listen on "+tcp) || !strings.Contains(err.Error(), "in use") {
			t.Fatalf("listen %v with TCP %d taken: %v", listen, port, err)
		}
	}
	// Two nodes on one port: the second is refused.
	l.Close()
	runNode(t, node.Config{Genesis: easyGenesis(), P2P: &gossip.Config{Listen: []string{tcp, quic}}})
	if err := start([]string{tcp, quic}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("a second node on port %d: %v", port, err)
	}
}

// TestHTTPPortInUse: a node whose --http port is taken says so.
func TestHTTPPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	n, err := node.New(node.Config{DataDir: t.TempDir(), HTTPAddr: l.Addr().String(), Genesis: easyGenesis()})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := n.Start(); err == nil || !strings.Contains(err.Error(), "the port is in use") {
		t.Fatalf("start on a busy HTTP port: %v", err)
	}
}
