package zk

import (
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"
	"github.com/consensys/gnark/std/rangecheck"
	"github.com/tinychain/tinychain/vm"
)

// Command codes in the code table and the one-hot flags of a row.
const (
	opHalt = iota // the end of the code
	opRight
	opLeft
	opInc
	opDec
	opOut
	opIn
	opOpen
	opClose
	nOps
)

// opOf maps a command byte to its code (0 for a comment).
var opOf = [256]int{'>': opRight, '<': opLeft, '+': opInc, '-': opDec, '.': opOut, ',': opIn, '[': opOpen, ']': opClose}

// A code row is hashed as op + opSpan*partner, rowBits of a field
// element: the command in opBits, the partner in the rest.
const (
	opBits  = 4
	opSpan  = 1 << opBits
	rowBits = 18
)

// Row is the prover's witness for one step. The cell after the step is
// not a witness: it is the read, plus or minus one less Wrap·256, or the
// input byte.
type Row struct {
	Op      [nOps - 1]frontend.Variable // the command's flag (opRight..opClose), all 0 for the end of the code
	Partner frontend.Variable           // the command's partner bracket, as the code table has it
	Read    frontend.Variable           // the cell at the pointer before the step
	Wrap    frontend.Variable           // 1 when + wraps 255 to 0, -1 when - wraps 0 to 255
	Last    frontend.Variable           // the time the cell was last written (0: before the run)
	OOG     frontend.Variable           // 1 on the command that did not fit
}

// Circuit proves one run. Public fields are the statement (Statement.
// assign); the others are the witness (Run.assign).
type Circuit struct {
	CodeHash  frontend.Variable   `gnark:",public"`
	TapeIn    frontend.Variable   `gnark:",public"`
	TapeOut   frontend.Variable   `gnark:",public"`
	Input     []frontend.Variable `gnark:",public"` // packed bytesPerElem a field element
	InputLen  frontend.Variable   `gnark:",public"`
	Output    []frontend.Variable `gnark:",public"`
	OutputLen frontend.Variable   `gnark:",public"`
	GasLimit  frontend.Variable   `gnark:",public"`
	LoadGas   frontend.Variable   `gnark:",public"`
	GasUsed   frontend.Variable   `gnark:",public"`
	Status    frontend.Variable   `gnark:",public"`

	CodeOp      []frontend.Variable // Size.Code rows: each command
	CodePartner []frontend.Variable // and its partner bracket (0 but for brackets)
	Tape0       []frontend.Variable // the window before the run
	Tape1       []frontend.Variable // and after it
	Final       []frontend.Variable // the time of each window cell's last write
	Rows        []Row               // Size.Steps

	size Size
}

// NewCircuit returns the empty circuit of size s, to compile.
func NewCircuit(s Size) *Circuit {
	c := &Circuit{size: s}
	c.Input = make([]frontend.Variable, packedLen(s.Input))
	c.Output = make([]frontend.Variable, packedLen(s.Output))
	c.CodeOp = make([]frontend.Variable, s.Code)
	c.CodePartner = make([]frontend.Variable, s.Code)
	c.Tape0 = make([]frontend.Variable, s.Window)
	c.Tape1 = make([]frontend.Variable, s.Window)
	c.Final = make([]frontend.Variable, s.Window)
	c.Rows = make([]Row, s.Steps)
	return c
}

// machine is the state threaded through the rows.
type machine struct {
	pc, ptr, act, gas, in, out, oog, oogCost, fault frontend.Variable
}

// The io table holds the input's bytes (its capacity, zero-padded by the
// verifier), a 0, the output's bytes and a 0: a , reads entry in, a .
// entry Input+1+out, and both indices stay in the table on every row.
func ioTable(api frontend.API, bytes *rangeTable, input, output []frontend.Variable, s Size) logderivlookup.Table {
	t := logderivlookup.New(api)
	for _, b := range unpackBytes(api, bytes, input)[:s.Input] {
		t.Insert(b)
	}
	t.Insert(0)
	for _, b := range unpackBytes(api, bytes, output)[:s.Output] {
		t.Insert(b)
	}
	t.Insert(0)
	return t
}

// tables are the lookups every row makes.
type tables struct {
	code  *codeTable
	io    logderivlookup.Table
	bytes *rangeTable // every value written is a byte
	mem   *memory
}

// Define is the circuit.
func (c *Circuit) Define(api frontend.API) error {
	rc := rangecheck.New(api)
	tb := tables{code: &codeTable{op: c.CodeOp, partner: c.CodePartner}, bytes: &rangeTable{n: 256}, mem: newMemory(c.size)}
	rows := make([]frontend.Variable, len(c.CodeOp))
	for i := range c.CodeOp {
		rc.Check(c.CodeOp[i], opBits)
		rc.Check(c.CodePartner[i], rowBits-opBits)
		rows[i] = api.Add(c.CodeOp[i], api.Mul(c.CodePartner[i], opSpan))
	}
	api.AssertIsEqual(c.CodeHash, hashPacked(api, tagCode, packRows(api, rows)))
	tb.io = ioTable(api, tb.bytes, c.Input, c.Output, c.size)
	for _, l := range [][2]frontend.Variable{{c.InputLen, c.size.Input}, {c.OutputLen, c.size.Output}} {
		rc.Check(l[0], 16)
		rc.Check(api.Sub(l[1], l[0]), 16)
	}

	m := machine{pc: 0, ptr: 0, act: 1, gas: 0, in: 0, out: 0, oog: 0, oogCost: 0, fault: 0}
	for i := range c.Rows {
		m = c.step(api, tb, i, m)
	}
	api.AssertIsEqual(m.act, 0) // the run ended within the rows
	api.AssertIsEqual(m.out, c.OutputLen)
	rc.Check(api.Sub(c.size.Input, m.in), 16) // every , read within the input's capacity
	c.checkGas(api, rc, m)
	api.AssertIsEqual(c.Status, api.Add(m.oog, api.Mul(m.fault, 2)))

	for _, v := range c.Tape0 {
		tb.bytes.check(v)
	}
	api.AssertIsEqual(c.TapeIn, hashPacked(api, tagTape, packBytes(api, c.Tape0)))
	api.AssertIsEqual(c.TapeOut, hashPacked(api, tagTape, packBytes(api, c.Tape1)))
	tb.mem.prove(api, c.Tape0, c.Tape1, c.Final)
	tb.code.prove(api)
	tb.bytes.prove(api)
	return nil
}

// step constrains row i and returns the machine after it.
func (c *Circuit) step(api frontend.API, tb tables, i int, m machine) machine {
	r := c.Rows[i]
	// One-hot flags: the halt flag is 1 minus the others, so the others
	// sum to 0 or 1.
	var f [nOps]frontend.Variable
	var sum, op frontend.Variable = 0, 0
	for k := 1; k < nOps; k++ {
		f[k] = r.Op[k-1]
		api.AssertIsBoolean(f[k])
		sum = api.Add(sum, f[k])
		op = api.Add(op, api.Mul(f[k], k))
	}
	f[opHalt] = api.Sub(1, sum)
	api.AssertIsBoolean(f[opHalt])
	tb.code.lookup(m.pc, op, r.Partner)

	// Runs: active, not at the end of the code, and the cost fits. y is
	// 0 or 1, so OOG·(OOG-y) = 0 makes OOG 0 or y.
	y := api.Mul(m.act, api.Sub(1, f[opHalt]))
	api.AssertIsEqual(api.Mul(r.OOG, api.Sub(r.OOG, y)), 0)
	x := api.Sub(y, r.OOG)

	// A move off either end of the tape faults and does not move.
	edge := api.Mul(f[opLeft], api.IsZero(m.ptr))
	if c.size.Window == vm.TapeSize {
		edge = api.Add(edge, api.Mul(f[opRight], api.IsZero(api.Sub(m.ptr, vm.TapeSize-1))))
	}
	fault := api.Mul(x, edge)
	move := api.Mul(api.Sub(x, fault), api.Sub(f[opRight], f[opLeft]))

	// The cell: + and - wrap mod 256 (Wrap is 0 or d, and the write a
	// byte); , stores the next input byte (0 past the input's end: the
	// verifier pads the input with zeros, and a run fits a size only if
	// its , commands read within the capacity). Only the write is
	// range-checked: every read is a value written before (or a cell of
	// Tape0, checked), by the memory argument.
	d := api.Mul(x, api.Sub(f[opInc], f[opDec]))
	xin := api.Mul(x, f[opIn])
	xo := api.Mul(x, f[opOut])
	b := tb.io.Lookup(api.Add(m.in, api.Mul(f[opOut], api.Sub(api.Add(m.out, c.size.Input+1), m.in))))[0]
	api.AssertIsEqual(api.Mul(r.Wrap, api.Sub(r.Wrap, d)), 0)
	t := api.Add(r.Read, d)
	write := api.Sub(api.Add(t, api.Mul(xin, api.Sub(b, t))), api.Mul(r.Wrap, 256))
	tb.bytes.check(write)

	// . outputs the cell.
	api.AssertIsEqual(api.Mul(xo, api.Sub(b, r.Read)), 0)

	// [ on zero and ] on non-zero jump past the partner.
	z := api.IsZero(r.Read)
	jump := api.Mul(x, api.Add(f[opClose], api.Mul(z, api.Sub(f[opOpen], f[opClose]))))

	cost := api.Add(vm.GasStep, api.Mul(vm.GasWrite, api.Add(f[opInc], f[opDec], f[opIn])), api.Mul(vm.GasOutput, f[opOut]))
	tb.mem.access(move, m.ptr, r.Read, write, r.Last)
	return machine{
		pc:      api.Add(m.pc, api.Sub(x, fault), api.Mul(jump, api.Sub(r.Partner, m.pc))),
		ptr:     api.Add(m.ptr, move),
		act:     api.Sub(x, fault),
		gas:     api.Add(m.gas, api.Mul(x, cost)),
		in:      api.Add(m.in, xin),
		out:     api.Add(m.out, xo),
		oog:     api.Add(m.oog, r.OOG),
		oogCost: api.Add(m.oogCost, api.Mul(r.OOG, cost)),
		fault:   api.Add(m.fault, fault),
	}
}

// checkGas checks the gas: with no out of gas, what the run used fits in
// the limit (every executed command's cost fitted, since gas used only
// grows); out of gas, the failing command's cost exceeds what was left.
func (c *Circuit) checkGas(api frontend.API, rc frontend.Rangechecker, m machine) {
	rc.Check(c.GasLimit, 64)
	rc.Check(c.LoadGas, 64)
	avail := api.Sub(c.GasLimit, c.LoadGas)
	rc.Check(avail, 64)
	over := api.Sub(api.Add(m.oogCost, m.gas), api.Add(avail, 1))
	rc.Check(api.Select(m.oog, over, api.Sub(avail, m.gas)), 64)
	api.AssertIsEqual(c.GasUsed, api.Select(m.oog, c.GasLimit, api.Add(c.LoadGas, m.gas)))
}

func inverse(k int64) *big.Int {
	return new(big.Int).ModInverse(big.NewInt(k), field())
}
