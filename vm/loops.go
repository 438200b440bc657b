package vm

// Loop fusion. A loop is fused when its effect and its exact gas follow
// from the cells it starts on:
//
//   - "[]": with a non-zero cell it spins until the gas runs out.
//   - clear and multiply loops, like [-] [+] [->+>++<<]: a body of + - < >
//     with no net move whose counter cell steps by exactly -1 or +1 per
//     iteration, so it runs v or 256-v times (v the counter's value).
//     Other steps may never end or need a modular inverse: those stay
//     plain loops.
//   - scan loops, like [>] [<<]: a body of only > or only <, which moves
//     until it meets a zero cell.
//
// In plain execution a loop of n iterations runs its [ once and its body
// and its ] n times, so it costs 1 + n*(body+1).

// maxFusedBody bounds a fused loop's body so that its reach and its gas per
// iteration fit the instruction's fields; longer bodies stay plain loops.
const maxFusedBody = 1 << 20

// fuse compiles the loop between the brackets at open and end as one fused
// instruction and reports whether it could.
func (c *compiler) fuse(open, end int) bool {
	code := c.p.code
	var (
		cmds, pos, lo, hi int
		left, right       bool
		gas               uint64
		deltas            []pendingAdd // net add per offset, in order of first touch
	)
	defer func() { c.body.reset(deltas) }()
	for i := open + 1; i < end; i++ {
		switch code[i] {
		case '>', '<':
			if code[i] == '>' {
				pos, right = pos+1, true
			} else {
				pos, left = pos-1, true
			}
			lo, hi = min(lo, pos), max(hi, pos)
			gas += GasStep
		case '+', '-':
			d := uint8(1)
			if code[i] == '-' {
				d = 255
			}
			slot := c.body.at(pos)
			if *slot == 0 {
				deltas = append(deltas, pendingAdd{off: pos})
				*slot = int32(len(deltas))
			}
			deltas[*slot-1].delta += d
			gas += GasStep + GasWrite
		default: // . , [ ]
			return false
		}
		if cmds++; cmds > maxFusedBody {
			return false
		}
	}
	switch {
	case cmds == 0:
		pc := c.mid(inst{op: opForever, off: int32(c.cur)}, open)
		c.p.fall[pc].src = int32(end) // it runs out of gas at its ]
		c.gas += GasStep
		return true
	case pos == 0:
		var counter uint8
		for _, d := range deltas {
			if d.off == 0 {
				counter = d.delta
			}
		}
		if counter != 1 && counter != 255 {
			return false
		}
		// The loop runs v*n mod 256 times for a counter at v: v when it
		// steps -1 (n = 1), 256-v when it steps +1 (n = 255, i.e. -1).
		head := c.mid(inst{op: opMul, per: -counter, off: int32(c.cur), after: int32(gas + GasStep)}, open)
		for _, d := range deltas {
			if d.off != 0 && d.delta != 0 {
				c.entry(inst{delta: d.delta, off: int32(c.cur + d.off)})
				c.p.insts[head].body++
			}
		}
		// The commonest shapes get instructions of their own: no targets
		// (a clear), one target (a move) and two (a copy). The first target
		// moves into the instruction.
		switch h := &c.p.insts[head]; h.targets() {
		case 0:
			h.op = opClear
		case 1, 2:
			first := int(head) + 1 + int(h.adds) // the first target, after the adds
			e := c.p.insts[first]
			h.op, h.body, h.factor = opMul1, e.off, e.delta
			if len(c.p.insts) > first+1 {
				h.op = opMul2
				c.p.insts[first] = c.p.insts[first+1]
			}
			c.p.insts, c.p.fall = c.p.insts[:len(c.p.insts)-1], c.p.fall[:len(c.p.fall)-1]
		}
		// The block's reach check covers every cell the body passes, even
		// when the loop runs zero times: conservative, so at worst the
		// plain interpreter runs the block.
		c.reach(c.cur+lo, c.cur+hi)
		c.gas += GasStep
		return true
	case len(deltas) == 0 && left != right:
		// A scan ends its block: it moves the pointer by an amount known
		// only at run time, so the next block's reach is checked afresh.
		// It charges nothing in advance, so its fallback starts with the
		// gas left as it is.
		pc := c.emit(inst{op: opScan, off: int32(c.cur), body: int32(pos)})
		c.p.fall[pc].src = int32(open)
		c.p.insts[pc].after = c.endBlock(end + 1)
		return true
	}
	return false
}
