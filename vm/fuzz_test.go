package vm_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tinychain/tinychain/vm"
)

// pieces are what decodeProgram maps fuzz bytes to: single commands, and
// the loop shapes the fast interpreter fuses or deliberately does not.
var pieces = []string{
	"+", "-", ">", "<", ".", ",", "[", "]",
	"[-]", "[+]", "[>]", "[<]", "[>>]", "[<<<]", "[]",
	"[->+<]", "[-<+>]", "[->++>+++<<]", "[+>-<]", "[>+<-]", "[-]+++",
	"[--]", "[>+]", "[<->>-<]", ">>>>", "<<<<", "+++++", "-----",
}

// decodeProgram maps each byte to a piece and balances the brackets, so
// most fuzz inputs are programs that run.
func decodeProgram(data []byte) []byte {
	var code []byte
	depth := 0
	for _, b := range data {
		p := pieces[int(b)%len(pieces)]
		switch p {
		case "[":
			depth++
		case "]":
			if depth == 0 {
				continue
			}
			depth--
		}
		code = append(code, p...)
	}
	for ; depth > 0; depth-- {
		code = append(code, ']')
	}
	return code
}

// countingLoops maps fuzz bytes to nested counting loops of the shapes
// the closed forms run (closed.go): counters set to edge values (0, 1, 2,
// 255, 254, 128) that step by small odd and even amounts, so that they
// wrap or never reach 0, and balanced bodies of adds at offsets, fused
// loops and inner counting loops; now and then a body moves, outputs or
// reads, which makes the loop fall back.
func countingLoops(data []byte) []byte {
	var b strings.Builder
	b.WriteString(">>>")
	for len(data) > 0 {
		data = countingLoop(&b, data, 0)
	}
	return []byte(b.String())
}

var (
	counterValues = []int{0, 1, 2, 255, 254, 128, 3, 100}
	counterSteps  = []string{"-", "+", "--", "+++", "---", "----", "", "-----"}
	bodyPieces    = []string{"+", "---", "[-]", "[-]+++", "[->+<]", "[-<+++>]", "[+>-<]", "[->+>++<<]", ".", ",", ">", "[>]"}
)

// fromTape is the index in counterValues that makes an inner counting
// loop count from the tape instead of setting its counter.
const fromTape = 6

// walks are the moves around the counting loop inside a walking loop:
// before it, and after it back, off by one cell, or none.
var walks = []struct{ in, out int }{{1, -2}, {1, -1}, {2, -1}, {-1, 2}, {1, 0}, {-1, 0}, {2, -3}, {1, -1}}

// walkingLoop writes from data, at the current cell, a loop whose body is a
// move, adds, a counting loop counting from the tape and a move that need
// not return, like long.b's "[>[<+++>-...]<<]" (around.go), and returns
// the data left.
func walkingLoop(b *strings.Builder, data []byte, depth int) []byte {
	if len(data) == 0 {
		return data
	}
	w := walks[int(data[0])%len(walks)]
	adds := int(data[0]) / len(walks) % 3
	b.WriteString("[")
	move(b, w.in)
	b.WriteString(strings.Repeat("+", adds))
	data = countingLoop(b, append([]byte{fromTape}, data[1:]...), depth)
	move(b, w.out)
	b.WriteString("]")
	return data
}

// countingLoop writes one loop from data at the current cell and returns
// the data left.
func countingLoop(b *strings.Builder, data []byte, depth int) []byte {
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		c := int(data[0])
		data = data[1:]
		return c
	}
	i := next() % len(counterValues)
	if i == fromTape && depth > 0 {
		// The counter as the tape has it, as in long.b's loops.
		b.WriteString("[" + counterSteps[next()%len(counterSteps)])
		return countingBody(b, data, depth)
	}
	v := counterValues[i]
	b.WriteString("[-]")
	if v < 128 {
		b.WriteString(strings.Repeat("+", v))
	} else {
		b.WriteString(strings.Repeat("-", 256-v))
	}
	b.WriteString("[" + counterSteps[next()%len(counterSteps)])
	return countingBody(b, data, depth)
}

// countingBody writes the rest of a counting loop's body from data, and
// its ], and returns the data left.
func countingBody(b *strings.Builder, data []byte, depth int) []byte {
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		c := int(data[0])
		data = data[1:]
		return c
	}
	for n := next() % 4; n >= 0; n-- {
		c := next()
		off := c%6 - 2
		if off == 0 {
			off = 1
		}
		move(b, off)
		switch {
		case c/6%3 == 0 && depth < 2:
			data = countingLoop(b, data, depth+1)
		case c/6%3 == 1 && c/18%4 == 0 && depth < 2:
			data = walkingLoop(b, data, depth+1)
		default:
			b.WriteString(bodyPieces[c/18%len(bodyPieces)])
		}
		move(b, -off)
	}
	b.WriteString("]")
	return data
}

func move(b *strings.Builder, off int) {
	if off > 0 {
		b.WriteString(strings.Repeat(">", off))
	} else {
		b.WriteString(strings.Repeat("<", -off))
	}
}

// edgeGas picks, by sel, a gas limit at the gas the run needs, one below
// it, or inside it, when it ends within max; otherwise it returns max.
func edgeGas(code []byte, tape vm.Tape, input []byte, sel uint32, max uint64) uint64 {
	res := vm.RunPlain(code, &tape, input, vm.Limits{Gas: max}, nil)
	need := res.GasUsed
	if res.Status == vm.StatusOutOfGas || need == 0 {
		return max
	}
	switch sel % 4 {
	case 0:
		return need
	case 1:
		return need - 1
	case 2:
		return need - uint64(sel/4)%need
	}
	return max
}

// FuzzInterpreters requires the fast interpreter to agree with the plain
// one exactly (status, gas used, output, error and final tape) on any code,
// input, gas limit, output cap and starting tape.
//
// With mapped set, code goes through decodeProgram; otherwise it runs as it
// is (comments, unbalanced brackets and all). A mapped code whose first
// byte is 0xf0 or more goes through countingLoops instead, one from 0xe0
// to 0xef through chainLoops, and then gas also picks a limit at, just
// below or inside what the run needs. gas is taken mod 1,000,001 so
// every run is quick. maxOut mod 17 is the output cap: 0 the chain's, 16
// none at all. A first byte of start with its top bit set fills the whole
// tape with its low bits (so scans can reach the right end); the other
// bytes of start go at both ends of the tape.
func FuzzInterpreters(f *testing.F) {
	f.Add([]byte("+[->++<]>."), false, []byte{}, uint32(1000), uint8(4), []byte{0, 3})
	f.Add([]byte{9, 15, 12, 3, 4}, true, []byte("x"), uint32(5000), uint8(0), []byte{0, 2, 2})
	f.Add([]byte{0xf0, 1, 0, 2, 0, 3, 0, 0, 4}, true, []byte{}, uint32(1), uint8(0), []byte{})
	f.Add([]byte{0xf0, 3, 2, 3, 6, 1, 1, 22, 5, 40}, true, []byte{}, uint32(6), uint8(0), []byte{0, 7})
	f.Add([]byte{0xf0, 1, 0, 1, 6, 0, 0, 1, 0, 2, 0, 3}, true, []byte{}, uint32(0), uint8(0), []byte{0x83, 1, 1, 1, 2})
	f.Add([]byte{0xe0, 4, 23, 9, 5, 1, 200}, true, []byte{}, uint32(2), uint8(0), []byte{0x85, 3, 250, 1})
	f.Add([]byte{0xe1, 0, 11, 33, 130}, true, []byte{}, uint32(1), uint8(0), []byte{0, 7})
	f.Fuzz(func(t *testing.T, code []byte, mapped bool, input []byte, gas uint32, maxOut uint8, start []byte) {
		if len(code) > 1024 || len(input) > 64 || len(start) > 64 {
			return
		}
		counting := mapped && len(code) > 0 && code[0] >= 0xf0
		chained := mapped && len(code) > 0 && code[0] >= 0xe0 && code[0] < 0xf0
		switch {
		case counting:
			code = countingLoops(code[1:])
		case chained:
			code = chainLoops(code[1:])
		case mapped:
			code = decodeProgram(code)
		}
		var tape vm.Tape
		if len(start) > 0 {
			if start[0]&0x80 != 0 {
				for i := range tape {
					tape[i] = start[0] & 0x7f
				}
			}
			copy(tape[:], start[1:])
			copy(tape[vm.TapeSize-len(start)+1:], start[1:])
		}
		out := int(maxOut % 17)
		if out == 16 {
			out = -1
		}
		lim := vm.Limits{Gas: uint64(gas % 1_000_001), MaxOutput: out}
		if counting || chained {
			lim.Gas = edgeGas(code, tape, input, gas, 1_000_000)
		}
		both(t, string(code), tape, input, lim)
	})
}

// TestWalkingLoopsCompile checks that the generator's walking loops
// compile to the instructions of around.go in a fair share of programs,
// so that fuzzing countingLoops tests them.
func TestWalkingLoopsCompile(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	found := 0
	const programs = 2000
	for range programs {
		data := make([]byte, 4+rng.IntN(40))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		p, err := vm.Compile(countingLoops(data))
		if err != nil {
			t.Fatal(err)
		}
		if vm.AroundLoops(p) > 0 {
			found++
		}
	}
	if found < programs/50 {
		t.Fatalf("%d of %d programs have a loop around a closed-form loop", found, programs)
	}
	t.Logf("%d of %d programs have a loop around a closed-form loop", found, programs)
}

// chainLevels are the bodies of a counting chain's levels (chain.go): a
// counter step of -1 or +1 and adds around it, some reaching left.
var chainLevels = []string{"->+<", "-<+>", "+", "-", "+>-<", "->>++<<", "-<<+>>>+<", "->+>+<<"}

// chainLoops maps fuzz bytes to counting chains like factor.b's
// [->+<[->+<[ ... ]]]: runs of nested loops whose levels are the same
// bare block, of 1 to 12 levels, now and then with one level that differs
// (which ends the chain there), an inner piece at the bottom, adds that
// set the counter before it, and moves between chains.
func chainLoops(data []byte) []byte {
	var b strings.Builder
	for len(data) >= 2 {
		c, d := int(data[0]), int(data[1])
		data = data[2:]
		b.WriteString(strings.Repeat("+", c%4))
		level := chainLevels[c/4%len(chainLevels)]
		n := 1 + d%12
		odd := d / 12 % 8 // the level that differs, when below n
		for i := range n {
			if i == odd {
				b.WriteString("[" + chainLevels[(c/4+1)%len(chainLevels)])
				continue
			}
			b.WriteString("[" + level)
		}
		b.WriteString(bodyPieces[c/32%len(bodyPieces)])
		b.WriteString(strings.Repeat("]", n))
		move(&b, d/96%3-1)
	}
	return []byte(b.String())
}
