package vm

import "bytes"

// The fast interpreter runs a Program: the code compiled once to a flat
// list of instructions. Runs of + - < > fold into one instruction that
// adds at offsets and moves the pointer once; [-] and [+] become a clear,
// [>] [<<] and the like a scan, loops whose body only adds at offsets and
// returns the pointer while stepping cell 0 by one become a multiply, and
// every other bracket a jump with its target precomputed.
//
// Gas stays exact because every instruction knows what the plain
// interpreter would charge for its source commands (for the fused loops, as
// a function of the iteration count, known before the loop runs) and the
// span of cells it touches or passes. Before doing anything it checks both;
// when either check fails (out of gas, a tape fault, a full output), the
// run is handed to the plain interpreter at the instruction's first source
// command, with the state exactly as the plain interpreter would have it
// there, and the plain interpreter finds the exact failing command.

type opcode uint8

const (
	opAdd     opcode = iota // cell += delta (a run of + - with no move)
	opMove                  // ptr += move (a run of < > alone)
	opFold                  // adds at offsets (adds[a:b]), then ptr += move
	opFoldJnz               // opFold, then the ] that ends a loop (jump to a2)
	opIn                    // cell = next input byte or 0
	opOut                   // output cell
	opJz                    // [ : if cell == 0 jump to target (after the matching ])
	opJnz                   // ] : if cell != 0 jump to target (after the matching [)
	opClear                 // [-] or [+]: step is the counter's delta
	opScan                  // [>] [<<] ...: move by move until a zero cell
	opMul                   // multiply loop: cell 0 steps by step; adds[a:b] per iteration
)

type inst struct {
	op     opcode
	step   int8   // opClear, opMul: the counter's delta per iteration (+1 or -1)
	delta  uint8  // opAdd: the net delta
	jump   int32  // opFoldJnz: the instruction after the loop's [
	move   int32  // opFold: net pointer move; opScan: the step
	lo, hi int32  // opFold, opMul: lowest and highest cell offset reached
	room   uint32 // TapeSize-1-(hi-lo): ptr+lo must be in [0, room] (see reach)
	a, b   int32  // opFold, opMul: the adds; opJz, opJnz: a = target instruction
	gas    uint64 // gas of the source commands; opMul/opClear: per iteration
	src    int32  // byte offset of the first source command (the fallback)
}

type add struct {
	off   int32
	delta uint8
}

// Program is compiled code, safe for concurrent use by many runs.
type Program struct {
	code  []byte
	jump  []int32
	insts []inst
	adds  []add
}

// Compile validates and compiles code. It keeps its own copy of code.
func Compile(code []byte) (*Program, error) {
	code = bytes.Clone(code)
	jump, err := matchBrackets(code)
	if err != nil {
		return nil, err
	}
	p := &Program{code: code, jump: jump}
	var open []int32 // instruction index of each open opJz
	for i := 0; i < len(code); {
		switch code[i] {
		case '+', '-', '<', '>':
			i = p.fold(i, len(code), opFold)
		case ',':
			p.insts = append(p.insts, inst{op: opIn, gas: GasStep + GasWrite, src: int32(i)})
			i++
		case '.':
			p.insts = append(p.insts, inst{op: opOut, gas: GasStep, src: int32(i)})
			i++
		case '[':
			end := int(jump[i])
			if p.fuse(i, end) {
				i = end + 1
				continue
			}
			open = append(open, int32(len(p.insts)))
			p.insts = append(p.insts, inst{op: opJz, gas: GasStep, src: int32(i)})
			i++
		case ']':
			jz := open[len(open)-1]
			open = open[:len(open)-1]
			last := len(p.insts) - 1
			if last > int(jz) && p.canMergeJnz(last) {
				// Fold the ] into the run of + - < > before it: one
				// dispatch for the common loop tail.
				in := &p.insts[last]
				in.op, in.gas, in.jump = opFoldJnz, in.gas+GasStep, jz+1
				p.insts[jz].a = int32(last + 1)
			} else {
				jnz := int32(len(p.insts))
				p.insts = append(p.insts, inst{op: opJnz, gas: GasStep, src: int32(i), a: jz + 1})
				p.insts[jz].a = jnz + 1
			}
			i++
		default:
			i++ // a comment
		}
	}
	return p, nil
}

// canMergeJnz reports whether instruction i is a fold that a following ]
// can join (no jump lands between them: a fold is only entered at its top).
func (p *Program) canMergeJnz(i int) bool {
	switch p.insts[i].op {
	case opAdd, opMove, opFold:
		return true
	}
	return false
}

// fold compiles the run of + - < > (and comments) starting at i, up to
// end, into one instruction of kind op, and returns where the run stops.
func (p *Program) fold(i, end int, op opcode) int {
	in := inst{op: op, src: int32(i), a: int32(len(p.adds))}
	deltas := map[int32]uint8{}
	var order []int32
	cur := int32(0)
	for ; i < end; i++ {
		switch p.code[i] {
		case '+', '-':
			if _, ok := deltas[cur]; !ok {
				order = append(order, cur)
			}
			if p.code[i] == '+' {
				deltas[cur]++
			} else {
				deltas[cur]--
			}
			in.gas += GasStep + GasWrite
		case '>', '<':
			if p.code[i] == '>' {
				cur++
			} else {
				cur--
			}
			in.lo, in.hi = min(in.lo, cur), max(in.hi, cur)
			in.gas += GasStep
		case '.', ',', '[', ']':
			goto done
		}
	}
done:
	for _, off := range order {
		if d := deltas[off]; d != 0 {
			p.adds = append(p.adds, add{off, d})
		}
	}
	in.b = int32(len(p.adds))
	in.move = cur
	if op == opFold {
		// The simplest runs get their own instructions.
		switch {
		case in.b == in.a && cur != 0:
			in.op = opMove
		case in.b == in.a+1 && cur == 0 && in.lo == 0 && in.hi == 0:
			// adds[a:b] stays: a ] merged later runs it as a fold.
			in.op, in.delta = opAdd, p.adds[in.a].delta
		}
	}
	in.room = room(in.lo, in.hi)
	if in.hi-in.lo >= TapeSize {
		in.lo = 1 << 30 // wider than the tape: reach always fails
	}
	p.insts = append(p.insts, in)
	return i
}

// room returns the largest ptr+lo for which every cell in [ptr+lo, ptr+hi]
// is on the tape (a span wider than the tape has its lo pushed out of
// range by fold, so reach always fails and the plain interpreter runs it).
func room(lo, hi int32) uint32 {
	if span := hi - lo; span < TapeSize {
		return uint32(TapeSize - 1 - span)
	}
	return 0
}

// reach reports whether every cell in [ptr+lo, ptr+hi] is on the tape, in
// one unsigned comparison.
func (in *inst) reach(ptr int) bool {
	return uint(ptr+int(in.lo)) <= uint(in.room)
}

// fuse compiles the loop code[open..close] into one clear, scan or
// multiply instruction if its body allows, and reports whether it did.
func (p *Program) fuse(open, close int) bool {
	body := p.code[open+1 : close]
	var moves, plus, minus, other int
	for _, c := range body {
		switch c {
		case '>', '<':
			moves++
		case '+':
			plus++
		case '-':
			minus++
		case '.', ',', '[', ']':
			other++
		}
	}
	if other > 0 {
		return false
	}
	if moves == 0 && plus+minus > 0 {
		// [-] [+] [---] ...: only a net step of ±1 is sure to end.
		if d := plus - minus; d == 1 || d == -1 {
			p.insts = append(p.insts, inst{op: opClear, step: int8(d),
				gas: uint64(plus+minus)*(GasStep+GasWrite) + GasStep, src: int32(open)})
			return true
		}
		return false
	}
	if plus+minus == 0 && moves > 0 {
		right := bytes.Count(body, []byte{'>'})
		if right != 0 && right != moves {
			// Mixed moves ([>><]) pass cells beyond where each step
			// lands, which a scan would not check; leave them plain.
			return false
		}
		n := right
		if n == 0 {
			n = -moves
		}
		p.insts = append(p.insts, inst{op: opScan, move: int32(n), gas: uint64(moves) + GasStep, src: int32(open)})
		return true
	}
	// A multiply loop: compile the body as a fold, then check its shape.
	mark, marka := len(p.insts), len(p.adds)
	p.fold(open+1, close, opMul)
	in := &p.insts[mark]
	var step int8
	ok := in.move == 0
	for k := in.a; ok && k < in.b; k++ {
		if p.adds[k].off == 0 {
			switch p.adds[k].delta {
			case 1:
				step = 1
			case 255:
				step = -1
			default:
				ok = false
			}
		}
	}
	if !ok || step == 0 {
		p.insts, p.adds = p.insts[:mark], p.adds[:marka]
		return false
	}
	in.step = step
	in.gas += GasStep // the ] of each iteration
	in.src = int32(open)
	return true
}

// Run executes the program on tape with input. The pointer starts at cell
// 0; the tape is modified in place.
func (p *Program) Run(tape *Tape, input []byte, lim Limits) Result {
	m := newMachine(tape, input, lim)
	insts, adds := p.insts, p.adds
	t := tape
	ptr, gas := 0, lim.Gas
	for pc := 0; pc < len(insts); pc++ {
		in := &insts[pc]
		switch in.op {
		case opAdd:
			if gas < in.gas {
				return p.fallback(&m, pc, ptr, gas)
			}
			gas -= in.gas
			t[ptr] += in.delta
		case opMove:
			np := ptr + int(in.move)
			if gas < in.gas || !in.reach(ptr) {
				return p.fallback(&m, pc, ptr, gas)
			}
			gas -= in.gas
			ptr = np
		case opFoldJnz:
			if gas < in.gas || !in.reach(ptr) {
				return p.fallback(&m, pc, ptr, gas)
			}
			gas -= in.gas
			for _, a := range adds[in.a:in.b] {
				t[ptr+int(a.off)] += a.delta
			}
			ptr += int(in.move)
			if t[ptr] != 0 {
				pc = int(in.jump) - 1
			}
		case opFold:
			if gas < in.gas || !in.reach(ptr) {
				return p.fallback(&m, pc, ptr, gas)
			}
			gas -= in.gas
			for _, a := range adds[in.a:in.b] {
				t[ptr+int(a.off)] += a.delta
			}
			ptr += int(in.move)
		case opIn:
			if gas < in.gas {
				return p.fallback(&m, pc, ptr, gas)
			}
			gas -= in.gas
			var b byte
			if m.inPos < len(input) {
				b = input[m.inPos]
				m.inPos++
			}
			t[ptr] = b
		case opOut:
			if gas < in.gas || len(m.out) >= m.maxOut {
				return p.fallback(&m, pc, ptr, gas)
			}
			gas -= in.gas
			m.out = append(m.out, t[ptr])
		case opJz:
			if gas < in.gas {
				return p.fallback(&m, pc, ptr, gas)
			}
			gas -= in.gas
			if t[ptr] == 0 {
				pc = int(in.a) - 1
			}
		case opJnz:
			if gas < in.gas {
				return p.fallback(&m, pc, ptr, gas)
			}
			gas -= in.gas
			if t[ptr] != 0 {
				pc = int(in.a) - 1
			}
		case opClear:
			n := iterations(t[ptr], in.step)
			need := GasStep + n*in.gas // the [ and n times (body and ])
			if gas < need {
				return p.fallback(&m, pc, ptr, gas)
			}
			gas -= need
			t[ptr] = 0
		case opScan:
			end, ok := scan(t, ptr, int(in.move))
			n := uint64((end - ptr) / int(in.move))
			need := GasStep + n*in.gas
			if !ok || gas < need {
				return p.fallback(&m, pc, ptr, gas)
			}
			gas -= need
			ptr = end
		case opMul:
			v := t[ptr]
			if v == 0 {
				if gas < GasStep {
					return p.fallback(&m, pc, ptr, gas)
				}
				gas -= GasStep
				continue
			}
			n := iterations(v, in.step)
			need := GasStep + n*in.gas
			if gas < need || !in.reach(ptr) {
				return p.fallback(&m, pc, ptr, gas)
			}
			gas -= need
			f := uint8(n)
			for _, a := range adds[in.a:in.b] {
				if a.off != 0 {
					t[ptr+int(a.off)] += a.delta * f
				}
			}
			t[ptr] = 0
		}
	}
	m.gas = gas
	return m.ok()
}

// iterations returns how many times a loop whose counter steps by step
// runs from v: v for -1, 256-v for +1 (0 when v is 0).
func iterations(v uint8, step int8) uint64 {
	if v == 0 {
		return 0
	}
	if step < 0 {
		return uint64(v)
	}
	return uint64(256 - int(v))
}

// scan returns where a scan loop stepping by step from ptr stops (the first
// zero cell), and false if it would leave the tape first.
func scan(t *Tape, ptr, step int) (int, bool) {
	switch step {
	case 1:
		i := bytes.IndexByte(t[ptr:], 0)
		if i < 0 {
			return 0, false
		}
		return ptr + i, true
	case -1:
		i := bytes.LastIndexByte(t[:ptr+1], 0)
		if i < 0 {
			return 0, false
		}
		return i, true
	}
	for t[ptr] != 0 {
		ptr += step
		if ptr < 0 || ptr >= TapeSize {
			return 0, false
		}
	}
	return ptr, true
}

// fallback hands the run to the plain interpreter at instruction pc's first
// source command, with the state the plain interpreter would have there.
func (p *Program) fallback(m *machine, pc, ptr int, gas uint64) Result {
	m.ptr, m.gas = ptr, gas
	res, _ := m.plain(p.code, p.jump, int(p.insts[pc].src), nil, nil)
	return res
}
