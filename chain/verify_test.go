package chain

import (
	"context"
	"math/big"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// Verify passes on a healthy chain and names each kind of damage.
func TestVerifyFindsDamage(t *testing.T) {
	g := Devnet()
	limit := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(1))
	g.Target, g.PowLimit = (*hexutil.Big)(limit), (*hexutil.Big)(new(big.Int).Set(limit))
	c, err := Open(Config{Dir: t.TempDir(), Genesis: g})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var txHash common.Hash
	for i := 0; i < 3; i++ {
		tx := &proto.Tx{ChainID: g.ChainID, Nonce: uint64(i), Kind: proto.KindTransfer, To: common.Address{7}, Value: 1, GasLimit: TxGas, GasPrice: 1}
		if tx.Sig, err = wallet.Sign(tx.SigHash(), wallet.DevKey(0)); err != nil {
			t.Fatal(err)
		}
		txHash = tx.Hash()
		tpl, err := c.NewTemplate()
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := Assemble(tpl, g, wallet.DevAddress(1), tpl.Parent.Timestamp+1000, []*proto.Tx{tx})
		tpl.Release()
		if err != nil || len(b.Txs) != 1 {
			t.Fatalf("assemble: %v", err)
		}
		var n atomic.Uint64
		Solve(context.Background(), &b.Header, 1, &n)
		if err := c.ProcessBlock(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Verify(); err != nil {
		t.Fatalf("healthy chain: %v", err)
	}
	damage := []struct {
		name string
		key  []byte
		val  []byte // nil: delete
	}{
		{"tx index entry lost", txKey(txHash), nil},
		{"stray tx index entry", txKey(common.Hash{1}), proto.Encode(&TxLocation{Block: c.head.hash})},
		{"address index entry lost", addrTxKey(common.Address{7}, 3, 0), nil},
		{"stray address index entry", addrTxKey(common.Address{8}, 2, 0), txHash[:]},
		{"height above the head", heightKey(4), c.head.hash[:]},
		{"undo data lost", undoKey(c.head.hash), nil},
		{"receipt lost", receiptKey(c.head.hash, 0), nil},
		{"receipt changed", receiptKey(c.head.hash, 0), proto.Encode(&proto.Receipt{GasUsed: TxGas + 1})},
		{"stray receipt", receiptKey(common.Hash{2}, 0), proto.Encode(&proto.Receipt{GasUsed: TxGas})},
		{"state changed", accountKey(common.Address{7}), proto.Encode(&proto.Account{Balance: 9})},
	}
	for _, d := range damage {
		old, _ := c.db.Get(d.key, nil)
		if d.val == nil {
			c.db.Delete(d.key, nil)
		} else {
			c.db.Put(d.key, d.val, nil)
		}
		if err := c.Verify(); err == nil {
			t.Errorf("%s: not found", d.name)
		} else {
			t.Logf("%s: %v", d.name, err)
		}
		if old == nil {
			c.db.Delete(d.key, nil)
		} else {
			c.db.Put(d.key, old, nil)
		}
		if err := c.Verify(); err != nil {
			t.Fatalf("after repairing %s: %v", d.name, err)
		}
	}
}
