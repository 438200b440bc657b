package vm

// Counting chains. factor.b adds its decimal digits with nested bare
// blocks like [->+<[->+<[->+<[ ... ]]]]: each level moves one unit of the
// counter cell and tests it again, so a digit of value v walks v levels of
// the dispatch loop (an entry check, two adds and a jump each) before the
// zero cell lets it out. A chain is such a run of bare blocks, each the
// body of the one before: the same adds (the counter, at the jump's cell,
// stepping by 1 or 255, and any others), the same static gas and reach,
// and a [ with no pointer move. Entered with its counter at v, the chain
// runs k levels, k the first count at which the counter reaches 0 when
// that is within the chain, else all of them; the counter is then v+k*d
// and every other cell of the adds has its delta added k times. When the
// gas covers the k levels' static gas, exec runs them in one step and
// takes the k-th jump's exit; otherwise it runs the first level alone,
// as a bare block, and the next one finds the exact point of failure.

// maxChain bounds a chain's levels, so that the counter's first zero
// (a count mod 256) is unambiguous.
const maxChain = 255

// chain is the run of levels from one bare [ down: jumps holds each
// level's jump instruction, the first level's own first.
type chain struct {
	jumps  []int32
	step   uint8  // the counter's step per level: 1 or 255
	static uint64 // each level's static gas
}

// chainLink returns the next level of the chain whose jump is at j, or -1:
// its body's jump when that block has the same shape.
func (p *Program) chainLink(j int) int {
	if !p.chainLevel(j) {
		return -1
	}
	n := int(p.insts[j].body) + 1 // the body's jump
	if !p.chainLevel(n) || !p.sameLevel(j, n) {
		return -1
	}
	return n
}

// chainLevel reports whether the jump at j is the [ of a bare block with
// no pointer move whose adds step its cell by 1 or 255.
func (p *Program) chainLevel(j int) bool {
	in := &p.insts[j]
	if in.op != opJz || in.off != 0 || p.insts[j-1].op != opBare || p.fall[j].form != 0 {
		return false
	}
	counters := 0
	for _, e := range p.insts[j+1 : j+1+int(in.adds)] {
		if e.off == 0 {
			if e.delta != 1 && e.delta != 255 {
				return false
			}
			counters++
		}
	}
	return counters == 1
}

// sameLevel reports whether the bare blocks of the jumps at a and b have the
// same header check and the same adds.
func (p *Program) sameLevel(a, b int) bool {
	ha, hb := &p.insts[a-1], &p.insts[b-1]
	if ha.staticGas() != hb.staticGas() || ha.reachLo() != hb.reachLo() || ha.reachSpan() != hb.reachSpan() {
		return false
	}
	ja, jb := &p.insts[a], &p.insts[b]
	if ja.adds != jb.adds {
		return false
	}
	for i := 1; i <= int(ja.adds); i++ {
		if ea, eb := &p.insts[a+i], &p.insts[b+i]; ea.off != eb.off || ea.delta != eb.delta {
			return false
		}
	}
	return true
}

// chains marks the first jump of every chain of two levels or more
// opJzChain, with its chain in Program.chains (by fall's form). The levels
// form lists (a block is the body of one jump only), so each list is
// walked once from its head and its suffixes share it.
func (p *Program) chains() {
	next := make(map[int]int)
	linked := make(map[int]bool)
	for j := 1; j < len(p.insts); j++ {
		if n := p.chainLink(j); n >= 0 {
			next[j], linked[n] = n, true
		}
	}
	for j := range p.insts {
		if _, ok := next[j]; !ok || linked[j] {
			continue
		}
		list := []int32{int32(j)}
		for n, ok := next[j]; ok; n, ok = next[n] {
			list = append(list, int32(n))
		}
		for i := 0; i+1 < len(list); i++ {
			p.addChain(list[i:min(len(list), i+maxChain)])
		}
	}
}

// addChain records the chain of the jumps in levels.
func (p *Program) addChain(levels []int32) {
	j := int(levels[0])
	c := chain{jumps: levels, static: p.insts[j-1].staticGas()}
	for _, e := range p.insts[j+1 : j+1+int(p.insts[j].adds)] {
		if e.off == 0 {
			c.step = e.delta
		}
	}
	p.runs = append(p.runs, c)
	p.fall[j].form = int32(len(p.runs))
	p.insts[j].op = opJzChain
}

// runChain runs the chain whose first jump is at j, from its block's
// entry, which has passed its check (gas already holds its static gas
// taken), with the pointer at ptr. It returns the block to enter and the
// gas left.
func (p *Program) runChain(t *Tape, j, ptr int, gas uint64) (int, uint64) {
	insts := p.insts
	in := &insts[j]
	c := &p.runs[p.fall[j].form-1]
	n := len(c.jumps)
	k := int(0 - t[ptr]*c.step) // the level at which the counter reaches 0
	exits := k >= 1 && k <= n
	if !exits {
		k = n
	}
	if uint64(k-1)*c.static > gas { // one level, as a bare block
		addEntries(t, ptr, insts, j+1, j+1+int(in.adds))
		return in.branch(t[ptr], gas)
	}
	gas -= uint64(k-1) * c.static
	times := uint8(k)
	for q := j + 1; q < j+1+int(in.adds); q++ {
		e := &insts[q]
		t[ptr+int(e.off)] += e.delta * times
	}
	last := &insts[c.jumps[k-1]]
	if exits {
		return last.leave(gas)
	}
	return int(last.body), gas
}
