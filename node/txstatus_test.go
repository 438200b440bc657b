package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

func pricedTransfer(t *testing.T, nonce, price uint64) *proto.Tx {
	t.Helper()
	tx := &proto.Tx{ChainID: 77, Nonce: nonce, Kind: proto.KindTransfer, To: common.HexToAddress("0x0c"), Value: 1,
		GasLimit: chain.TxGas, GasPrice: price}
	var err error
	if tx.Sig, err = wallet.Sign(tx.SigHash(), wallet.DevKey(0)); err != nil {
		t.Fatal(err)
	}
	return tx
}

// getTxStatus GETs path and decodes a TxStatus, or returns the HTTP status.
func getTxStatus(t *testing.T, base, path string) (*node.TxStatus, int) {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, resp.StatusCode
	}
	var st node.TxStatus
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return &st, 200
}

// eventually polls f until it returns "" (head events reach the mempool
// after ProcessBlock returns), failing with its last complaint.
func eventually(t *testing.T, f func() string) {
	t.Helper()
	var why string
	for range 1000 {
		if why = f(); why == "" {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal(why)
}

// TestTxStatusLifecycle: GET /v1/txs/{hash} and ?from=&nonce= say
// pending, queued (waiting for nonce N), included (with confirmations)
// and dropped (with the reason), through a real server.
func TestTxStatusLifecycle(t *testing.T) {
	n, cl := startNode(t, false)
	base := "http://" + n.HTTPAddr()
	ctx := context.Background()
	first, gapped := pricedTransfer(t, 0, 1), pricedTransfer(t, 2, 1)
	for _, tx := range []*proto.Tx{first, gapped} {
		if _, err := cl.SendTx(ctx, tx); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := getTxStatus(t, base, "/v1/txs/"+first.Hash().Hex())
	if st == nil || st.Status != "pending" || st.State != "pending" || st.WaitingForNonce != nil || st.Confirmations != nil {
		t.Fatalf("pending: %+v", st)
	}
	st, _ = getTxStatus(t, base, "/v1/txs/"+gapped.Hash().Hex())
	if st == nil || st.Status != "queued" || st.State != "pending" || st.WaitingForNonce == nil || *st.WaitingForNonce != 1 {
		t.Fatalf("queued: %+v", st)
	}
	// The replacement drops the queued tx, with the reason.
	repl := pricedTransfer(t, 2, 3)
	if _, err := cl.SendTx(ctx, repl); err != nil {
		t.Fatal(err)
	}
	st, _ = getTxStatus(t, base, "/v1/txs/"+gapped.Hash().Hex())
	if st == nil || st.Status != "dropped" || !strings.Contains(st.Reason, "replaced by "+repl.Hash().Hex()) {
		t.Fatalf("replaced: %+v", st)
	}
	mined := mineOne(t, n, first)
	eventually(t, func() string {
		st, _ := getTxStatus(t, base, "/v1/txs/"+first.Hash().Hex())
		if st == nil || st.Status != "included" || st.Confirmations == nil || *st.Confirmations != 1 || *st.Height != mined.Header.Height {
			return fmt.Sprintf("included: %+v", st)
		}
		return ""
	})
	mineOne(t, n)
	byNonce := fmt.Sprintf("/v1/txs?from=%s&nonce=", wallet.DevAddress(0).Hex())
	st, _ = getTxStatus(t, base, byNonce+"0")
	if st == nil || st.Tx.Hash != first.Hash() || st.Status != "included" || *st.Confirmations != 2 {
		t.Fatalf("by nonce 0: %+v", st)
	}
	eventually(t, func() string {
		st, _ := getTxStatus(t, base, byNonce+"2")
		if st == nil || st.Tx.Hash != repl.Hash() || st.Status != "queued" || *st.WaitingForNonce != 1 {
			return fmt.Sprintf("by nonce 2: %+v", st)
		}
		return ""
	})
	if _, code := getTxStatus(t, base, byNonce+"7"); code != 404 {
		t.Fatalf("unknown nonce: %d, want 404", code)
	}
	for _, q := range []string{"/v1/txs?from=0x12&nonce=1", byNonce + "x", "/v1/txs?nonce=1"} {
		if _, code := getTxStatus(t, base, q); code != 400 {
			t.Errorf("%s: %d, want 400", q, code)
		}
	}
	// The account's txs carry confirmations too.
	list, err := http.Get(base + "/v1/accounts/" + wallet.DevAddress(0).Hex() + "/txs")
	if err != nil {
		t.Fatal(err)
	}
	defer list.Body.Close()
	var txs node.TxList
	if err := json.NewDecoder(list.Body).Decode(&txs); err != nil || len(txs.Txs) != 1 || txs.Txs[0].Confirmations == nil {
		t.Fatalf("account txs: %+v %v", txs, err)
	}
}
