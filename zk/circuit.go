package zk

import (
	"math/big"
	"math/bits"

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

// A code table row is op + opSpan*partner, packed rowBits to a field
// element when hashed.
const (
	opSpan  = 16
	rowBits = 18
)

// Row is the prover's witness for one step.
type Row struct {
	Op    [nOps - 1]frontend.Variable // the command's flag (opRight..opClose), all 0 for the end of the code
	Read  frontend.Variable           // the cell at the pointer before the step
	Write frontend.Variable           // the cell after it
	Last  frontend.Variable           // the time the cell was last written (0: before the run)
	OOG   frontend.Variable           // 1 on the command that did not fit
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

	Code  []frontend.Variable // Size.Code rows
	Tape0 []frontend.Variable // the window before the run
	Tape1 []frontend.Variable // and after it
	Final []frontend.Variable // the time of each window cell's last write
	Rows  []Row               // Size.Steps

	size Size
}

// NewCircuit returns the empty circuit of size s, to compile.
func NewCircuit(s Size) *Circuit {
	c := &Circuit{size: s}
	c.Input = make([]frontend.Variable, packedLen(s.Input))
	c.Output = make([]frontend.Variable, packedLen(s.Output))
	c.Code = make([]frontend.Variable, s.Code)
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
func ioTable(api frontend.API, rc frontend.Rangechecker, input, output []frontend.Variable, s Size) logderivlookup.Table {
	t := logderivlookup.New(api)
	for _, b := range unpackBytes(api, rc, input)[:s.Input] {
		t.Insert(b)
	}
	t.Insert(0)
	for _, b := range unpackBytes(api, rc, output)[:s.Output] {
		t.Insert(b)
	}
	t.Insert(0)
	return t
}

// Define is the circuit.
func (c *Circuit) Define(api frontend.API) error {
	rc := rangecheck.New(api)
	code := logderivlookup.New(api)
	for _, v := range c.Code {
		rc.Check(v, rowBits)
		code.Insert(v)
	}
	api.AssertIsEqual(c.CodeHash, hashPacked(api, tagCode, packRows(api, c.Code)))
	io := ioTable(api, rc, c.Input, c.Output, c.size)
	for _, l := range [][2]frontend.Variable{{c.InputLen, c.size.Input}, {c.OutputLen, c.size.Output}} {
		rc.Check(l[0], 16)
		rc.Check(api.Sub(l[1], l[0]), 16)
	}

	mem := newMemory(c.size)
	m := machine{pc: 0, ptr: 0, act: 1, gas: 0, in: 0, out: 0, oog: 0, oogCost: 0, fault: 0}
	for i := range c.Rows {
		m = c.step(api, rc, code, io, mem, i, m)
	}
	api.AssertIsEqual(m.act, 0) // the run ended within the rows
	api.AssertIsEqual(m.out, c.OutputLen)
	rc.Check(api.Sub(c.size.Input, m.in), 16) // every , read within the input's capacity
	c.checkGas(api, rc, m)
	api.AssertIsEqual(c.Status, api.Add(m.oog, api.Mul(m.fault, 2)))

	for _, v := range c.Tape0 {
		rc.Check(v, 8)
	}
	api.AssertIsEqual(c.TapeIn, hashPacked(api, tagTape, packBytes(api, c.Tape0)))
	api.AssertIsEqual(c.TapeOut, hashPacked(api, tagTape, packBytes(api, c.Tape1)))
	mem.prove(api, rc, c.Tape0, c.Tape1, c.Final)
	return nil
}

// step constrains row i and returns the machine after it.
func (c *Circuit) step(api frontend.API, rc frontend.Rangechecker, code, io logderivlookup.Table,
	mem *memory, i int, m machine) machine {
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
	row := code.Lookup(m.pc)[0]
	partner := api.Mul(api.Sub(row, op), inverse(opSpan))
	rc.Check(partner, bits.Len(uint(c.size.Code)))

	// Runs: active, not at the end of the code, and the cost fits.
	y := api.Mul(m.act, api.Sub(1, f[opHalt]))
	api.AssertIsBoolean(r.OOG)
	api.AssertIsEqual(api.Mul(r.OOG, api.Sub(1, y)), 0)
	x := api.Sub(y, r.OOG)

	// A move off either end of the tape faults and does not move.
	edge := api.Mul(f[opLeft], api.IsZero(m.ptr))
	if c.size.Window == vm.TapeSize {
		edge = api.Add(edge, api.Mul(f[opRight], api.IsZero(api.Sub(m.ptr, vm.TapeSize-1))))
	}
	fault := api.Mul(x, edge)
	move := api.Mul(api.Sub(x, fault), api.Sub(f[opRight], f[opLeft]))

	// The cell: + and - wrap mod 256; , stores the next input byte (0
	// past the input's end: the verifier pads the input with zeros, and a
	// run fits a size only if its , commands read within the capacity).
	// Only the write is range-checked: every read is a value written
	// before (or a cell of Tape0, checked), by the memory argument.
	rc.Check(r.Write, 8)
	d := api.Mul(x, api.Sub(f[opInc], f[opDec]))
	xin := api.Mul(x, f[opIn])
	xo := api.Mul(x, f[opOut])
	b := io.Lookup(api.Add(m.in, api.Mul(f[opOut], api.Sub(api.Add(m.out, c.size.Input+1), m.in))))[0]
	t := api.Add(r.Read, d)
	g := api.Sub(r.Write, api.Add(t, api.Mul(xin, api.Sub(b, t))))
	api.AssertIsEqual(api.Mul(g, api.Sub(api.Mul(g, g), 65536)), 0)

	// . outputs the cell.
	api.AssertIsEqual(api.Mul(xo, api.Sub(b, r.Read)), 0)

	// [ on zero and ] on non-zero jump past the partner.
	z := api.IsZero(r.Read)
	jump := api.Mul(x, api.Add(api.Mul(f[opOpen], z), api.Mul(f[opClose], api.Sub(1, z))))

	cost := api.Add(vm.GasStep, api.Mul(vm.GasWrite, api.Add(f[opInc], f[opDec], f[opIn])), api.Mul(vm.GasOutput, f[opOut]))
	mem.access(move, m.ptr, r.Read, r.Write, r.Last)
	return machine{
		pc:      api.Add(m.pc, api.Sub(x, fault), api.Mul(jump, api.Sub(partner, m.pc))),
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
