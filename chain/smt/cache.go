package smt

// Cache keeps the committed nodes of a tree's top levels in memory from
// one Tree to the next, so that a block does not read again, through the
// DB, the positions the blocks before it read or wrote: every block's
// updates pass through the top levels (about log2(n) of a path's nodes
// for n keys, the top ones shared by all).
//
// It holds every position it has seen above its depth, an empty one
// included (as "known empty"), and at most limit positions after each
// Written: when a commit takes it over, its depth comes down, level by
// level from the bottom, until what is left fits. So it holds the whole
// tree while that fits (a sync then reads no node from the DB), and the
// top levels after, whatever a block sends: its size is bounded by limit,
// its depth by the tree's shape.
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
	limit   int
	depth   uint16 // positions at depths below it are held
	nodes   map[pos]node
	pending []*entry // the last Commit's entries, for Written
	// size is how many positions the last Commit's Tree held: the next
	// Tree's cache is made that large at once.
	size int
}

// DefaultCacheSize is the most positions a chain's Cache holds: 30 to
// 45 MB (a position takes 99 bytes in a map slot, 115 to 175 with the
// map's free slots), the whole tree up to about 100,000 keys (some 2.4
// positions a key) and its top 17 levels beyond.
const DefaultCacheSize = 1 << 18

// NewCache returns an empty Cache of at most limit positions.
func NewCache(limit int) *Cache {
	return &Cache{limit: max(limit, 0), depth: maxDepth + 1, nodes: make(map[pos]node)}
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
		if e.pos.depth < c.depth {
			c.nodes[e.pos] = e.cur
		}
	}
	c.pending = c.pending[:0]
	c.shrink()
}

// shrink brings the depth down until the Cache holds at most limit
// positions, and drops those of the levels it gives up.
func (c *Cache) shrink() {
	if len(c.nodes) <= c.limit {
		return
	}
	var perDepth [maxDepth + 1]int
	for p := range c.nodes {
		perDepth[p.depth]++
	}
	n, d := len(c.nodes), int(c.depth)
	for n > c.limit {
		d--
		n -= perDepth[d]
	}
	for p := range c.nodes {
		if int(p.depth) >= d {
			delete(c.nodes, p)
		}
	}
	c.depth = uint16(d)
}

// Depth returns the depth above which the Cache holds positions.
func (c *Cache) Depth() int { return int(c.depth) }

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
