package blockchain

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/proto"
)

// blockCache keeps the last blocks processed, so that connecting a block
// just received neither reads it back nor checks it again: a block that
// passed CheckBlock here keeps the senders it recovered.
type blockCache struct {
	max   int
	order []common.Hash
	m     map[common.Hash]*cachedBlock
}

type cachedBlock struct {
	b       *proto.Block
	senders []common.Address // nil: not checked here (read back from the DB)
	enc     []byte           // its stored encoding, if known: not encoded again
}

func newBlockCache(max int) *blockCache {
	return &blockCache{max: max, m: make(map[common.Hash]*cachedBlock)}
}

// add keeps b, with the senders CheckBlock returned for it (nil if it
// was not checked).
func (bc *blockCache) add(b *proto.Block, senders []common.Address) {
	h := b.Hash()
	if cb, ok := bc.m[h]; ok {
		if cb.senders == nil {
			cb.senders = senders
		}
		return
	}
	if len(bc.order) >= bc.max {
		delete(bc.m, bc.order[0])
		bc.order = bc.order[1:]
	}
	bc.order = append(bc.order, h)
	bc.m[h] = &cachedBlock{b: b, senders: senders}
}

func (bc *blockCache) get(h common.Hash) *proto.Block {
	if cb := bc.m[h]; cb != nil {
		return cb.b
	}
	return nil
}

// setEncoding records the stored encoding of the cached block h.
func (bc *blockCache) setEncoding(h common.Hash, enc []byte) {
	if cb := bc.m[h]; cb != nil {
		cb.enc = enc
	}
}

// encoding returns the cached block's encoding: the stored one if known.
func (bc *blockCache) encoding(b *proto.Block) []byte {
	if cb := bc.m[b.Hash()]; cb != nil && cb.enc != nil {
		return cb.enc
	}
	return b.Encode()
}

// senders returns the senders of a block that passed CheckBlock, or nil.
func (bc *blockCache) senders(h common.Hash) []common.Address {
	if cb := bc.m[h]; cb != nil {
		return cb.senders
	}
	return nil
}
