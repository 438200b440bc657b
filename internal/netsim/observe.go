package netsim

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/node"
)

// confirmDepth is the depth at which a block's txs must never be lost.
const confirmDepth = 6

// blockInfo is what the observer knows of a block.
type blockInfo struct {
	hash, parent common.Hash
	height       uint64
	txs          []common.Hash
	first        time.Time   // first seen as any node's head (its miner's)
	seen         []time.Time // when each node first had it on its main chain
	deep         bool        // was confirmDepth deep on some node's chain
}

// Observer follows every node's head through its /v1/events stream and
// keeps the block tree they report, each block's arrival per node, reorgs,
// tx inclusions and the instants at which all live nodes agreed on a head.
type Observer struct {
	n int

	mu       sync.Mutex
	blocks   map[common.Hash]*blockInfo
	head     []common.Hash
	live     []bool
	reorgs   []int                     // depths
	included map[common.Hash]time.Time // tx -> first seen in a head block
	agree    []agreement
}

type agreement struct {
	at   time.Time
	head common.Hash
}

func newObserver(n int) *Observer {
	return &Observer{n: n, blocks: map[common.Hash]*blockInfo{}, head: make([]common.Hash, n),
		live: make([]bool, n), included: map[common.Hash]time.Time{}}
}

// setLive marks node i as running (its head counts for agreement) or not.
func (o *Observer) setLive(i int, live bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.live[i] = live
	if !live {
		o.head[i] = common.Hash{}
	}
}

// follow reads node i's event stream until ctx ends, reconnecting when it
// breaks (the node killed and restarted).
func (o *Observer) follow(ctx context.Context, nd *Node) {
	for ctx.Err() == nil {
		o.stream(ctx, nd)
		select {
		case <-ctx.Done():
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func (o *Observer) stream(ctx context.Context, nd *Node) {
	req, err := http.NewRequestWithContext(ctx, "GET", nd.Client.URL+"/v1/events", nil)
	if err != nil {
		return
	}
	hc := &http.Client{Transport: nd.Client.HTTP.Transport} // no timeout: a stream
	resp, err := hc.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return
	}
	// The head now, for a stream that starts after a restart or a gap.
	if b, err := nd.Client.Block(ctx, "head", false); err == nil {
		o.onHead(ctx, nd, b, time.Now())
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var ev string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			ev = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && ev == "head":
			now := time.Now()
			var b node.Block
			if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &b) == nil {
				o.onHead(ctx, nd, &b, now)
			}
		case line == "":
			ev = ""
		}
	}
}

// onHead records that node nd's head became b at t.
func (o *Observer) onHead(ctx context.Context, nd *Node, b *node.Block, t time.Time) {
	o.fetchMissing(ctx, nd, b)
	o.mu.Lock()
	defer o.mu.Unlock()
	bi := o.add(b, t)
	i := nd.I
	if old := o.head[i]; old != (common.Hash{}) && old != bi.parent && old != bi.hash {
		if d := o.reorgDepth(old, bi.hash); d > 0 {
			o.reorgs = append(o.reorgs, d)
		}
	}
	o.head[i] = bi.hash
	o.live[i] = true
	// Mark the new branch as arrived, back to where this node had been.
	depth := 0
	for x := bi; x != nil; x = o.blocks[x.parent] {
		if depth == confirmDepth {
			x.deep = true
		}
		if !x.seen[i].IsZero() && depth >= confirmDepth {
			break
		}
		if x.seen[i].IsZero() {
			x.seen[i] = t
		}
		depth++
	}
	o.checkAgreement(t)
}

// add keeps b in the tree (once) and returns it. MUST be called with o.mu held.
func (o *Observer) add(b *node.Block, t time.Time) *blockInfo {
	if bi, ok := o.blocks[b.Hash]; ok {
		return bi
	}
	txs, _ := b.TxHashes()
	bi := &blockInfo{hash: b.Hash, parent: b.PrevHash, height: b.Height, txs: txs, first: t, seen: make([]time.Time, o.n)}
	o.blocks[b.Hash] = bi
	for _, h := range txs {
		if _, ok := o.included[h]; !ok {
			o.included[h] = t
		}
	}
	return bi
}

// fetchMissing asks nd for the ancestors of b that no node showed as its
// head (a node that jumped several blocks at once, a killed miner), at
// most 64 of them.
func (o *Observer) fetchMissing(ctx context.Context, nd *Node, b *node.Block) {
	parent, height := b.PrevHash, b.Height
	for k := 0; k < 64 && height > 1; k++ {
		o.mu.Lock()
		_, known := o.blocks[parent]
		o.mu.Unlock()
		if known {
			return
		}
		p, err := nd.Client.Block(ctx, parent.Hex(), false)
		if err != nil {
			return
		}
		o.mu.Lock()
		// First seen now, at the latest: it is no propagation sample
		// anyone timed, but it belongs to the tree.
		o.add(p, time.Now()).first = time.Time{}
		o.mu.Unlock()
		parent, height = p.PrevHash, p.Height
	}
}

// reorgDepth is how many blocks of old's branch leave the main chain when
// the head moves to new (0 when old is an ancestor of new or unknown).
// MUST be called with o.mu held.
func (o *Observer) reorgDepth(old, new common.Hash) int {
	a, b := o.blocks[old], o.blocks[new]
	if a == nil || b == nil {
		return 0
	}
	depth := 0
	for a.height > b.height {
		if a = o.blocks[a.parent]; a == nil {
			return 0
		}
		depth++
	}
	for b.height > a.height {
		if b = o.blocks[b.parent]; b == nil {
			return 0
		}
	}
	for a != b {
		a, b = o.blocks[a.parent], o.blocks[b.parent]
		if a == nil || b == nil {
			return 0
		}
		depth++
	}
	return depth
}

// checkAgreement records t when every live node has one head. MUST be
// called with o.mu held.
func (o *Observer) checkAgreement(t time.Time) {
	var h common.Hash
	for i := 0; i < o.n; i++ {
		if !o.live[i] {
			continue
		}
		if o.head[i] == (common.Hash{}) {
			return
		}
		if h == (common.Hash{}) {
			h = o.head[i]
		} else if o.head[i] != h {
			return
		}
	}
	if h == (common.Hash{}) {
		return
	}
	if k := len(o.agree); k > 0 && o.agree[k-1].head == h {
		return
	}
	o.agree = append(o.agree, agreement{t, h})
}

// firstAgreementAfter is the first instant at or after t when all live
// nodes had one head (ok false if none).
func (o *Observer) firstAgreementAfter(t time.Time) (agreement, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, a := range o.agree {
		if !a.at.Before(t) {
			return a, true
		}
	}
	return agreement{}, false
}

// lastAgreement is the latest instant all live nodes had one head.
func (o *Observer) lastAgreement() (agreement, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.agree) == 0 {
		return agreement{}, false
	}
	return o.agree[len(o.agree)-1], true
}

// includedAt is when tx was first seen in a head block.
func (o *Observer) includedAt(tx common.Hash) (time.Time, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	t, ok := o.included[tx]
	return t, ok
}

// chainOf returns the blocks from head back to (not including) height
// floor, head first.
func (o *Observer) chainOf(head common.Hash, floor uint64) []*blockInfo {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []*blockInfo
	for b := o.blocks[head]; b != nil && b.height > floor; b = o.blocks[b.parent] {
		out = append(out, b)
	}
	return out
}
