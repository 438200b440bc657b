package chain

import (
	"sort"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/proto"
)

// orphanPool holds blocks whose parent is unknown, bounded in count and
// age: the oldest goes first when it is full, and an orphan older than the
// TTL is dropped. Every orphan passed CheckBlock, so filling the pool costs
// the sender proof of work.
type orphanPool struct {
	max      int
	ttl      time.Duration
	blocks   map[common.Hash]*orphan
	byParent map[common.Hash][]common.Hash
}

type orphan struct {
	*pendingBlock
	added time.Time
}

func newOrphanPool(max int, ttl time.Duration) *orphanPool {
	if max <= 0 {
		max = 256
	}
	if ttl <= 0 {
		ttl = 10 * time.Minute
	}
	return &orphanPool{max: max, ttl: ttl, blocks: map[common.Hash]*orphan{}, byParent: map[common.Hash][]common.Hash{}}
}

func (p *orphanPool) has(h common.Hash) bool { _, ok := p.blocks[h]; return ok }

func (p *orphanPool) add(pb *pendingBlock, now time.Time) {
	h := pb.block.Hash()
	if p.has(h) {
		return
	}
	var oldest *orphan
	for _, o := range p.blocks {
		if now.Sub(o.added) > p.ttl {
			p.remove(o.block.Hash())
		} else if oldest == nil || o.added.Before(oldest.added) {
			oldest = o
		}
	}
	if len(p.blocks) >= p.max && oldest != nil {
		p.remove(oldest.block.Hash())
	}
	p.blocks[h] = &orphan{pb, now}
	prev := pb.block.Header.PrevHash
	p.byParent[prev] = append(p.byParent[prev], h)
}

func (p *orphanPool) remove(h common.Hash) {
	o := p.blocks[h]
	if o == nil {
		return
	}
	delete(p.blocks, h)
	prev := o.block.Header.PrevHash
	sibs := p.byParent[prev]
	for i, s := range sibs {
		if s == h {
			sibs = append(sibs[:i], sibs[i+1:]...)
			break
		}
	}
	if len(sibs) == 0 {
		delete(p.byParent, prev)
	} else {
		p.byParent[prev] = sibs
	}
}

// takeChildren removes and returns the orphans whose parent is h.
func (p *orphanPool) takeChildren(h common.Hash) []*pendingBlock {
	var out []*pendingBlock
	for _, ch := range append([]common.Hash(nil), p.byParent[h]...) {
		out = append(out, p.blocks[ch].pendingBlock)
		p.remove(ch)
	}
	return out
}

// roots returns the parent hashes the pool is waiting for that are not
// themselves orphans: what a syncing node should fetch.
func (p *orphanPool) roots() []common.Hash {
	var out []common.Hash
	for prev := range p.byParent {
		if !p.has(prev) {
			out = append(out, prev)
		}
	}
	return out
}

func sortPending(pbs []*pendingBlock) {
	sort.Slice(pbs, func(i, j int) bool { return pbs[i].block.Header.Height < pbs[j].block.Header.Height })
}

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
