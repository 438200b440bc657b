package blockchain

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/proto"
)

// blockCache keeps the last blocks processed, so that connecting a block
// just received neither reads it back nor recovers its signatures again.
type blockCache struct {
	max   int
	order []common.Hash
	m     map[common.Hash]*proto.Block
}

func newBlockCache(max int) *blockCache {
	return &blockCache{max: max, m: make(map[common.Hash]*proto.Block)}
}

func (bc *blockCache) add(b *proto.Block) {
	h := b.Hash()
	if _, ok := bc.m[h]; ok {
		return
	}
	if len(bc.order) >= bc.max {
		delete(bc.m, bc.order[0])
		bc.order = bc.order[1:]
	}
	bc.order = append(bc.order, h)
	bc.m[h] = b
}

func (bc *blockCache) get(h common.Hash) *proto.Block { return bc.m[h] }
