package blockchain

import (
	"fmt"
	"sort"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/proto"
)

// orphanPool holds the HEADERS of blocks whose parent is unknown, never
// their bodies: a block is checked (and its signatures recovered) only
// once its parent is known, and then it is fetched again by the sync of
// the peer that sent it (gossip starts one on every orphan), which brings
// the parent and then the block. What an orphan costs us is one decode
// and one hash (its proof of work against its own target), and about 300
// bytes for at most the TTL. The pool is bounded in total (the oldest goes
// first when it is full) and per peer (perPeer headers: the peer's oldest
// goes first). A peer is flooding when its orphans hang from more than
// rootsPerPeer unknown parents that no other of its orphans is near (in
// height): an honest peer's orphans are blocks of its best chain, a band
// of heights with a gap where gossip lost one. Its next such orphan is
// refused with ErrOrphanFlood, which penalises it.
type orphanPool struct {
	max, perPeer, rootsPerPeer int
	ttl                        time.Duration
	headers                    map[common.Hash]*orphan
	byParent                   map[common.Hash][]common.Hash
	byPeer                     map[string][]common.Hash // in arrival order
}

type orphan struct {
	header proto.Header
	peer   string
	added  time.Time
}

// Orphan pool bounds: 512 headers of about 300 bytes (150 KiB) in all,
// 64 per peer; a flood is more than 8 lone unknown parents (no other
// orphan of the peer within 8 heights).
const (
	defaultMaxOrphans     = 512
	defaultOrphanTTL      = 5 * time.Minute
	maxOrphansPerPeer     = 64
	maxOrphanRootsPerPeer = 8
	orphanHeightSlack     = 8
)

func newOrphanPool(max int, ttl time.Duration) *orphanPool {
	if max <= 0 {
		max = defaultMaxOrphans
	}
	if ttl <= 0 {
		ttl = defaultOrphanTTL
	}
	return &orphanPool{
		max: max, perPeer: min(max, maxOrphansPerPeer), rootsPerPeer: maxOrphanRootsPerPeer, ttl: ttl,
		headers: map[common.Hash]*orphan{}, byParent: map[common.Hash][]common.Hash{}, byPeer: map[string][]common.Hash{},
	}
}

func (p *orphanPool) has(h common.Hash) bool { _, ok := p.headers[h]; return ok }

func (p *orphanPool) len() int { return len(p.headers) }

// add keeps header h (hash) from peer ("" for a block of our own sync or
// miner, which is never refused). It returns ErrOrphanFlood when h would
// give peer more than rootsPerPeer unknown parents. known reports whether
// the chain has a block: an orphan whose parent came meanwhile is dropped.
func (p *orphanPool) add(h *proto.Header, hash common.Hash, peer string, now time.Time, known func(common.Hash) bool) error {
	if p.has(hash) {
		return nil
	}
	var oldest *orphan
	for oh, o := range p.headers {
		if now.Sub(o.added) > p.ttl || known(o.header.PrevHash) {
			p.remove(oh)
		} else if oldest == nil || o.added.Before(oldest.added) {
			oldest = o
		}
	}
	if peer != "" {
		if roots := p.peerRoots(peer, h, hash); roots > p.rootsPerPeer {
			for _, oh := range p.byPeer[peer] {
				o := p.headers[oh]
				println("DEBUG orphan", o.header.Height, oh.Hex()[:8], o.header.PrevHash.Hex()[:8], p.has(o.header.PrevHash), known(o.header.PrevHash))
			}
			println("DEBUG new", h.Height, hash.Hex()[:8], h.PrevHash.Hex()[:8])
			return fmt.Errorf("%w: peer %s has orphans waiting for %d unknown parents (at most %d)", chain.ErrOrphanFlood, peer, roots, p.rootsPerPeer)
		}
	}
	if mine := p.byPeer[peer]; len(mine) >= p.perPeer {
		p.remove(mine[0])
	} else if len(p.headers) >= p.max && oldest != nil {
		p.remove(oldest.header.Hash())
	}
	p.headers[hash] = &orphan{header: *h, peer: peer, added: now}
	p.byParent[h.PrevHash] = append(p.byParent[h.PrevHash], hash)
	p.byPeer[peer] = append(p.byPeer[peer], hash)
	return nil
}

// peerRoots counts the unknown parents peer's orphans would wait for
// with h (hash) added, leaving out those of an orphan with another of the
// peer's orphans a few heights away: an honest peer's orphans are the
// blocks of its best chain, a band of heights with a gap where gossip lost
// one; a flood's parents and heights are anything. O(perPeer²), at most
// 4096 steps.
func (p *orphanPool) peerRoots(peer string, h *proto.Header, hash common.Hash) int {
	mine := map[common.Hash]*proto.Header{hash: h}
	for _, oh := range p.byPeer[peer] {
		mine[oh] = &p.headers[oh].header
	}
	roots := map[common.Hash]bool{}
	for _, o := range mine {
		if p.has(o.PrevHash) || mine[o.PrevHash] != nil || roots[o.PrevHash] {
			continue
		}
		near := false
		for _, x := range mine {
			if d := int64(x.Height) - int64(o.Height); d != 0 && d >= -orphanHeightSlack && d <= orphanHeightSlack {
				near = true
				break
			}
		}
		if !near {
			roots[o.PrevHash] = true
		}
	}
	return len(roots)
}

func (p *orphanPool) remove(h common.Hash) {
	o := p.headers[h]
	if o == nil {
		return
	}
	delete(p.headers, h)
	p.byParent[o.header.PrevHash] = without(p.byParent[o.header.PrevHash], h)
	if len(p.byParent[o.header.PrevHash]) == 0 {
		delete(p.byParent, o.header.PrevHash)
	}
	p.byPeer[o.peer] = without(p.byPeer[o.peer], h)
	if len(p.byPeer[o.peer]) == 0 {
		delete(p.byPeer, o.peer)
	}
}

func without(hs []common.Hash, h common.Hash) []common.Hash {
	for i, x := range hs {
		if x == h {
			return append(hs[:i:i], hs[i+1:]...)
		}
	}
	return hs
}

// dropChildren forgets the orphans whose parent h has arrived: the sync
// that brought h brings them next, whole and checked. It returns how many.
func (p *orphanPool) dropChildren(h common.Hash) int {
	kids := append([]common.Hash(nil), p.byParent[h]...)
	for _, ch := range kids {
		p.remove(ch)
	}
	return len(kids)
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
