package vm

import (
	"math/bits"
	"slices"
)

// Closed forms of counting loops. A self loop (selfloop.go) whose body is
// balanced (no net pointer move) is made of adds at offsets and fused
// loops (clears and multiplies) on cells it reaches at fixed offsets. When
// the compiler can show that every iteration after the first runs its
// fused loops the same number of times, every such iteration costs the
// same gas and changes each cell the same way: a cell a fused loop writes
// ends every iteration at the same value, and every other cell, the
// counter among them, steps by the same amount. Then, once the first
// iteration has run, the remaining ones follow from the counter's value
// (the number of steps that bring it to 0, with 8-bit wrap, or none) and
// run in one step, when the gas left covers them; otherwise as many whole
// iterations as the gas covers run in that step, and the next one runs
// instruction by instruction, which finds the exact point where the gas
// runs out. The body's reach is checked once, as its pointer does not
// move. The loop's [ (opJzClosed) runs all of the loop so, first
// iteration included, when the cells the fused loops write already hold
// what every iteration leaves in them: then the first iteration is like
// the others (long.b's inner loop always starts so).
//
// The compiler decides it by running the body symbolically three times,
// with what the first iteration leaves unknown (cells it never writes,
// counts that depend on them) marked so: the second iteration must know
// all its counts, and the third must repeat the second's counts and
// leave the written cells as the second did. The inner loops count from
// the values the first iteration leaves, not from the tape the loop
// started on, so "[->>+++[-<+>]<<]" and hanoi.b's "[>[-]+{100}[-]<-]"
// qualify, whatever their cells held before.

// closedForm is what every iteration of a loop after its first does.
type closedForm struct {
	step uint8      // the counter's change per iteration (0: it never reaches 0)
	gas  uint64     // gas per iteration, its ] included
	adds []cellStep // the other cells the body steps: delta added per iteration
	sets []cellStep // the cells its fused loops write: delta after every iteration
}

// cellStep is a cell's change per iteration.
type cellStep struct {
	off   int32
	delta uint8
}

// run applies the iterations that remain of a loop whose ] found its
// counter at ptr not 0, or as many as the gas left covers, and returns
// the gas left; h is the body block's header. It applies none when the
// body's reach is not on the tape, so the ordinary path faults exactly.
func (f *closedForm) run(t *Tape, ptr int, gas uint64, h *inst) uint64 {
	if uint(ptr-h.reachLo()) >= h.reachSpan() {
		return gas
	}
	return f.apply(t, ptr, gas)
}

// apply is run once the reach is checked.
func (f *closedForm) apply(t *Tape, ptr int, gas uint64) uint64 {
	k := iterations(t[ptr], f.step)
	if k == 0 || k*f.gas > gas {
		k = gas / f.gas
		if k == 0 {
			return gas
		}
	}
	n := uint8(k) // cells wrap mod 256
	f.step1(t, ptr, n)
	for _, c := range f.sets {
		t[ptr+int(c.off)] = c.delta
	}
	t[ptr] += f.step * n
	return gas - k*f.gas
}

// step1 adds n iterations' steps to the cells the body steps (not the
// counter).
func (f *closedForm) step1(t *Tape, ptr int, n uint8) {
	for _, c := range f.adds {
		t[ptr+int(c.off)] += c.delta * n
	}
}

// steady reports whether the cells the body's fused loops write hold what
// every iteration leaves in them, so that the next iteration is like the
// others.
func (f *closedForm) steady(t *Tape, ptr int) bool {
	for _, c := range f.sets {
		if t[ptr+int(c.off)] != c.delta {
			return false
		}
	}
	return true
}

// openClosed runs, at the [ at pc whose cell (at ptr) is not 0, a loop
// that has a closed form, all of it in one step when the cells its inner
// loops count from already hold what every iteration leaves in them (the
// first iteration is then like the others) and the gas covers it, and
// returns the gas left. Otherwise it leaves the loop to run as usual.
func (p *Program) openClosed(t *Tape, pc, ptr int, gas uint64) uint64 {
	if t[ptr] == 0 {
		return gas
	}
	f := &p.forms[p.fall[pc].form-1]
	h := &p.insts[p.insts[pc].body]
	if uint(ptr-h.reachLo()) >= h.reachSpan() {
		return gas
	}
	if !f.steady(t, ptr) {
		return gas
	}
	return f.apply(t, ptr, gas)
}

// unbare makes the block whose [ is at pc dispatch it, so that its
// opJzClosed runs (a bare block, whose header is right before its
// bracket, runs the bracket as a plain jump).
func (p *Program) unbare(pc int) {
	if h := &p.insts[pc-1]; h.op == opBare {
		h.op = opNone
	}
}

// inverse holds the inverses mod 256 of the odd bytes, by (b-1)/2.
var inverse = func() (inv [128]uint8) {
	for b := 1; b < 256; b += 2 {
		for x := 1; x < 256; x += 2 {
			if uint8(b*x) == 1 {
				inv[b/2] = uint8(x)
			}
		}
	}
	return inv
}()

// iterations returns the least n >= 1 with v + n*step = 0 mod 256, for v
// not 0, or 0 when there is none (the loop never ends).
func iterations(v, step uint8) uint64 {
	switch step {
	case 255:
		return uint64(v)
	case 1:
		return uint64(-v)
	case 0:
		return 0
	}
	tz := bits.TrailingZeros8(step)
	if bits.TrailingZeros8(v) < tz {
		return 0
	}
	// n * (step>>tz) = -v>>tz mod 256>>tz, step>>tz odd.
	mod := uint64(256 >> tz)
	return uint64(-v>>tz) * uint64(inverse[step>>tz/2]) % mod
}

// symCell is a cell in the symbolic run of a loop body.
type symCell struct {
	known bool  // its value is known
	val   uint8 // the value, when known
	reset bool  // a fused loop wrote it in this iteration
	dOK   bool  // its change over this iteration is known
	delta uint8 // the change, when known
}

// symRun is one symbolic iteration.
type symRun struct {
	cells  map[int32]*symCell
	counts []uint8 // each fused loop's iterations, in order
	gas    uint64  // the fused loops' gas
	known  bool    // every count is known
}

func (r *symRun) cell(off int32) *symCell {
	c := r.cells[off]
	if c == nil {
		c = &symCell{dOK: true}
		r.cells[off] = c
	}
	return c
}

// add adds d to the cell at off, times a count that may be unknown.
func (r *symRun) add(off int32, d uint8, known bool) {
	c := r.cell(off)
	c.val += d
	c.delta += d
	c.known = c.known && known
	c.dOK = c.dOK && known
}

// simulate runs the body of the loop instruction at end (whose header is
// h) once, from the written cells of the iteration before (nil for the
// first: everything unknown).
func (p *Program) simulate(h, end int, before *symRun) *symRun {
	r := &symRun{cells: map[int32]*symCell{}, known: true}
	if before != nil {
		for off, c := range before.cells {
			if c.reset {
				r.cells[off] = &symCell{known: c.known, val: c.val, dOK: true}
			}
		}
	}
	adds := func(from, to int) {
		for j := from; j < to; j++ {
			r.add(p.insts[j].off, p.insts[j].delta, true)
		}
	}
	for pc := h + 1; pc < end; {
		in := &p.insts[pc]
		next := pc + 1 + int(in.adds)
		adds(pc+1, next)
		c := r.cell(in.off)
		n := c.val * in.per
		r.known = r.known && c.known
		r.counts = append(r.counts, n)
		r.gas += uint64(n) * in.iterGas()
		switch in.op {
		case opMul1:
			r.add(in.target(), in.factor*n, c.known)
		case opMul2:
			r.add(in.target(), in.factor*n, c.known)
			r.add(p.insts[next].off, p.insts[next].delta*n, c.known)
			next++
		}
		*c = symCell{known: true, val: in.set, reset: true}
		pc = next
	}
	adds(end+1, end+1+int(p.insts[end].adds))
	return r
}

// closeLoop gives the loop instruction at end its closed form when it has
// one.
func (p *Program) closeLoop(end int) {
	in := &p.insts[end]
	h := int(in.body)
	if in.off != 0 || p.insts[h].reachSpan() == 0 {
		return
	}
	first := p.simulate(h, end, nil)
	second := p.simulate(h, end, first)
	if !second.known {
		return
	}
	third := p.simulate(h, end, second)
	if !slices.Equal(second.counts, third.counts) {
		return
	}
	f := closedForm{gas: p.insts[h].staticGas() + second.gas}
	for off, c := range second.cells {
		switch {
		case c.reset && (!third.cells[off].known || third.cells[off].val != c.val):
			return
		case off == 0 && (c.reset || !c.dOK):
			return // the counter must step, not be written
		case off == 0:
			f.step = c.delta
		case c.reset:
			f.sets = append(f.sets, cellStep{off: off, delta: c.val})
		case c.delta != 0:
			f.adds = append(f.adds, cellStep{off: off, delta: c.delta})
		}
	}
	byOff := func(a, b cellStep) int { return int(a.off - b.off) }
	slices.SortFunc(f.sets, byOff)
	slices.SortFunc(f.adds, byOff)
	p.forms = append(p.forms, f)
	p.fall[end].form = int32(len(p.forms))
	if jz := p.opener(h); jz >= 0 {
		p.insts[jz].op = opJzClosed
		p.fall[jz].form = p.fall[end].form
		p.unbare(jz)
	}
}

// opener returns the opJz that enters the loop body whose header is h, or
// -1 when there is none: the loop's [ ends the block before the body,
// followed by its adds.
func (p *Program) opener(h int) int {
	for jz := h - 1; jz >= 0; jz-- {
		if j := &p.insts[jz]; j.op == opJz && int(j.body) == h && jz+1+int(j.adds) == h {
			return jz
		}
		if jz+1 < h && p.insts[jz].op != opNone {
			break // past the [ and its adds
		}
	}
	return -1
}
