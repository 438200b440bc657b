package smt

// Update sets key's value; a zero value deletes key (a no-op if absent).
// The tree keeps its canonical shape after every call: each update reads the
// key's path (and, when deleting, the siblings it may hoist) before it
// changes anything, so a read error leaves the Tree as it was.
func (t *Tree) Update(key, value [32]byte) error {
	if t.committed {
		return ErrCommitted
	}
	path, end, err := t.walk(&key)
	if err != nil {
		return err
	}
	changed, top := false, len(path)
	if value == ([32]byte{}) {
		changed, top, err = t.remove(&key, end)
		if err != nil {
			return err
		}
	} else {
		changed = t.insert(&key, &value, end)
	}
	if !changed {
		return nil
	}
	// The branches above the highest changed position keep their shape but
	// must be rehashed.
	for _, e := range path[:top] {
		t.markStale(e)
	}
	t.rootOK = false
	return nil
}

// insert puts (key, value) at end, the first non-branch on key's path, and
// reports whether anything changed.
func (t *Tree) insert(key, value *[32]byte, end *entry) bool {
	if end.cur.kind == kindEmpty || end.cur.a == *key {
		return t.set(end.pos, leafNode(*key, *value))
	}
	// end holds another key's leaf: the two share the bits down to s, so
	// every position from end to depth s now holds both and is a branch,
	// and the two leaves hang apart at depth s+1. Keys differ, so s < 256.
	other := end.cur
	s := commonPrefixLen(key, &other.a)
	for j := int(end.pos.depth); j <= s; j++ {
		t.set(posOf(key, j), node{kind: kindBranch})
	}
	t.set(posOf(key, s+1), leafNode(*key, *value))
	t.set(posOf(&other.a, s+1), other)
	return true
}

// remove deletes key's leaf at end, if it is there, and collapses the
// branches left with a single leaf: that leaf moves up to the highest
// position where it would be alone. It returns whether anything changed and
// the depth of the highest position that did.
func (t *Tree) remove(key *[32]byte, end *entry) (bool, int, error) {
	if end.cur.kind != kindLeaf || end.cur.a != *key {
		return false, 0, nil
	}
	// First find, reading only, how far the collapse reaches: a branch
	// whose two children hold at most one leaf between them becomes that
	// leaf (or empty). survivor is what ends up at depth top.
	d := int(end.pos.depth)
	top, survivor := d, node{}
	for top > 0 {
		sib, err := t.load(posOf(key, top).sibling())
		if err != nil {
			return false, 0, err
		}
		if sib.cur.kind == kindBranch || (survivor.kind != kindEmpty && sib.cur.kind != kindEmpty) {
			break
		}
		if survivor.kind == kindEmpty {
			survivor = sib.cur
		}
		top--
	}
	// Then vacate both children of every collapsed branch and place the
	// survivor.
	for j := d; j > top; j-- {
		p := posOf(key, j)
		t.set(p, node{})
		t.set(p.sibling(), node{})
	}
	t.set(posOf(key, top), survivor)
	return true, top, nil
}

// set makes p hold n and reports whether that changed anything. A position
// not yet cached is taken to be empty in the DB: set is only called on
// positions on a walked path, on loaded siblings, or below a leaf, and
// nothing is stored below a leaf.
func (t *Tree) set(p pos, n node) bool {
	e := t.cache[p]
	if e == nil {
		e = t.add(p, node{})
	}
	if e.cur == n {
		return false
	}
	e.cur, e.hashOK = n, false
	if n.kind == kindBranch {
		t.markStale(e)
	}
	return true
}

// markStale lists branch e for rehashing at the next Root.
func (t *Tree) markStale(e *entry) {
	if !e.stale {
		e.stale = true
		t.stale = append(t.stale, e)
	}
}
