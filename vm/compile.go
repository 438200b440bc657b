package vm

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"unsafe"
)

// Compilation for the fast interpreter. A Program is the code as a flat
// list of instructions grouped in blocks. A block is a straight line of
// source commands, entered only at its top, that ends at the first plain
// bracket or scan loop. Inside a block the pointer does not move: + - , .
// and the fused clear, multiply and "[]" loops act at an offset from the
// pointer the block started at, and the block's net move is applied by its
// last instruction. So the block's static gas (every command but the data
// dependent part of its fused loops) and the span of cells its commands can
// reach are known at compile time, and one check on entering the block
// replaces a gas check and a tape check per command. When that check
// fails, the plain interpreter runs the block instead and finds the exact
// command at fault.

type opcode uint8

const (
	opNone       opcode = iota // a block header or an entry: never dispatched
	opBare                     // a header whose block holds only adds and a [ or ] (see selfloop.go): never dispatched
	opIn                       // cell[off] = next input byte, or 0
	opOut                      // output cell[off]; may fall back
	opMul                      // fused multiply loop on cell[off]; a targets follow the adds
	opMul1                     // fused multiply loop on cell[off] with one target: cell[a] += f * iterations
	opMul2                     // opMul1, and a second target in the entry after the adds
	opClear                    // fused clear loop on cell[off]
	opForever                  // "[]" on cell[off]: out of gas unless the cell is 0
	opJz                       // ptr += off; [ : to block b if the cell is 0, else block a
	opJnz                      // ptr += off; ] : to block a if the cell is not 0, else block b
	opScan                     // ptr += off; scan loop of step a, then block b
	opEnd                      // the end of the code
	opLoopMul1                 // opJnz closing a self loop whose body is one opMul1 (see selfloop.go)
	opLoopMul2                 // opJnz closing a self loop whose body is one opMul2
	opLoop                     // opJnz closing a self loop whose body holds only adds and clear, opMul1, opMul2
	opJzClosed                 // opJz opening a self loop that has a closed form (closed.go)
	opLoopAround               // opJnz closing a loop whose body is a closed-form loop between adds and moves (around.go)
	opJzAround                 // opJz opening such a loop
	opJzChain                  // opJz of a bare block that starts a counting chain (chain.go)
)

// inst is an instruction, an entry of the instruction before it, or a
// block header. Every instruction first adds its adds entries (the + -
// that come before it in the source, folded by cell: cell[off] += delta),
// then does its own work. Offsets are relative to the pointer at the
// block's start; blocks are named by the index of their header.
//
// The fields body and after hold a jump's two targets; the other
// instructions keep their own operands there, read through the accessors
// below, which name them: a fused loop's target and iterGas, a scan's
// step, a header's reach and static gas.
type inst struct {
	op      opcode
	delta   uint8 // entry: added to its cell; opMul's targets: added per iteration
	per     uint8 // fused loops: iterations per unit of the counter (1, or 255 when it steps up)
	set     uint8 // fused loops: the counter's value after the loop (a folded [-]+++)
	factor  uint8 // opMul1, opMul2: the first target's factor
	zeroGas uint8 // jumps, loops, opScan: gas of the bare brackets a zero cell skips (thread.go)
	off     int32 // cell offset; jumps, loops, opScan: the block's net pointer move; header: where the plain fallback starts
	adds    int32 // number of add entries following the instruction; header: its static gas (as a uint32)
	body    int32 // jumps, loops: the body block (cell not 0); see target, targets, step, reachLo
	after   int32 // jumps, loops: the block after the loop (cell 0); opScan: the next block; see iterGas, reachSpan
	zero    int32 // jumps, loops, opScan: where a zero cell leads, after threaded past bare brackets (thread.go)
}

// target is opMul1's and opMul2's first target offset.
func (in *inst) target() int32 { return in.body }

// targets is opMul's number of target entries, after its adds.
func (in *inst) targets() int32 { return in.body }

// step is opScan's pointer step.
func (in *inst) step() int32 { return in.body }

// iterGas is a fused loop's gas per iteration, its ] included.
func (in *inst) iterGas() uint64 { return uint64(in.after) }

// A block header's entry check: its static gas, and the range of
// pointers for which every cell the block can reach is on the tape,
// reachLo <= ptr < reachLo+reachSpan (span 0 when there is none). A block
// whose static gas does not fit a uint32 never passes (its span is 0).
func (in *inst) staticGas() uint64 { return uint64(uint32(in.adds)) }
func (in *inst) reachLo() int      { return int(in.body) }
func (in *inst) reachSpan() uint   { return uint(in.after) }

// fits reports whether the block whose header is in can run from ptr with
// gas left, as one check: its static gas and its reach (one unsigned
// comparison).
func (in *inst) fits(ptr int, gas uint64) bool {
	return gas >= in.staticGas() && uint(ptr-in.reachLo()) < in.reachSpan()
}

// fallback is what an instruction that can fail inside a block needs to
// hand the run over to the plain interpreter at its own first command.
type fallback struct {
	src  int32  // byte offset of the instruction's first source command
	form int32  // loop instructions: 1 + the index of their closed form in Program.forms (opLoopAround: of its walk in Program.walks), or 0
	rest uint64 // static gas of the block from that command on, charged in advance
}

// Program is compiled code, safe for concurrent use by many runs.
//
// The plain fallback runs on the code's commands alone (comments dropped),
// so everything it steps over costs gas: no run spends time on bytes it is
// not charged for. pos maps a command's index back to its byte offset in
// the source, which is what errors name.
type Program struct {
	code  []byte  // the commands of the source, comments dropped
	pos   []int32 // by command: its byte offset in the source
	size  int     // the source's length in bytes, what loading it costs
	jump  []int32
	insts []inst
	fall  []fallback   // by instruction; set for those that can fail: opOut, the fused loops, opScan
	forms []closedForm // the self loops run in closed form (closed.go)
	walks []walk       // the loops around a closed-form loop (around.go)
	runs  []chain      // the counting chains (chain.go)
	stops []int32      // by command index right after a bracket: the block starting there, or -1
}

// Size returns the length in bytes of the source the program was compiled
// from.
func (p *Program) Size() int { return p.size }

// LoadGas is what loading the program costs a call: GasCodeByte per byte
// of its source.
func (p *Program) LoadGas() uint64 { return uint64(p.size) * GasCodeByte }

// isCmd marks the eight command bytes.
var isCmd = [256]bool{'>': true, '<': true, '+': true, '-': true, '.': true, ',': true, '[': true, ']': true}

// commands returns the commands of code and the byte offset of each; the
// offsets are nil when code has no comments (each command is at its own
// index).
func commands(code []byte) ([]byte, []int32) {
	n := 0
	for _, c := range code {
		if isCmd[c] {
			n++
		}
	}
	if n == len(code) {
		return bytes.Clone(code), nil
	}
	cmds, pos := make([]byte, 0, n), make([]int32, 0, n)
	for i, c := range code {
		if isCmd[c] {
			cmds, pos = append(cmds, c), append(pos, int32(i))
		}
	}
	return cmds, pos
}

// Load validates code and prepares it to run without compiling it: its
// commands (comments dropped) and their bracket partners, in one linear
// pass and 9 bytes per command. Its Run is the plain interpreter's on
// those commands, exact like every Run: the form for code that runs too
// little to repay compiling (Cache.Get decides). It keeps no reference to
// code.
func Load(code []byte) (*Program, error) {
	if int64(len(code)) > 1<<31-1 {
		return nil, fmt.Errorf("vm: code of %d bytes is too long", len(code))
	}
	cmds, pos := commands(code)
	jump, err := matchBrackets(cmds)
	if err != nil {
		var pe *PosError
		if errors.As(err, &pe) && pos != nil {
			err = &PosError{Pos: int(pos[pe.Pos]), Err: pe.Err}
		}
		return nil, err
	}
	return &Program{code: cmds, pos: pos, size: len(code), jump: jump}, nil
}

// Compiled reports whether the program was compiled (Compile) rather than
// only loaded (Load).
func (p *Program) Compiled() bool { return p.insts != nil }

// Footprint estimates the bytes the program holds in memory: what a cache
// of programs bounds.
func (p *Program) Footprint() int {
	forms := 0
	for _, f := range p.forms {
		forms += int(unsafe.Sizeof(f)) + int(unsafe.Sizeof(cellStep{}))*(cap(f.adds)+cap(f.sets))
	}
	forms += int(unsafe.Sizeof(walk{})) * cap(p.walks)
	return forms + len(p.code) + 4*(len(p.pos)+len(p.jump)+len(p.stops)) +
		int(unsafe.Sizeof(inst{}))*cap(p.insts) + int(unsafe.Sizeof(fallback{}))*cap(p.fall) + 128
}

// Compile validates and compiles code. It keeps no reference to code.
//
// Its time and memory are linear in len(code): every command is looked at
// a bounded number of times (once by the compiler, once more by the scan
// of a loop body that tries to fuse, which stops at the body's first
// bracket, and by the passes over the instructions), and the pending adds
// of a block and the net adds of a loop body are found by offset in O(1).
// BenchmarkCompile measures it on adversarial shapes.
func Compile(code []byte) (*Program, error) {
	p, err := Load(code)
	if err != nil {
		return nil, err
	}
	cmds := p.code
	p.stops = make([]int32, len(cmds)+1)
	// Every command becomes at most one instruction or entry, and every
	// block but the first starts after a bracket: no append reallocates.
	brackets := bytes.Count(cmds, []byte("[")) * 2
	p.insts = make([]inst, 0, len(cmds)+brackets+2)
	p.fall = make([]fallback, 0, cap(p.insts))
	for i := range p.stops {
		p.stops[i] = -1
	}
	c := compiler{p: p, last: -1, slots: newSlots(len(cmds)), body: newSlots(len(cmds))}
	jump := p.jump
	code = cmds
	c.startBlock(0)
	var loops []int32 // the opJz of each open plain loop
	for i := 0; i < len(code); i++ {
		switch code[i] {
		case '+':
			c.add(1)
		case '-':
			c.add(255)
		case '>':
			c.move(1)
		case '<':
			c.move(-1)
		case ',':
			c.emit(inst{op: opIn, off: int32(c.cur)})
			c.gas += GasStep + GasWrite
		case '.':
			c.mid(inst{op: opOut, off: int32(c.cur)}, i)
			c.gas += GasStep + GasOutput
		case '[':
			end := int(jump[i])
			if c.fuse(i, end) {
				i = end
				continue
			}
			c.bare()
			jz := c.emit(inst{op: opJz, off: int32(c.cur)})
			c.gas += GasStep
			p.insts[jz].body = c.endBlock(i + 1)
			loops = append(loops, jz)
		case ']':
			jz := loops[len(loops)-1]
			loops = loops[:len(loops)-1]
			c.bare()
			jnz := c.emit(inst{op: opJnz, off: int32(c.cur), body: p.insts[jz].body})
			c.gas += GasStep
			after := c.endBlock(i + 1)
			p.insts[jz].after, p.insts[jnz].after = after, after
		}
	}
	c.emit(inst{op: opEnd})
	c.closeBlock()
	p.thread(c.heads)
	p.selfLoops()
	p.chains()
	return p, nil
}

// slots finds an entry of a list of adds by cell offset in O(1): idx holds,
// for offset o in [-base, base], 1 + the entry's index in the list, or 0.
// Offsets within one block or loop body never leave that range, since
// each command moves the pointer by at most one. A user clears it by
// zeroing the offsets of its list, so a reset costs the list's length.
type slots struct {
	idx  []int32
	base int
}

func newSlots(n int) slots { return slots{idx: make([]int32, 2*n+1), base: n} }

func (s *slots) at(off int) *int32 { return &s.idx[off+s.base] }

// reset clears the offsets of adds.
func (s *slots) reset(adds []pendingAdd) {
	for _, a := range adds {
		*s.at(a.off) = 0
	}
}

// compiler holds the block being compiled.
type compiler struct {
	p      *Program
	hdr    int32        // the block's header
	cur    int          // pointer offset from the block's start
	lo, hi int          // lowest and highest cell offset the block can reach
	gas    uint64       // static gas so far
	pend   []pendingAdd // adds not yet emitted, in order of first touch
	last   int32        // the last instruction emitted (not an entry)
	mids   []midInst
	slots  slots   // pend by offset
	body   slots   // fuse's deltas by offset
	heads  []int32 // every block's header, in order
}

type pendingAdd struct {
	off   int
	delta uint8
}

type midInst struct {
	pc     int32
	before uint64 // static gas of the block before the instruction
}

// emit appends an instruction with the pending adds as its entries and
// returns its index. Adds commute, so their order is free. An add on the
// cell of a clear loop just before, in the same block, sets the loop's
// final value instead.
func (c *compiler) emit(in inst) int32 {
	prev := c.last
	clear := prev > c.hdr && c.p.insts[prev].op == opClear && c.p.insts[prev].set == 0
	pc := c.entry(in)
	for _, a := range c.pend {
		if a.delta == 0 {
			continue
		}
		if clear && int(c.p.insts[prev].off) == a.off {
			c.p.insts[prev].set = a.delta
			continue
		}
		c.entry(inst{delta: a.delta, off: int32(a.off)})
		c.p.insts[pc].adds++
	}
	c.slots.reset(c.pend)
	c.pend = c.pend[:0]
	c.last = pc
	return pc
}

// entry appends an instruction as it is and returns its index.
func (c *compiler) entry(e inst) int32 {
	c.p.insts = append(c.p.insts, e)
	c.p.fall = append(c.p.fall, fallback{})
	return int32(len(c.p.insts) - 1)
}

// mid emits an instruction that may fall back inside its block, src being
// the byte offset of its first source command.
func (c *compiler) mid(in inst, src int) int32 {
	pc := c.emit(in)
	c.p.fall[pc].src = int32(src)
	c.mids = append(c.mids, midInst{pc: pc, before: c.gas})
	return pc
}

// startBlock emits the header of a block whose plain fallback starts at
// byte offset src.
func (c *compiler) startBlock(src int) int32 {
	c.hdr = c.entry(inst{off: int32(src)})
	c.heads = append(c.heads, c.hdr)
	c.cur, c.lo, c.hi, c.gas = 0, 0, 0, 0
	c.mids = c.mids[:0]
	return c.hdr
}

// closeBlock fills in the block's header and the fallback data of the
// instructions inside it.
func (c *compiler) closeBlock() {
	h := &c.p.insts[c.hdr]
	if span := TapeSize - c.hi + c.lo; span > 0 && c.gas <= math.MaxUint32 {
		h.body, h.after = int32(-c.lo), int32(span)
		h.adds = int32(uint32(c.gas))
	}
	for _, m := range c.mids {
		c.p.fall[m.pc].rest = c.gas - m.before
	}
}

// endBlock closes the block and starts the one entered at byte offset src,
// right after a bracket, where the plain fallback hands back.
func (c *compiler) endBlock(src int) int32 {
	c.closeBlock()
	hdr := c.startBlock(src)
	c.p.stops[src] = hdr
	return hdr
}

// bare marks the block opBare when the bracket about to be emitted is its
// first instruction.
func (c *compiler) bare() {
	if c.last < c.hdr {
		c.p.insts[c.hdr].op = opBare
	}
}

func (c *compiler) add(delta uint8) {
	c.gas += GasStep + GasWrite
	slot := c.slots.at(c.cur)
	if *slot == 0 {
		c.pend = append(c.pend, pendingAdd{off: c.cur})
		*slot = int32(len(c.pend))
	}
	c.pend[*slot-1].delta += delta
}

func (c *compiler) move(d int) {
	c.gas += GasStep
	c.cur += d
	c.reach(c.cur, c.cur)
}

func (c *compiler) reach(lo, hi int) {
	c.lo, c.hi = min(c.lo, lo), max(c.hi, hi)
}
