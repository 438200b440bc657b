package smt

import (
	"fmt"
	"slices"
)

// Reader reads committed nodes from a key-value store (chain/store's DB
// and Snapshot implement it over LevelDB).
type Reader interface {
	// Get returns the value stored under key; found is false if none is.
	Get(key []byte) (value []byte, found bool, err error)
}

// Writer receives a commit's node puts and deletes (chain/store's Batch
// implements it). Commit hands it fresh slices, so it may keep them.
type Writer interface {
	Put(key, value []byte)
	Delete(key []byte)
}

// Tree is one block's worth of updates on top of a committed tree. See the
// package documentation for its lifecycle.
type Tree struct {
	db     Reader
	prefix []byte
	h      *hasher
	shared *Cache // committed nodes kept across Trees (OpenCached); may be nil

	// cache overlays the DB: every position read or written so far. A
	// position absent from it holds in the current tree exactly what the
	// DB holds, which is what lets a split place new nodes below a leaf
	// without reading the DB.
	cache map[pos]*entry
	// entries are cache's entries in the order they were made: for the
	// keys a block updates in order, nearly the order of their DB keys.
	entries []*entry
	slab    []entry // where new entries are cut from, a few hundred at a time
	// stale lists the branches whose child hashes Root must recompute.
	stale []*entry

	// path and pathKey are the last walk's branches and key (walk).
	path    []*entry
	pathKey [32]byte

	root      [32]byte
	rootOK    bool
	committed bool
	keyBuf    []byte
}

// entry is one cached position.
type entry struct {
	pos  pos
	orig node // what the DB holds here; Commit writes only if cur differs
	cur  node

	hash   [32]byte // hash of cur, valid if hashOK
	hashOK bool
	stale  bool // listed in Tree.stale
}

// Open returns a Tree over the nodes stored under prefix in db.
func Open(db Reader, prefix []byte) *Tree {
	return openSized(db, prefix, 0)
}

// openSized is Open with room for about n positions in the cache.
func openSized(db Reader, prefix []byte, n int) *Tree {
	return &Tree{
		db:     db,
		prefix: slices.Clone(prefix),
		h:      newHasher(),
		cache:  make(map[pos]*entry, n),
	}
}

// add caches n as what position p holds, in the DB and now.
func (t *Tree) add(p pos, n node) *entry {
	if len(t.slab) == 0 {
		t.slab = make([]entry, entrySlab)
	}
	e := &t.slab[0]
	t.slab = t.slab[1:]
	*e = entry{pos: p, orig: n, cur: n}
	t.cache[p] = e
	t.entries = append(t.entries, e)
	return e
}

// entrySlab is how many entries add allocates at once.
const entrySlab = 256

// load returns the cached entry at p, reading it from the DB on first use.
func (t *Tree) load(p pos) (*entry, error) {
	if e := t.cache[p]; e != nil {
		return e, nil
	}
	if n, ok := t.shared.get(p); ok {
		return t.add(p, n), nil
	}
	t.keyBuf = p.dbKey(t.keyBuf[:0], t.prefix)
	buf, found, err := t.db.Get(t.keyBuf)
	var n node
	switch {
	case err != nil:
		return nil, fmt.Errorf("smt: read node at depth %d: %w", p.depth, err)
	case !found:
	default:
		if n, err = decodeNode(p, buf); err != nil {
			return nil, err
		}
	}
	t.shared.loaded(p, n)
	return t.add(p, n), nil
}

// walk loads key's path from the root down to the first position that is
// not a branch, and returns the branches passed and that last entry. The
// path is valid until the next walk: it starts with the branches of the
// last walk's path that key shares and that are still branches (entries
// are never replaced in the cache, only changed), so that keys walked in
// order look up only the positions below their common prefix.
func (t *Tree) walk(key *[32]byte) (path []*entry, end *entry, err error) {
	d := 0
	if len(t.path) > 0 {
		shared := min(commonPrefixLen(key, &t.pathKey)+1, len(t.path))
		for d < shared && t.path[d].cur.kind == kindBranch {
			d++
		}
	}
	path = t.path[:d]
	t.path, t.pathKey = nil, *key // a failed walk leaves none to reuse
	for ; ; d++ {
		e, err := t.load(posOf(key, d))
		if err != nil {
			return nil, nil, err
		}
		if e.cur.kind != kindBranch {
			t.path = path
			return path, e, nil
		}
		path = append(path, e)
	}
}

// Get returns the value stored under key, zero if absent, including the
// Tree's pending updates.
func (t *Tree) Get(key [32]byte) ([32]byte, error) {
	_, end, err := t.walk(&key)
	if err != nil {
		return [32]byte{}, err
	}
	if end.cur.kind == kindLeaf && end.cur.a == key {
		return end.cur.b, nil
	}
	return [32]byte{}, nil
}

// Root returns the root hash including pending updates. It hashes only the
// branches changed since the last call, deepest first, so each is hashed
// once however many updates passed through it.
func (t *Tree) Root() ([32]byte, error) {
	if t.rootOK {
		return t.root, nil
	}
	// Children are deeper than their parents, so deepest-first order means
	// every child's hash is final before its parent reads it.
	slices.SortFunc(t.stale, func(x, y *entry) int { return int(y.pos.depth) - int(x.pos.depth) })
	for _, e := range t.stale {
		e.stale = false
		if e.cur.kind != kindBranch {
			continue // collapsed into a leaf since it was listed
		}
		// A child missing from the cache is unchanged, and so is the hash
		// the branch already holds for it.
		if c := t.cache[e.pos.child(0)]; c != nil {
			e.cur.a = t.hashOf(c)
		}
		if c := t.cache[e.pos.child(1)]; c != nil {
			e.cur.b = t.hashOf(c)
		}
		e.hashOK = false
	}
	t.stale = t.stale[:0]

	e, err := t.load(pos{})
	if err != nil {
		return [32]byte{}, err
	}
	t.root, t.rootOK = t.hashOf(e), true
	return t.root, nil
}

// hashOf returns e's hash, computing it once per change.
func (t *Tree) hashOf(e *entry) [32]byte {
	if !e.hashOK {
		e.hash, e.hashOK = e.cur.hash(t.h), true
	}
	return e.hash
}

// Commit puts every node that changed and deletes every position that was
// vacated into w, and returns the new root. The caller must write w
// atomically. Afterwards the Tree reads as the committed state, and Update
// and Commit return ErrCommitted.
func (t *Tree) Commit(w Writer) ([32]byte, error) {
	if t.committed {
		return [32]byte{}, ErrCommitted
	}
	root, err := t.Root()
	if err != nil {
		return [32]byte{}, err
	}
	t.shared.committing(len(t.cache))
	var changed []*entry
	for _, e := range t.entries {
		if e.cur != e.orig {
			changed = append(changed, e)
		}
	}
	// In the order of their DB keys, which is nearly the order they were
	// made in: LevelDB inserts keys that follow one another in its sorted
	// memtable for much less than keys in random order (the search path is
	// in the CPU's cache).
	slices.SortFunc(changed, func(x, y *entry) int { return x.pos.cmp(&y.pos) })
	// The keys and nodes are cut from one buffer (fresh, so w may keep
	// them), not allocated one by one.
	buf := make([]byte, 0, len(changed)*(len(t.prefix)+maxPosKeyLen+nodeLen))
	for _, e := range changed {
		n := len(buf)
		buf = e.pos.dbKey(buf, t.prefix)
		key := buf[n:]
		if e.cur.kind == kindEmpty {
			w.Delete(key)
		} else {
			buf = e.cur.appendEncoding(buf)
			w.Put(key, buf[len(buf)-nodeLen:])
		}
		e.orig = e.cur
		t.shared.changed(e)
	}
	t.committed = true
	return root, nil
}
