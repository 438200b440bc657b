package blockchain

import (
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/tinychain/tinychain/chain"
)

// Internals that the external tests (package chain_test, which may import
// internal/testchain and chain/miner) damage or read.
var (
	ExportTxKey      = txKey
	ExportAddrTxKey  = addrTxKey
	ExportHeightKey  = heightKey
	ExportUndoKey    = undoKey
	ExportReceiptKey = receiptKey
	ExportAccountKey = chain.AccountKey
)

// ExportDB is the chain's LevelDB.
func ExportDB(c *Chain) interface {
	Get([]byte, *opt.ReadOptions) ([]byte, error)
	Put(k, v []byte, o *opt.WriteOptions) error
	Delete(k []byte, o *opt.WriteOptions) error
} {
	return c.db
}
