package blockchain

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/store"
	"github.com/tinychain/tinychain/proto"
)

// A power loss can lose unsynced side-block writes while keeping later
// ones: the index then holds blocks whose parent is gone. The chain opens
// anyway, without them (and their descendants), on the synced head.
func TestOpenDropsBlocksWhoseParentWasLost(t *testing.T) {
	g := chain.Devnet()
	limit := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(1))
	g.Target, g.PowLimit = (*hexutil.Big)(limit), (*hexutil.Big)(new(big.Int).Set(limit))
	dir := t.TempDir()
	c, err := Open(Config{Dir: dir, Genesis: g})
	if err != nil {
		t.Fatal(err)
	}
	head := c.Head().Hash
	c.Close()

	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	lost := proto.Header{Version: chain.HeaderVersion, Height: 1, PrevHash: head, Timestamp: g.Timestamp + 1000, Target: common.BigToHash(limit)}
	orphan := proto.Header{Version: chain.HeaderVersion, Height: 2, PrevHash: lost.Hash(), Timestamp: g.Timestamp + 2000, Target: common.BigToHash(limit)}
	child := proto.Header{Version: chain.HeaderVersion, Height: 3, PrevHash: orphan.Hash(), Timestamp: g.Timestamp + 3000, Target: common.BigToHash(limit)}
	batch := new(store.Batch)
	for i, h := range []proto.Header{orphan, child} {
		putRLP(batch, indexKey(h.Hash()), &indexRecord{Header: h, Work: workBytes(big.NewInt(int64(4 + 2*i))), Seq: uint64(10 + i)})
	}
	if err := db.Write(batch, false); err != nil {
		t.Fatal(err)
	}
	db.Close()

	c, err = Open(Config{Dir: dir, Genesis: g})
	if err != nil {
		t.Fatalf("open with a lost parent in the index: %v", err)
	}
	defer c.Close()
	if got := c.Head().Hash; got != head {
		t.Fatalf("head %s, want %s", got, head)
	}
	for _, h := range []proto.Header{orphan, child} {
		if _, err := c.HeaderByHash(h.Hash()); err == nil {
			t.Fatalf("block %d whose ancestor was lost is still indexed", h.Height)
		}
	}
}
