package blockchain

import (
	"github.com/tinychain/tinychain/chain/state"
	"github.com/tinychain/tinychain/chain/store"
)

// Internals that the external tests (package chain_test, which may import
// internal/testchain and chain/miner) damage or read.
var (
	ExportTxKey      = txKey
	ExportAddrTxKey  = addrTxKey
	ExportHeightKey  = heightKey
	ExportUndoKey    = undoKey
	ExportReceiptKey = receiptKey
	ExportAccountKey = state.AccountKey
)

// ExportDB is the chain's database.
func ExportDB(c *Chain) *store.DB { return c.db }
