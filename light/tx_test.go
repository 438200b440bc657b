package light_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/light"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// TestLightNodeTxAnswers: GET /v1/txs/{h} on a light node (6
// confirmations) for each tx of a block of 5 (an odd count, so the last
// tx's audit path has a lone node), of every outcome: a transfer, an exec
// with output, a tape fault, an out-of-gas loop and a deploy. Each answer
// is the full node's: the tx, its receipt (status, gas_used, output,
// error, error_code, fault_at, contract), block, height, index and
// confirmations. An unknown tx is 404 not_found; a tx in a block with
// fewer than 6 blocks on top is 404 not_confirmed with its height and
// depth, and 200 once 6 more blocks came.
func TestLightNodeTxAnswers(t *testing.T) {
	g := genesis()
	full, fullInfo := fullNode(t, g, 0)
	txs := []*proto.Tx{
		testchain.Transfer(t, g, 0, 0, common.HexToAddress("0xd0"), 42),
		testchain.Sign(t, g, 1, &proto.Tx{Kind: proto.KindExec, Data: []byte("++++++++[>++++++++<-]>+.+."), GasLimit: 100000}),
		testchain.Sign(t, g, 2, &proto.Tx{Kind: proto.KindExec, Data: []byte("+<"), GasLimit: 100000}),
		testchain.Sign(t, g, 3, &proto.Tx{Kind: proto.KindExec, Data: []byte("+[]"), GasLimit: 30000}),
		testchain.Sign(t, g, 4, &proto.Tx{Kind: proto.KindDeploy, Data: []byte(",[.,]"), GasLimit: 100000}),
	}
	late := testchain.Transfer(t, g, 5, 0, common.HexToAddress("0xd5"), 7)
	tc := &testchain.Chain{T: t, G: g, C: full.Chain}
	for i := range 12 {
		var in []*proto.Tx
		switch i {
		case 0:
			in = txs
		case 11:
			in = []*proto.Tx{late}
		}
		if err := full.Chain.ProcessBlock(tc.MineOnHead(wallet.DevAddress(9), in...)); err != nil {
			t.Fatal(err)
		}
	}
	l := startLight(t, g, light.Config{Confirmations: 6}, 1, fullInfo)
	waitTip(t, l, full.Chain.Head().Hash)
	lurl, furl := "http://"+l.HTTPAddr()+"/v1/txs/", "http://"+full.HTTPAddr()+"/v1/txs/"

	statuses, last := map[string]bool{}, false
	for _, tx := range txs {
		var got light.TxStatus
		var want node.TxInfo
		if code := get(t, furl+tx.Hash().Hex(), &want); code != 200 {
			t.Fatalf("full node: %d", code)
		}
		if code := get(t, lurl+tx.Hash().Hex(), &got); code != 200 {
			t.Fatalf("light node: %s: %d", tx.Hash(), code)
		}
		if !sameJSON(got.Receipt, want.Receipt) || !sameJSON(got.Tx, want.Tx) || *got.TxStatus.Block != *want.Block ||
			*got.TxStatus.Height != 1 || *got.Index != *want.Index || *got.Confirmations != *want.Confirmations ||
			got.Status != "included" || got.Peer != fullInfo.ID.String() || got.Verified.Block != *want.Block {
			t.Errorf("light %+v\nreceipt %+v\nfull %+v\nreceipt %+v", got, got.Receipt, want, want.Receipt)
		}
		statuses[got.Receipt.Status+"/"+got.Receipt.ErrorCode] = true
		last = last || *got.Index == len(txs)-1
	}
	for _, s := range []string{"ok/", "fault/tape_left", "out_of_gas/out_of_gas"} {
		if !statuses[s] {
			t.Errorf("no receipt %s among %v", s, statuses)
		}
	}
	if !last {
		t.Error("the block's last tx was not asked")
	}

	var e node.Error
	if code := getErr(t, lurl+common.Hash{1}.Hex(), &e); code != http.StatusNotFound || e.Code != "not_found" {
		t.Errorf("unknown tx: %d %+v", code, e)
	}
	if code := getErr(t, lurl+late.Hash().Hex(), &e); code != http.StatusNotFound || e.Code != "not_confirmed" ||
		!strings.Contains(e.Error, "block 12 with 0 blocks on top, want 6") {
		t.Errorf("a tx 0 blocks deep: %d %+v", code, e)
	}
	mineVia(t, full, g, 6)
	waitTip(t, l, full.Chain.Head().Hash)
	var got light.TxStatus
	if code := get(t, lurl+late.Hash().Hex(), &got); code != 200 || *got.Confirmations != 7 || got.Receipt.Status != "ok" {
		t.Errorf("6 blocks deep: %d %+v", code, got)
	}
}
