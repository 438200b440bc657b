package blockchain_test

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// Verify passes on a healthy chain and names each kind of damage.
func TestVerifyFindsDamage(t *testing.T) {
	tc := testchain.New(t, testchain.Genesis())
	c := tc.C
	var txHash common.Hash
	for i := 0; i < 3; i++ {
		tx := testchain.Transfer(t, tc.G, 0, uint64(i), common.Address{7}, 1)
		txHash = tx.Hash()
		if err := c.ProcessBlock(tc.MineOnHead(wallet.DevAddress(1), tx)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Verify(); err != nil {
		t.Fatalf("healthy chain: %v", err)
	}
	head := c.Head().Hash
	db := blockchain.ExportDB(c)
	damage := []struct {
		name string
		key  []byte
		val  []byte // nil: delete
	}{
		{"tx index entry lost", blockchain.ExportTxKey(txHash), nil},
		{"stray tx index entry", blockchain.ExportTxKey(common.Hash{1}), proto.Encode(&blockchain.TxLocation{Block: head})},
		{"address index entry lost", blockchain.ExportAddrTxKey(common.Address{7}, 3, 0), nil},
		{"stray address index entry", blockchain.ExportAddrTxKey(common.Address{8}, 2, 0), txHash[:]},
		{"height above the head", blockchain.ExportHeightKey(4), head[:]},
		{"undo data lost", blockchain.ExportUndoKey(head), nil},
		{"receipt lost", blockchain.ExportReceiptKey(head, 0), nil},
		{"receipt changed", blockchain.ExportReceiptKey(head, 0), proto.Encode(&proto.Receipt{GasUsed: chain.TxGas + 1})},
		{"stray receipt", blockchain.ExportReceiptKey(common.Hash{2}, 0), proto.Encode(&proto.Receipt{GasUsed: chain.TxGas})},
		{"state changed", blockchain.ExportAccountKey(common.Address{7}), proto.Encode(&proto.Account{Balance: 9})},
	}
	for _, d := range damage {
		old, _, _ := db.Get(d.key)
		if d.val == nil {
			db.Delete(d.key)
		} else {
			db.Put(d.key, d.val)
		}
		if err := c.Verify(); err == nil {
			t.Errorf("%s: not found", d.name)
		} else {
			t.Logf("%s: %v", d.name, err)
		}
		if old == nil {
			db.Delete(d.key)
		} else {
			db.Put(d.key, old)
		}
		if err := c.Verify(); err != nil {
			t.Fatalf("after repairing %s: %v", d.name, err)
		}
	}
}
