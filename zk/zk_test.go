package zk

import (
	"bytes"
	"math/rand"
	"os"
	"strings"
	"testing"

	"github.com/consensys/gnark/test"
	"github.com/tinychain/tinychain/vm"
)

var small = NewSize(Logs[0])

func mustRead(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustRun(t testing.TB, code string, tape *vm.Tape, input string, lim vm.Limits) *Run {
	t.Helper()
	r, err := Trace([]byte(code), tape, []byte(input), lim)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustAssign(t testing.TB, r *Run, s Size) *Circuit {
	t.Helper()
	w, err := r.Assign(s)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// solved checks the witness against the constraints of size s.
func solved(s Size, w *Circuit) error { return test.IsSolved(NewCircuit(s), w, field()) }

func tapeOf(cells ...byte) *vm.Tape {
	t, err := vm.LoadTape(cells)
	if err != nil {
		panic(err)
	}
	return t
}

// callLimits are the chain's limits for a call of code on tape.
func callLimits(code string, tape *vm.Tape, gas uint64) vm.Limits {
	return vm.Limits{Gas: gas, LoadGas: uint64(len(code)*vm.GasCodeByte + len(tape.Compact())*vm.GasTapeByte)}
}

type run struct {
	name, code, input string
	tape              *vm.Tape
	lim               vm.Limits
}

func standardRuns(t testing.TB) []run {
	hello := mustRead(t, "../examples/hello.bf")
	counter := mustRead(t, "../examples/counter.bf")
	guest := mustRead(t, "../examples/guestbook.bf")
	guestTape := tapeOf(0, 'h', 'i', 0)
	return []run{
		{"hello", hello, "", nil, vm.Limits{Gas: 100000}},
		{"echo past input", mustRead(t, "../examples/echo.bf"), "abc", nil, vm.Limits{Gas: 1000}},
		{"counter call", counter, "", tapeOf(41), callLimits(counter, tapeOf(41), 1000)},
		{"counter wraps", counter, "", tapeOf(255), callLimits(counter, tapeOf(255), 1000)},
		{"guestbook call", guest, "yo", guestTape, callLimits(guest, guestTape, 5000)},
		{"reads past input", ",,,.", "x", nil, vm.Limits{Gas: 100}},
		{"wrap down", "-.", "", nil, vm.Limits{Gas: 100}},
		{"out of gas", hello, "", nil, vm.Limits{Gas: 500}},
		{"out of gas on output", "+.", "", nil, vm.Limits{Gas: 20}},
		{"out of gas at once", "+", "", nil, vm.Limits{Gas: 3}},
		{"fault left", "+><<+", "", nil, vm.Limits{Gas: 100}},
		{"empty", "no commands", "", nil, vm.Limits{Gas: 0}},
	}
}

// TestComplete proves (by the constraint check) the standard runs at the
// smallest size, and checks that the statement is what the fast
// interpreter says.
func TestComplete(t *testing.T) {
	for _, tc := range standardRuns(t) {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRun(t, tc.code, tc.tape, tc.input, tc.lim)
			checkStatement(t, r, tc)
			if err := solved(small, mustAssign(t, r, small)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// checkStatement compares the run's statement with vm.Program.Run's.
func checkStatement(t *testing.T, r *Run, tc run) {
	t.Helper()
	p, err := vm.Compile([]byte(tc.code))
	if err != nil {
		t.Fatal(err)
	}
	tape := new(vm.Tape)
	if tc.tape != nil {
		*tape = *tc.tape
	}
	res := p.Run(tape, []byte(tc.input), tc.lim)
	st := r.Statement(small)
	if st.Status != res.Status.String() || st.GasUsed != res.GasUsed || !bytes.Equal(st.Output, res.Output) ||
		!bytes.Equal(st.TapeOut, TapeHash(tape, small)) {
		t.Fatalf("statement %+v, interpreter %+v", st, res)
	}
	h, err := CodeHash([]byte(tc.code), small)
	if err != nil || !bytes.Equal(h, st.CodeHash) {
		t.Fatalf("code hash %x, want %x (%v)", st.CodeHash, h, err)
	}
}

// randomProgram returns balanced code of about n commands.
func randomProgram(rng *rand.Rand, n int) string {
	var b strings.Builder
	depth := 0
	for i := 0; i < n; i++ {
		c := "><+-.,[]"[rng.Intn(8)]
		switch {
		case c == '[':
			depth++
		case c == ']' && depth == 0:
			c = '+'
		case c == ']':
			depth--
		}
		b.WriteByte(c)
	}
	b.WriteString(strings.Repeat("]", depth))
	return b.String()
}

func TestCompleteRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	proved := 0
	for i := 0; proved < 12 && i < 500; i++ {
		code := randomProgram(rng, 5+rng.Intn(40))
		tape := tapeOf(byte(rng.Intn(256)), byte(rng.Intn(3)))
		tc := run{name: code, code: code, input: "ab", tape: tape, lim: vm.Limits{Gas: uint64(rng.Intn(3000))}}
		r := mustRun(t, tc.code, tc.tape, tc.input, tc.lim)
		if small.fits(r) != nil {
			continue
		}
		checkStatement(t, r, tc)
		if err := solved(small, mustAssign(t, r, small)); err != nil {
			t.Fatalf("%q: %v", code, err)
		}
		proved++
	}
	if proved < 12 {
		t.Fatalf("only %d random programs fit", proved)
	}
}

// TestForgerHonest checks the forger itself: with no forgery its witness
// is accepted, so each forgery's rejection is the forgery's.
func TestForgerHonest(t *testing.T) {
	for _, tc := range standardRuns(t) {
		r := mustRun(t, tc.code, tc.tape, tc.input, tc.lim)
		if err := solved(small, forgedWitness(r, small, forgery{})); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
	}
}

// firstRow returns the first executed row of r whose command is c, after
// row from.
func firstRow(t *testing.T, r *Run, c byte, from int) int {
	for i, s := range r.Steps {
		if i > from && r.Prog[s.PC] == c {
			return i
		}
	}
	t.Fatalf("no %c", c)
	return 0
}

func TestSound(t *testing.T) {
	hello := mustRead(t, "../examples/hello.bf")
	h := mustRun(t, hello, nil, "", vm.Limits{Gas: 100000})
	var jumpRow, jumpPC int
	for i, s := range h.Steps {
		if c := h.Prog[s.PC]; c == ']' && s.Cell != 0 {
			jumpRow, jumpPC = i, s.PC
			break
		}
	}
	cases := []struct {
		name string
		r    *Run
		f    forgery
	}{
		{"read is not the last write", h, forgery{badRead: firstRow(t, h, '.', 0)}},
		{"read is not the last write (loop counter)", h, forgery{badRead: firstRow(t, h, ']', 0)}},
		{"skipped step", h, forgery{skip: 5}},
		{"skipped step (output)", h, forgery{skip: firstRow(t, h, '.', 0)}},
		{"repeated step", h, forgery{repeat: 7}},
		{"repeated step (output)", h, forgery{repeat: firstRow(t, h, '.', 0)}},
		{"wrong jump target", h, forgery{partner: map[int]int{jumpPC: jumpPC - 2}}},
		{"out of gas with gas left", h, forgery{oogAt: jumpRow}},
		{"cell does not wrap down", mustRun(t, "-.", nil, "", vm.Limits{Gas: 100}), forgery{noWrap: true}},
		{"cell does not wrap up", mustRun(t, "+.", tapeOf(255), "", vm.Limits{Gas: 100}), forgery{noWrap: true}},
		{"move past the left end", mustRun(t, "+<+.", nil, "", vm.Limits{Gas: 100}), forgery{noFault: true}},
		// 129 reads, one more than the io table's input part: the last would read the output.
		{"more reads than the input capacity", mustRun(t, ",++++++++[>"+strings.Repeat(",", small.Input/8)+"<-]", nil, "", vm.Limits{Gas: 10000}), forgery{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := solved(small, forgedWitness(tc.r, small, tc.f))
			if err == nil {
				t.Fatal("forged witness accepted")
			}
			t.Log(strings.SplitN(err.Error(), "\n", 3)[:2])
		})
	}
}

// TestSoundStatement changes one public field of an honest witness.
func TestSoundStatement(t *testing.T) {
	r := mustRun(t, mustRead(t, "../examples/guestbook.bf"), tapeOf(0, 'h', 'i'), "yo", vm.Limits{Gas: 5000, LoadGas: 10})
	for name, f := range map[string]func(c *Circuit){
		"output byte":   func(c *Circuit) { c.Output[0] = 1 },
		"output length": func(c *Circuit) { c.OutputLen = 3 },
		"input":         func(c *Circuit) { c.Input[0] = 7 },
		"gas used":      func(c *Circuit) { c.GasUsed = r.Result.GasUsed + 1 },
		"gas limit":     func(c *Circuit) { c.GasLimit = 100 },
		"load gas":      func(c *Circuit) { c.LoadGas = 11 },
		"status":        func(c *Circuit) { c.Status = 2 },
		"code hash":     func(c *Circuit) { c.CodeHash = 1 },
		"tape in":       func(c *Circuit) { c.TapeIn = 1 },
		"tape out":      func(c *Circuit) { c.TapeOut = 1 },
		"code partner":  func(c *Circuit) { c.CodeOp[1], c.CodePartner[1] = opOpen, 2 },
	} {
		c := mustAssign(t, r, small)
		f(c)
		if err := solved(small, c); err == nil {
			t.Errorf("%s: changed witness accepted", name)
		}
	}
}

// TestFit: a run that walks the whole tape with 7 commands a cell
// (210,000 steps, more than the largest size's rows) does not fit.
func TestFit(t *testing.T) {
	r := mustRun(t, "+[>+++++]", nil, "", vm.Limits{Gas: 1 << 22})
	if r.Result.Status != vm.StatusFault {
		t.Fatal(r.Result)
	}
	if _, err := Fit(r); err == nil || !strings.Contains(err.Error(), "largest size") || !strings.Contains(err.Error(), "steps") {
		t.Fatalf("a 210,000-step run fitted or the error says nothing: %v", err)
	}
	// 90,000 steps to the last cell, then the fault: only the largest fits.
	r = mustRun(t, "+[>+]", nil, "", vm.Limits{Gas: 1 << 22})
	if s, err := Fit(r); err != nil || s != NewSize(Logs[len(Logs)-1]) || r.Result.Status != vm.StatusFault {
		t.Fatal(s, err, r.Result)
	}
	if r := mustRun(t, "+[-]", nil, "", vm.Limits{Gas: 1 << 60}); r.Result.Status != vm.StatusOK {
		t.Fatalf("a short run with a huge gas limit: %v", r.Result)
	}
	r = mustRun(t, "+[>+<+]", nil, "", vm.Limits{Gas: 2000})
	if s, err := Fit(r); err != nil || s != small {
		t.Fatal(s, err)
	}
}

// TestSoundRightEnd: a > at the last cell must fault. Only the sizes from
// 2^16 up have the whole tape as window (the run fits 2^16), and their
// constraint check takes minutes and gigabytes: set ZK_LARGE=1 (not in
// -short).
func TestSoundRightEnd(t *testing.T) {
	if os.Getenv("ZK_LARGE") == "" || testing.Short() {
		t.Skip("set ZK_LARGE=1")
	}
	ones := make([]byte, vm.TapeSize)
	for i := range ones {
		ones[i] = 1
	}
	r := mustRun(t, "[>]", tapeOf(ones...), "", vm.Limits{Gas: 1 << 20})
	s, err := Fit(r)
	if err != nil || r.Result.Status != vm.StatusFault {
		t.Fatal(s, err, r.Result)
	}
	if err := solved(s, mustAssign(t, r, s)); err != nil {
		t.Fatal(err)
	}
	if err := solved(s, forgedWitness(r, s, forgery{noFault: true})); err == nil {
		t.Fatal("a > at the last cell that does not fault was accepted")
	}
}

// TestSoundFutureRead: a row that reads a value written after it. In ".+"
// the . reads the 1 that + writes later, the + reads the cell's value
// before the run and the halt row the tuple the . wrote: every tuple
// written is read exactly once, so the multisets balance (checked here)
// and only the clock check (a row reads a tuple written before it) stands
// between this witness and a proof that ".+" outputs 1.
func TestSoundFutureRead(t *testing.T) {
	r := mustRun(t, ".+", nil, "", vm.Limits{Gas: 100})
	c := mustAssign(t, r, small)
	c.Rows[0].Read, c.Rows[0].Last = 1, 2
	c.Rows[1].Last = 0
	c.Rows[2].Last = 1
	for i, e := range packBytesNative([]byte{1}, small.Output) {
		c.Output[i] = e
	}
	c.OutputLen = 1
	type tuple struct{ addr, value, time int }
	count := map[tuple]int{}
	for i, row := range c.Rows { // the pointer stays at 0; only row 1 (+) changes the cell
		write := row.Read.(int)
		if i == 1 {
			write++
		}
		count[tuple{0, write, i + 1}]++
		count[tuple{0, row.Read.(int), row.Last.(int)}]--
	}
	for a := range c.Tape0 {
		count[tuple{a, c.Tape0[a].(int), 0}]++
		count[tuple{a, c.Tape1[a].(int), c.Final[a].(int)}]--
	}
	for tp, n := range count {
		if n != 0 {
			t.Fatalf("the forgery does not balance at %v (%d): fix the test", tp, n)
		}
	}
	if err := solved(small, c); err == nil {
		t.Fatal("a read of a later write was accepted")
	}
}

// TestSoundRowWitness changes one witness value of an honest row that
// the circuit pins by a single constraint: a wrap that is not needed, a
// partner the code table does not have, out of gas after the run.
func TestSoundRowWitness(t *testing.T) {
	r := mustRun(t, "+[->+<]>.", tapeOf(3), "", vm.Limits{Gas: 1000})
	plus, dot := firstRow(t, r, '+', -1), firstRow(t, r, '.', 0)
	halt := len(r.Steps) + 1 // a row after the halt row
	if err := solved(small, mustAssign(t, r, small)); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func(c *Circuit){
		"+ wraps below 255":     func(c *Circuit) { c.Rows[plus].Wrap = 1 },
		"+ wraps down":          func(c *Circuit) { c.Rows[plus].Wrap = -1 },
		"partner of a +":        func(c *Circuit) { c.Rows[plus].Partner = 3 },
		"partner of a .":        func(c *Circuit) { c.Rows[dot].Partner = 1 },
		"out of gas after halt": func(c *Circuit) { c.Rows[halt].OOG = 1 },
		"out of gas twice":      func(c *Circuit) { c.Rows[halt].OOG = -1 },
	} {
		c := mustAssign(t, r, small)
		f(c)
		if err := solved(small, c); err == nil {
			t.Errorf("%s: changed witness accepted", name)
		}
	}
}
