package zk

import (
	"github.com/tinychain/tinychain/vm"
)

// forgery is one way a cheating prover departs from the VM's rules; the
// forger below runs code by the circuit's rules except for it, and makes
// the rest of the witness and the public statement agree with what it ran,
// so that the one departure is all the circuit can catch.
type forgery struct {
	partner map[int]int // jump to these partners instead of the real ones
	noWrap  bool        // + at 255 writes 256, - at 0 writes 0
	noFault bool        // < at cell 0 stays at 0, > at the last cell stays, and the run goes on
	oogAt   int         // claim out of gas at this row (0: never)
	skip    int         // drop this executed row (0: none)
	repeat  int         // run this row twice (0: none)
	badRead int         // this row reads one more than the cell holds (0: none)
}

// forged is the forger's run.
type forged struct {
	rows   []rowValue
	out    []byte
	gas    uint64
	status vm.Status
	tape   vm.Tape
}

// forge runs prog by the circuit's rules but for f, for s.Steps rows.
func forge(r *Run, s Size, f forgery) forged {
	var o forged
	o.tape = *r.TapeIn
	pc, ptr, in := 0, 0, 0
	left := r.Limits.Gas - r.Limits.LoadGas
	stopped := false
	var stop rowValue
	for i := 0; len(o.rows) < s.Steps; i++ {
		if stopped {
			stop.read, stop.write = int(o.tape[stop.ptr]), int(o.tape[stop.ptr])
			o.rows = append(o.rows, stop)
			continue
		}
		if pc == len(r.Prog) {
			stop = rowValue{pc: pc, ptr: ptr, op: opHalt}
			stopped = true
			continue
		}
		op := opOf[r.Prog[pc]]
		cost := uint64(vm.GasStep)
		switch op {
		case opInc, opDec, opIn:
			cost += vm.GasWrite
		case opOut:
			cost += vm.GasOutput
		}
		w := rowValue{pc: pc, ptr: ptr, op: op, partner: r.partner(pc), read: int(o.tape[ptr]), write: int(o.tape[ptr]), exec: true}
		if q, ok := f.partner[pc]; ok {
			w.partner = q
		}
		if f.badRead > 0 && i == f.badRead {
			w.read, w.write = w.read+1, w.write+1
		}
		if cost > left || (f.oogAt > 0 && i == f.oogAt) {
			w.exec, w.oog = false, true
			o.rows, o.status, o.gas = append(o.rows, w), vm.StatusOutOfGas, r.Limits.Gas
			stop, stopped = rowValue{pc: pc, ptr: ptr, op: op, partner: w.partner}, true
			continue
		}
		left -= cost
		o.gas += cost
		next := pc + 1
		fault := false
		switch op {
		case opInc:
			w.write = (w.read + 1) % 256
			if f.noWrap && w.read == 255 {
				w.write = 256
			}
		case opDec:
			w.write = (w.read + 255) % 256
			if f.noWrap && w.read == 0 {
				w.write = 0
			}
		case opIn:
			w.write = 0
			if in < len(r.Input) {
				w.write = int(r.Input[in])
				in++
			}
		case opOut:
			o.out = append(o.out, byte(w.read))
		case opRight:
			switch {
			case ptr < vm.TapeSize-1:
				ptr++
			case !f.noFault:
				fault = true
			}
		case opLeft:
			if ptr == 0 {
				fault = !f.noFault
			} else {
				ptr--
			}
		case opOpen, opClose:
			if (op == opOpen) == (w.read == 0) {
				next = w.partner + 1
			}
		}
		o.tape[w.ptr] = byte(w.write)
		if i != f.skip || i == 0 {
			o.rows = append(o.rows, w)
		}
		if i == f.repeat && i > 0 {
			o.rows = append(o.rows, w)
		}
		pc = next
		if fault {
			o.status = vm.StatusFault
			stop, stopped = rowValue{pc: w.pc, ptr: ptr, op: op, partner: w.partner}, true
		}
	}
	o.rows = o.rows[:s.Steps]
	if o.status != vm.StatusOutOfGas {
		o.gas += r.Limits.LoadGas
	}
	return o
}

// forgedWitness is the witness and statement of the forger's run.
func forgedWitness(r *Run, s Size, f forgery) *Circuit {
	o := forge(r, s, f)
	st := r.Statement(s)
	st.Output, st.GasUsed, st.Status = append([]byte{}, o.out...), o.gas, o.status.String()
	st.TapeOut = TapeHash(&o.tape, s)
	c, err := st.assign()
	if err != nil {
		panic(err)
	}
	assignCode(c, codeRows(r.Prog, r.Jump, s.Code))
	tape0, tape1 := make([]int, s.Window), make([]int, s.Window)
	for a := range tape0 {
		tape0[a], tape1[a] = int(r.TapeIn[a]), int(o.tape[a])
	}
	assignRows(c, o.rows, tape0, tape1)
	return c
}
