package examples_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// harness is a mining node on an easy genesis and a dev key to send from.
type harness struct {
	t     *testing.T
	cl    *node.Client
	nonce uint64
	ctx   context.Context
}

func newHarness(t *testing.T) *harness {
	g := testchain.Genesis()
	g.ChainID = chain.DevnetChainID // the examples sign for the devnet
	g.BlockIntervalMs = 200
	n, err := node.New(node.Config{DataDir: t.TempDir(), Genesis: g, HTTPAddr: "127.0.0.1:0",
		Mine: true, MinerAddr: wallet.DevAddress(9), MineThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return &harness{t: t, cl: node.NewClient("http://" + n.HTTPAddr()), ctx: ctx}
}

// send signs tx with dev key 0, sends it and waits for its receipt.
func (h *harness) send(tx *proto.Tx) *node.TxInfo {
	h.t.Helper()
	tx.ChainID, tx.Nonce, tx.GasPrice = chain.DevnetChainID, h.nonce, 1
	if tx.GasLimit == 0 {
		tx.GasLimit = 1_000_000
	}
	h.nonce++
	var err error
	if tx.Sig, err = wallet.Sign(tx.SigHash(), wallet.DevKey(0)); err != nil {
		h.t.Fatal(err)
	}
	hash, err := h.cl.SendTx(h.ctx, tx)
	if err != nil {
		h.t.Fatal(err)
	}
	res, err := h.cl.WaitTx(h.ctx, hash)
	if err != nil {
		h.t.Fatal(err)
	}
	if res.Receipt.Status != "ok" {
		h.t.Fatalf("tx %s: %s %s", hash, res.Receipt.Status, res.Receipt.Error)
	}
	return res
}

// deploy deploys the example file and returns the contract's address.
func (h *harness) deploy(file string) common.Address {
	h.t.Helper()
	code, err := os.ReadFile(file)
	if err != nil {
		h.t.Fatal(err)
	}
	nonce := h.nonce
	res := h.send(&proto.Tx{Kind: proto.KindDeploy, Data: code})
	want := crypto.CreateAddress(wallet.DevAddress(0), nonce)
	if res.Receipt.Contract == nil || *res.Receipt.Contract != want {
		h.t.Fatalf("deploy of %s: contract %v, want %s", file, res.Receipt.Contract, want)
	}
	return want
}

func (h *harness) call(to common.Address, input string) string {
	h.t.Helper()
	return string(h.send(&proto.Tx{Kind: proto.KindCall, To: to, Data: []byte(input)}).Receipt.Output)
}

func TestExamples(t *testing.T) {
	h := newHarness(t)
	counter := h.deploy("counter.bf")
	for i := 1; i <= 3; i++ {
		if out := h.call(counter, ""); out != string([]byte{byte(i)}) {
			t.Fatalf("counter call %d: output %x", i, out)
		}
	}
	echo := h.deploy("echo.bf")
	if out := h.call(echo, "tinychain"); out != "tinychain" {
		t.Fatalf("echo: %q", out)
	}
	hello := h.deploy("hello.bf")
	if out := h.call(hello, ""); out != "Hello World!\n" {
		t.Fatalf("hello: %q", out)
	}
	book := h.deploy("guestbook.bf")
	if out := h.call(book, "alice;"); out != "alice;" {
		t.Fatalf("guestbook 1: %q", out)
	}
	if out := h.call(book, "bob;"); out != "alice;bob;" {
		t.Fatalf("guestbook 2: %q", out)
	}
	tape, err := h.cl.Tape(h.ctx, book)
	if err != nil || string(tape.Tape) != "\x00alice;bob;" {
		t.Fatalf("guestbook tape %q %v", tape.Tape, err)
	}
	// eval reads the state without changing it.
	res, err := h.cl.Eval(h.ctx, &node.EvalRequest{To: &book, Input: "carol;"})
	if err != nil || string(res.Output) != "alice;bob;carol;" {
		t.Fatalf("eval: %+v %v", res, err)
	}
	if out := h.call(book, ""); out != "alice;bob;" {
		t.Fatalf("guestbook after eval: %q", out)
	}
}
