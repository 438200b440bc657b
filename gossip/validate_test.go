package gossip

import (
	"context"
	"testing"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// TestValidatorIgnoresWhenImportQueueFull: with the import queue full the
// block validator answers Ignore at once (it never waits for room, so
// libp2p is not held up) and strikes nobody; once the importer runs, the
// same block is a duplicate and its child is relayed.
func TestValidatorIgnoresWhenImportQueueFull(t *testing.T) {
	g := testchain.Genesis()
	src := testchain.New(t, g)
	var blocks []*proto.Block
	for range 2 {
		b := src.MineOnHead(wallet.DevAddress(9))
		if err := src.C.ProcessBlock(b); err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, b)
	}
	tc := testchain.New(t, g)
	imp := blockchain.NewImporter(tc.C, blockchain.ImporterConfig{Queue: 1})
	defer imp.Stop()
	n, err := New(Config{DataDir: t.TempDir(), Listen: []string{"/ip4/127.0.0.1/tcp/0"}, Chain: tc.C, Importer: imp})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	// The importer is not running: a block queued and given up on fills it.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = imp.TrySubmit(ctx, blocks[0], blockchain.BlockOrigin{})
	key, _, err := crypto.GenerateEd25519Key(nil)
	if err != nil {
		t.Fatal(err)
	}
	from, _ := peer.IDFromPrivateKey(key)
	msg := func(b *proto.Block) *pubsub.Message {
		return &pubsub.Message{Message: &pb.Message{Data: b.Encode()}}
	}
	if r := n.validateBlock(context.Background(), from, msg(blocks[0])); r != pubsub.ValidationIgnore {
		t.Fatalf("queue full: %v, want ignore", r)
	}
	if err := imp.Start(); err != nil {
		t.Fatal(err)
	}
	for tc.C.Head().Header.Height < 1 {
		if r := n.validateBlock(context.Background(), from, msg(blocks[0])); r == pubsub.ValidationAccept {
			break // the queued copy was imported by the time this one was looked at
		}
	}
	if r := n.validateBlock(context.Background(), from, msg(blocks[0])); r != pubsub.ValidationIgnore {
		t.Fatalf("duplicate: %v, want ignore", r)
	}
	if r := n.validateBlock(context.Background(), from, msg(blocks[1])); r != pubsub.ValidationAccept {
		t.Fatalf("child: %v, want accept", r)
	}
	if s := n.Strikes(from.String()); s != 0 {
		t.Fatalf("%d strikes", s)
	}
}

// TestValidatorVerdictTimeout: when the importer's verdict does not come
// within Config.VerdictWait (here the importer is not running), the block
// validator ignores the block, strikes nobody, and the block stays queued:
// the importer still processes it once it runs.
func TestValidatorVerdictTimeout(t *testing.T) {
	g := testchain.Genesis()
	src := testchain.New(t, g)
	b := src.MineOnHead(wallet.DevAddress(9))
	if err := src.C.ProcessBlock(b); err != nil {
		t.Fatal(err)
	}
	tc := testchain.New(t, g)
	imp := blockchain.NewImporter(tc.C, blockchain.ImporterConfig{})
	defer imp.Stop()
	n, err := New(Config{DataDir: t.TempDir(), Listen: []string{"/ip4/127.0.0.1/tcp/0"}, Chain: tc.C, Importer: imp,
		VerdictWait: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	key, _, err := crypto.GenerateEd25519Key(nil)
	if err != nil {
		t.Fatal(err)
	}
	from, _ := peer.IDFromPrivateKey(key)
	m := &pubsub.Message{Message: &pb.Message{Data: b.Encode()}}
	if r := n.validateBlock(context.Background(), from, m); r != pubsub.ValidationIgnore {
		t.Fatalf("no verdict: %v, want ignore", r)
	}
	if s := n.Strikes(from.String()); s != 0 {
		t.Fatalf("%d strikes", s)
	}
	if p := imp.Pending(); p != 1 {
		t.Fatalf("%d blocks queued, want the one given up on", p)
	}
	if err := imp.Start(); err != nil {
		t.Fatal(err)
	}
	for tc.C.Head().Hash != b.Hash() {
		time.Sleep(time.Millisecond)
	}
}
