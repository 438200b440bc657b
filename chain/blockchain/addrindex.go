package blockchain

import (
	"bytes"
	"encoding/binary"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/store"
	"github.com/tinychain/tinychain/proto"
)

// The address index lists, for every address, the main-chain txs that
// touch it: sent by it, sent to it, or creating it (a deploy). It is
// written and rolled back in the same batch as its block, so it always
// matches the main chain.
//
//	x<addr><height><index>  tx hash (height 8 bytes, index 4 bytes, big-endian)

// MaxAddressTxs bounds one AddressTxs answer.
const MaxAddressTxs = 100

func addrTxPrefix(a common.Address) []byte { return prefixed('x', a[:]) }

func addrTxKey(a common.Address, height uint64, index uint32) []byte {
	return appendAddrTxKey(nil, a, height, index)
}

func appendAddrTxKey(dst []byte, a common.Address, height uint64, index uint32) []byte {
	dst = append(append(dst, 'x'), a[:]...)
	dst = binary.BigEndian.AppendUint64(dst, height)
	return binary.BigEndian.AppendUint32(dst, index)
}

// txAddresses are the addresses tx is listed under: its sender, its
// recipient, for a deploy the contract it creates, and for an exec the
// zero address, whose tape (the world tape) it runs on.
func txAddresses(tx *proto.Tx, from common.Address) []common.Address {
	addrs := []common.Address{from}
	switch {
	case tx.Kind == proto.KindDeploy:
		addrs = append(addrs, crypto.CreateAddress(from, tx.Nonce))
	case tx.Kind == proto.KindExec && from != (common.Address{}):
		addrs = append(addrs, common.Address{})
	case tx.To != (common.Address{}) && tx.To != from:
		addrs = append(addrs, tx.To)
	}
	return addrs
}

// indexAddresses adds (or with del, removes) b's txs to the address
// index, in the order of the keys (LevelDB inserts keys that follow one
// another for less than random ones), cut from one buffer.
func indexAddresses(batch *store.Batch, b *proto.Block, del bool) error {
	const keyLen = 1 + common.AddressLength + 8 + 4
	type entry struct {
		key  []byte
		hash common.Hash
	}
	var entries []entry
	buf := make([]byte, 0, 2*len(b.Txs)*keyLen)
	for i, tx := range b.Txs {
		from, err := chain.Sender(tx)
		if err != nil {
			return err
		}
		h := tx.Hash()
		for _, a := range txAddresses(tx, from) {
			if len(buf)+keyLen > cap(buf) {
				buf = make([]byte, 0, len(b.Txs)*keyLen) // a deploy or an exec's third address
			}
			buf = appendAddrTxKey(buf, a, b.Header.Height, uint32(i))
			entries = append(entries, entry{buf[len(buf)-keyLen:], h})
		}
	}
	slices.SortFunc(entries, func(x, y entry) int { return bytes.Compare(x.key, y.key) })
	for _, e := range entries {
		if del {
			batch.Delete(e.key)
		} else {
			batch.Put(e.key, e.hash[:])
		}
	}
	return nil
}

// MaxAddressTxsBytes bounds the block bytes one AddressTxs reads: it looks
// its txs up until the blocks read (each once) pass this, and says
// truncated; so a request costs at most MaxAddressTxs lookups (each one tx
// decoded, one receipt read, one signature recovered: Chain.Tx) and this
// many bytes read, plus one max_block_bytes block.
const MaxAddressTxsBytes = 16 << 20

// AddressTxs returns up to limit main-chain txs touching a, newest first,
// from blocks below height before (0: up to the head). truncated says it
// stopped short of limit at MaxAddressTxsBytes.
func (c *Chain) AddressTxs(a common.Address, before uint64, limit int) (txs []*TxResult, truncated bool, err error) {
	if limit <= 0 || limit > MaxAddressTxs {
		limit = MaxAddressTxs
	}
	var end []byte // nil: the whole prefix
	if before > 0 {
		end = addrTxKey(a, before, 0)
	}
	snap, err := c.db.Snapshot()
	if err != nil {
		return nil, false, err
	}
	defer snap.Release()
	var hashes []common.Hash
	it := snap.Iterator(addrTxPrefix(a), end)
	for ok := it.Last(); ok && len(hashes) < limit; ok = it.Prev() {
		hashes = append(hashes, common.BytesToHash(it.Value()))
	}
	it.Release()
	if err := it.Error(); err != nil {
		return nil, false, err
	}
	out := make([]*TxResult, 0, len(hashes))
	blocks := &blockReads{}
	for _, h := range hashes {
		if blocks.bytes > MaxAddressTxsBytes && len(out) > 0 {
			return out, true, nil
		}
		r, err := c.lookupTx(snap, h, blocks)
		if err != nil {
			return nil, false, err
		}
		out = append(out, r)
	}
	return out, false, nil
}
