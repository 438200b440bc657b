package node_test

import (
	"context"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// easyGenesis mines instantly: half of all hashes solve a block.
func easyGenesis() *chain.Genesis {
	g := testchain.Genesis()
	g.ChainID = 77
	g.BlockIntervalMs = 200
	return g
}

// startNode runs a real node with its API on a free port.
func startNode(t *testing.T, mine bool) (*node.Node, *node.Client) {
	t.Helper()
	n := runNode(t, node.Config{Genesis: easyGenesis(), Mine: mine, MinerAddr: wallet.DevAddress(9), MineThreads: 1})
	return n, node.NewClient("http://" + n.HTTPAddr())
}

// runNode starts a node of cfg in a temp dir, its API on a free port, and
// closes it when the test ends.
func runNode(t *testing.T, cfg node.Config) *node.Node {
	t.Helper()
	cfg.DataDir, cfg.HTTPAddr = t.TempDir(), "127.0.0.1:0"
	n, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func transfer(t *testing.T, chainID, nonce uint64, to common.Address, value uint64) *proto.Tx {
	t.Helper()
	tx := &proto.Tx{ChainID: chainID, Nonce: nonce, Kind: proto.KindTransfer, To: to, Value: value, GasLimit: chain.TxGas, GasPrice: 1}
	var err error
	if tx.Sig, err = wallet.Sign(tx.SigHash(), wallet.DevKey(0)); err != nil {
		t.Fatal(err)
	}
	return tx
}

func TestSendTransferAndQuery(t *testing.T) {
	_, cl := startNode(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	to := common.HexToAddress("0x00000000000000000000000000000000000000cc")
	tx := transfer(t, 77, 0, to, 12345)
	h, err := cl.SendTx(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	if h != tx.Hash() {
		t.Fatalf("hash %s, want %s", h, tx.Hash())
	}
	res, err := cl.WaitTx(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if res.Receipt == nil || res.Receipt.Status != "ok" || res.Receipt.GasUsed != chain.TxGas {
		t.Fatalf("receipt %+v", res.Receipt)
	}
	if res.Tx.From != wallet.DevAddress(0) || res.Tx.Value != 12345 || res.Tx.Kind != "transfer" {
		t.Fatalf("tx %+v", res.Tx)
	}
	acct, err := cl.Account(ctx, to)
	if err != nil || acct.Balance != 12345 || acct.IsContract {
		t.Fatalf("account %+v %v", acct, err)
	}
	b, err := cl.Block(ctx, res.Block.Hex(), false)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := b.TxHashes()
	if err != nil || len(hs) != 1 || hs[0] != h || b.Height != *res.Height {
		t.Fatalf("block %+v txs %v %v", b, hs, err)
	}
	byHeight, err := cl.Block(ctx, big.NewInt(int64(b.Height)).String(), true)
	if err != nil || byHeight.Hash != b.Hash {
		t.Fatalf("block by height: %v", err)
	}
	full, err := byHeight.FullTxs()
	if err != nil || len(full) != 1 || full[0].Hash != h {
		t.Fatalf("full txs %v %v", full, err)
	}
	st, err := cl.Status(ctx)
	if err != nil || st.ChainID != 77 || st.Height < b.Height || !st.Mining {
		t.Fatalf("status %+v %v", st, err)
	}
	// A replay of the same tx is now a nonce error with its rule code.
	_, err = cl.SendTx(ctx, tx)
	var ae *node.APIError
	if !asAPIError(err, &ae) || ae.Status != 400 || ae.Code != "nonce-too-low" {
		t.Fatalf("replay: %v", err)
	}
}

func asAPIError(err error, out **node.APIError) bool {
	ae, ok := err.(*node.APIError)
	*out = ae
	return ok
}

func TestAPIErrors(t *testing.T) {
	n, _ := startNode(t, false)
	base := "http://" + n.HTTPAddr()
	good := transfer(t, 77, 0, common.HexToAddress("0x01"), 1)
	wrongChain := transfer(t, 78, 0, common.HexToAddress("0x01"), 1)
	cases := []struct {
		name, method, path, body string
		status                   int
		code, contains           string
	}{
		{"unknown route", "GET", "/v1/nothing", "", 404, "", "no such endpoint"},
		{"no block at height", "GET", "/v1/blocks/999999", "", 404, "", "no block"},
		{"bad block id", "GET", "/v1/blocks/xyz", "", 400, "", "block id"},
		{"unknown block hash", "GET", "/v1/blocks/0x" + strings.Repeat("ab", 32), "", 404, "", "no block"},
		{"short hash", "GET", "/v1/txs/0x1234", "", 400, "", "64 hex"},
		{"unknown tx", "GET", "/v1/txs/0x" + strings.Repeat("00", 32), "", 404, "", "no tx"},
		{"bad address", "GET", "/v1/accounts/0xzz", "", 400, "", "address"},
		{"bad checksum", "GET", "/v1/accounts/0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "", 400, "", "checksum"},
		{"bad json", "POST", "/v1/txs", "{", 400, "", "bad JSON"},
		{"unknown field", "POST", "/v1/txs", `{"raw":"0x00","x":1}`, 400, "", "unknown field"},
		{"trailing data", "POST", "/v1/txs", `{"raw":"0x00"} {}`, 400, "", "after"},
		{"missing raw", "POST", "/v1/txs", `{}`, 400, "", "raw"},
		{"not hex", "POST", "/v1/txs", `{"raw":"zz"}`, 400, "", "bad JSON"},
		{"garbage tx", "POST", "/v1/txs", `{"raw":"0xc0"}`, 400, "malformed", "tx"},
		{"non-canonical tx", "POST", "/v1/txs", `{"raw":"` + hexutil.Encode(append(good.Encode(), 0)) + `"}`, 400, "malformed", ""},
		{"wrong chain", "POST", "/v1/txs", `{"raw":"` + hexutil.Encode(wrongChain.Encode()) + `"}`, 400, "bad-chain-id", "chain id"},
		{"huge body", "POST", "/v1/txs", `{"raw":"0x` + strings.Repeat("00", 300<<10) + `"}`, 413, "", "body over"},
		{"wrong method", "DELETE", "/v1/status", "", 405, "", "not allowed"},
		{"wrong method on wildcard", "PUT", "/v1/blocks/1", "", 405, "", "not allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			var e node.Error
			if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
				t.Fatalf("error body %q", body)
			}
			if e.Code != c.code {
				t.Fatalf("code %q, want %q (%s)", e.Code, c.code, e.Error)
			}
			if !strings.Contains(e.Error, c.contains) {
				t.Fatalf("error %q does not say %q", e.Error, c.contains)
			}
		})
	}
}

func TestPendingTxAndMempool(t *testing.T) {
	_, cl := startNode(t, false)
	ctx := context.Background()
	tx := transfer(t, 77, 0, common.HexToAddress("0x02"), 5)
	if _, err := cl.SendTx(ctx, tx); err != nil {
		t.Fatal(err)
	}
	st, err := cl.Tx(ctx, tx.Hash())
	if err != nil || st.State != "pending" || st.Receipt != nil {
		t.Fatalf("pending tx: %+v %v", st, err)
	}
	mp, err := cl.Mempool(ctx)
	if err != nil || mp.Count != 1 || len(mp.Txs) != 1 || mp.Txs[0].Hash != tx.Hash() {
		t.Fatalf("mempool %+v %v", mp, err)
	}
	acct, err := cl.Account(ctx, wallet.DevAddress(0))
	if err != nil || acct.Nonce != 0 || acct.PendingNonce != 1 {
		t.Fatalf("account %+v %v", acct, err)
	}
}
