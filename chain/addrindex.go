package chain

import (
	"encoding/binary"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
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
	k := binary.BigEndian.AppendUint64(addrTxPrefix(a), height)
	return binary.BigEndian.AppendUint32(k, index)
}

// txAddresses are the addresses tx is listed under: its sender, its
// recipient and, for a deploy, the contract it creates.
func txAddresses(tx *proto.Tx, from common.Address) []common.Address {
	addrs := []common.Address{from}
	switch {
	case tx.Kind == proto.KindDeploy:
		addrs = append(addrs, crypto.CreateAddress(from, tx.Nonce))
	case tx.To != (common.Address{}) && tx.To != from:
		addrs = append(addrs, tx.To)
	}
	return addrs
}

// indexAddresses adds (or with del, removes) b's txs to the address index.
func indexAddresses(batch *leveldb.Batch, b *proto.Block, del bool) error {
	for i, tx := range b.Txs {
		from, err := Sender(tx)
		if err != nil {
			return err
		}
		h := tx.Hash()
		for _, a := range txAddresses(tx, from) {
			k := addrTxKey(a, b.Header.Height, uint32(i))
			if del {
				batch.Delete(k)
			} else {
				batch.Put(k, h[:])
			}
		}
	}
	return nil
}

// AddressTxs returns up to limit main-chain txs touching a, newest first,
// from blocks below height before (0: up to the head).
func (c *Chain) AddressTxs(a common.Address, before uint64, limit int) ([]*TxResult, error) {
	if limit <= 0 || limit > MaxAddressTxs {
		limit = MaxAddressTxs
	}
	rng := util.BytesPrefix(addrTxPrefix(a))
	if before > 0 {
		rng.Limit = addrTxKey(a, before, 0)
	}
	var hashes []common.Hash
	it := c.db.NewIterator(rng, nil)
	for ok := it.Last(); ok && len(hashes) < limit; ok = it.Prev() {
		hashes = append(hashes, common.BytesToHash(it.Value()))
	}
	it.Release()
	if err := it.Error(); err != nil {
		return nil, err
	}
	out := make([]*TxResult, 0, len(hashes))
	for _, h := range hashes {
		r, err := c.Tx(h)
		if err != nil {
			continue // rolled back since we listed it
		}
		out = append(out, r)
	}
	return out, nil
}
