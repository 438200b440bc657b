package smt

// Cache keeps the committed nodes of a tree's top levels in memory from
// one Tree to the next, so that a block does not read again, through the
// DB, the positions the block before it read or wrote: every block's
// updates pass through the top levels (about log2(n) of a path's nodes
// for n keys, the top ones shared by all).
//
// It holds positions above Depth only, so it is bounded by the tree's
// shape, not by what a block sends: at most 2^Depth - 1 positions (an
// empty one included, as "known empty"), about 150 bytes each.
//
// A Cache mirrors one DB and must see every commit to the nodes under its
// prefix: a Tree opened with it reads through it (what it reads from the
// DB is what the DB holds), and the nodes its Commit puts into the batch
// become visible only when the caller reports the batch written (Written).
// A batch that is not written (a block that fails, a failed write) leaves
// the Cache as it was, provided the next Tree commits before the next
// Written: each Commit forgets what an earlier one left pending. A DB
// written by anything else must get a new Cache.
//
// A Cache is not safe for concurrent use: one Tree at a time.
type Cache struct {
	depth   uint16
	nodes   map[pos]node
	pending []*entry // the last Commit's entries, for Written
	// size is how many positions the last Commit's Tree held: the next
	// Tree's cache is made that large at once.
	size int
}

// DefaultCacheDepth keeps 2^16 - 1 positions at most: about 10 MB, the
// whole tree up to some 30,000 keys and the top 16 levels beyond.
const DefaultCacheDepth = 16

// NewCache returns an empty Cache of the positions above depth.
func NewCache(depth int) *Cache {
	return &Cache{depth: uint16(min(depth, maxDepth)), nodes: make(map[pos]node)}
}

// OpenCached returns a Tree over the nodes stored under prefix in db that
// reads through c. db must be the DB that c mirrors, unchanged since the
// last Written.
func OpenCached(db Reader, prefix []byte, c *Cache) *Tree {
	t := openSized(db, prefix, c.size)
	t.shared = c
	return t
}

// Written tells the Cache that the batch filled by the last Commit of a
// Tree opened on it has been written: its nodes become what the Cache
// holds.
func (c *Cache) Written() {
	for _, e := range c.pending {
		c.nodes[e.pos] = e.cur
	}
	c.pending = c.pending[:0]
}

// Len returns how many positions the Cache holds.
func (c *Cache) Len() int { return len(c.nodes) }

func (c *Cache) get(p pos) (node, bool) {
	if c == nil || p.depth >= c.depth {
		return node{}, false
	}
	n, ok := c.nodes[p]
	return n, ok
}

// loaded records what the DB holds at p.
func (c *Cache) loaded(p pos, n node) {
	if c != nil && p.depth < c.depth {
		c.nodes[p] = n
	}
}

// committing starts a Commit's pending list afresh; its Tree holds size
// positions.
func (c *Cache) committing(size int) {
	if c != nil {
		c.pending = c.pending[:0]
		c.size = size
	}
}

// changed records a node a Commit puts (or deletes) at e.pos.
func (c *Cache) changed(e *entry) {
	if c != nil && e.pos.depth < c.depth {
		c.pending = append(c.pending, e)
	}
}
