package blockchain

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/smt"
	"github.com/tinychain/tinychain/chain/state"
	"github.com/tinychain/tinychain/chain/store"
	"github.com/tinychain/tinychain/proto"
)

// Verify checks that the database agrees with its main chain, as it must
// after any crash (each block is one atomic batch): the stored state is
// the head's (its Merkle root is the head's state_root); every main-chain
// block is stored and valid with its receipts and undo data, and under its
// height in the height index, which has nothing above the head; the tx
// index holds exactly the main chain's txs, each at its place, and the
// receipts exactly theirs, one key each, hashing to each block's
// receipts_root; the address index holds exactly each main-chain tx under each address it touches.
// It reads the whole database: a check for tests and for after a crash,
// not for a busy node. It does not re-execute blocks (a replay does).
func (c *Chain) Verify() error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	snap, err := c.db.Snapshot()
	if err != nil {
		return err
	}
	defer snap.Release()
	if err := c.verifyState(snap); err != nil {
		return err
	}
	txs := map[common.Hash]TxLocation{}
	addrs := map[string]common.Hash{} // address index key -> tx hash
	for h, n := range c.main {
		if err := verifyBlock(snap, uint64(h), n, txs, addrs); err != nil {
			return err
		}
	}
	if ok, _ := snap.Has(heightKey(uint64(len(c.main)))); ok {
		return fmt.Errorf("height index has an entry above the head %d", len(c.main)-1)
	}
	return verifyIndexes(snap, txs, addrs)
}

// verifyState checks that the stored tree's root is the head's state_root
// and that the stored accounts, hashed into a fresh tree, give that root.
func (c *Chain) verifyState(snap *store.Snapshot) error {
	root, err := c.newState(snap).Root()
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if root != c.head.header.StateRoot {
		return fmt.Errorf("stored state root %s, head %s says %s", root, c.head.hash, c.head.header.StateRoot)
	}
	fresh := smt.Open(state.EmptyDB{}, state.SMTPrefix)
	it := snap.Iterator([]byte{'a'}, nil)
	for it.Next() {
		a, ok := state.AccountFromKey(it.Key())
		if ok {
			err = fresh.Update(state.AccountLeaf(a, it.Value()))
		}
		if !ok || err != nil {
			it.Release()
			return fmt.Errorf("account entry %x: %v", it.Key(), err)
		}
	}
	it.Release()
	if err := it.Error(); err != nil {
		return err
	}
	if r, err := fresh.Root(); err != nil || common.Hash(r) != root {
		return fmt.Errorf("the stored accounts hash to %x, the stored tree to %s (%v)", r, root, err)
	}
	return nil
}

// verifyBlock checks main-chain block n at height h: valid, under its
// height, stored with its receipts (committed to by its header) and undo
// data; it adds the block's txs to the locations and address-index keys
// that verifyIndexes expects.
func verifyBlock(snap *store.Snapshot, h uint64, n *blockNode, txs map[common.Hash]TxLocation, addrs map[string]common.Hash) error {
	if n.status != statusValid {
		return fmt.Errorf("main-chain block %d %s has status %s", h, n.hash, n.status)
	}
	if got, err := mustGet(snap, heightKey(h)); err != nil || !bytes.Equal(got, n.hash[:]) {
		return fmt.Errorf("height index at %d: %x, want %s (%v)", h, got, n.hash, err)
	}
	enc, err := mustGet(snap, blockKey(n.hash))
	if err != nil {
		return fmt.Errorf("main-chain block %d %s: %w", h, n.hash, err)
	}
	b, err := proto.DecodeBlock(enc)
	if err != nil {
		return fmt.Errorf("main-chain block %d %s: %w", h, n.hash, err)
	}
	// Its receipts, one key each, exactly as many as its txs, and
	// committed to by its header.
	rs, err := readReceipts(snap, n.hash)
	if err != nil || len(rs) != len(b.Txs) {
		return fmt.Errorf("receipts of block %d: %d for %d txs (%v)", h, len(rs), len(b.Txs), err)
	}
	if r := chain.ReceiptsRoot(rs); r != b.Header.ReceiptsRoot {
		return fmt.Errorf("receipts of block %d hash to %s, its header says %s", h, r, b.Header.ReceiptsRoot)
	}
	locs, err := txLocations(n.hash, enc)
	if err != nil {
		return err
	}
	if h > 0 {
		if ok, err := snap.Has(undoKey(n.hash)); err != nil || !ok {
			return fmt.Errorf("undo data of block %d missing (%v)", h, err)
		}
	}
	for i, tx := range b.Txs {
		txs[tx.Hash()] = locs[i]
		from, err := chain.Sender(tx)
		if err != nil {
			return err
		}
		for _, a := range txAddresses(tx, from) {
			addrs[string(addrTxKey(a, h, uint32(i)))] = tx.Hash()
		}
	}
	return nil
}

// verifyIndexes checks that the tx index, the receipts and the address
// index hold exactly the main chain's entries (txs and addrs).
func verifyIndexes(snap *store.Snapshot, txs map[common.Hash]TxLocation, addrs map[string]common.Hash) error {
	it := snap.Iterator([]byte{'t'}, nil)
	seen := 0
	for it.Next() {
		var loc TxLocation
		if err := decodeStored(it.Value(), &loc); err != nil {
			it.Release()
			return fmt.Errorf("tx index: %w", err)
		}
		h := common.BytesToHash(it.Key()[1:])
		if want, ok := txs[h]; !ok || want != loc {
			it.Release()
			return fmt.Errorf("tx index: %s at %s/%d, main chain has it at %v (%v)", h, loc.Block, loc.Index, want, ok)
		}
		seen++
	}
	it.Release()
	if err := it.Error(); err != nil {
		return err
	}
	if seen != len(txs) {
		return fmt.Errorf("tx index holds %d of the main chain's %d txs", seen, len(txs))
	}
	// No receipts but the main chain's (those were checked block by block).
	it = snap.Iterator([]byte{'r'}, nil)
	seen = 0
	for it.Next() {
		seen++
	}
	it.Release()
	if err := it.Error(); err != nil {
		return err
	}
	if seen != len(txs) {
		return fmt.Errorf("%d receipts stored for the main chain's %d txs", seen, len(txs))
	}
	it = snap.Iterator([]byte{'x'}, nil)
	defer it.Release()
	seen = 0
	for it.Next() {
		want, ok := addrs[string(it.Key())]
		if !ok || !bytes.Equal(it.Value(), want[:]) {
			k := it.Key()
			return fmt.Errorf("address index: %x at height %d holds %x, not a main-chain tx there", k[1:21],
				binary.BigEndian.Uint64(k[21:29]), it.Value())
		}
		seen++
	}
	if err := it.Error(); err != nil {
		return err
	}
	if seen != len(addrs) {
		return fmt.Errorf("address index holds %d of %d entries", seen, len(addrs))
	}
	return nil
}
