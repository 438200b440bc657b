package vm_test

import (
	"math/rand/v2"
	"testing"

	"github.com/tinychain/tinychain/vm"
)

// TestChainsCompile pins which shapes are counting chains (chain.go), and
// how many: one per level that has another of the same shape below it.
func TestChainsCompile(t *testing.T) {
	cases := []struct {
		code string
		want int
	}{
		{"[->+<[->+<[->+<]]]", 0}, // the bottom level holds a fused loop, not a bracket
		{"[->+<[->+<[->+<[-]]]]", 1},
		{"[+[+[+[+[[-]<+>]]]]]", 3},
		{">>[-<+>[-<+>[-<+>[-]]]]", 1},
		{"[->+<]", 0},                 // a fused loop
		{"[->+<[-<+>[->+<]]]", 0},     // no two levels alike in a row
		{"[->+<[->+<[->+<[-]]]>]", 1}, // the top level moves the pointer
		{"[-->+<[-->+<[-->+<]]]", 0},  // the counter steps by 2
		{"[->+<[->+<[->+<.]]]", 1},    // what the bottom holds does not matter
		{"[>-<[>-<[>-<]]]", 0},        // the counter is not the tested cell
		{"[->+<+[->+<+[->+<]]]", 0},   // the counter's net step is 0
		{"+[->+<[->>+<<[->+<]]]", 0},  // the other adds differ
		{"[->+<[->+<[->+<[-]]]][-[-[-[-]]]]", 2},
	}
	for _, c := range cases {
		p, err := vm.Compile([]byte(c.code))
		if err != nil {
			t.Fatal(err)
		}
		if got := vm.Chains(p); got != c.want {
			t.Errorf("%q: %d chains, want %d", c.code, got, c.want)
		}
	}
}

// TestChainsEveryGas runs counting chains with their counter at every
// value around the chain's depth and at the wrap, with every gas limit up
// to what they need, and off both ends of the tape: the fast interpreter
// must agree with the plain one exactly.
func TestChainsEveryGas(t *testing.T) {
	codes := []string{
		"[->+<[->+<[->+<[->+<[->--->+<<[->+<]]]]]]>.", // factor.b's digit carry, shortened
		"[-<+>[-<+>[-<+>[-<+>]]]]<.",                  // left of the counter: off the tape at cell 0
		"[+[+[+[+[+[[-]<+>]]]]]]",                     // counting up
		"[->+>+<<[->+>+<<[->+>+<<[]]]]",               // an endless bottom
		"[->+<[->+<[->+<[->+<[-<+>[->+<[->+<]]]]]]]",  // a level that breaks the chain
		"+[->+<[->+<[->+<[->+<[->+<]]]]]>.",           // the first level adds before its test
	}
	values := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 128, 250, 251, 252, 253, 254, 255}
	for _, code := range codes {
		for _, v := range values {
			for _, at := range []int{0, 1, vm.TapeSize - 2, vm.TapeSize - 1} {
				var tape vm.Tape
				start := ">"
				if at != 1 {
					start = ""
				}
				if at > 1 { // a scan over ones stops at the zero before at
					for i := range at - 1 {
						tape[i] = 1
					}
					start = "[>]>"
				}
				tape[at] = v
				everyGas(t, start+code, tape)
			}
		}
	}
}

// everyGas runs code on tape with every gas limit up to one past what it
// needs (every 1/100th of it when that is large, and every one of the
// last 40).
func everyGas(t *testing.T, code string, tape vm.Tape) {
	t.Helper()
	full, _ := both(t, code, tape, nil, vm.Limits{Gas: 3000})
	need := full.GasUsed
	step := max(1, need/100)
	for gas := uint64(0); gas <= need+1; gas += step {
		both(t, code, tape, nil, vm.Limits{Gas: gas})
	}
	for gas := need - min(need, 40); gas <= need+1; gas++ {
		both(t, code, tape, nil, vm.Limits{Gas: gas})
	}
}

// TestChainLoopsCompile checks that the fuzz generator's chains compile to
// counting chains in most programs.
func TestChainLoopsCompile(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	found := 0
	const programs = 1000
	for range programs {
		data := make([]byte, 2+rng.IntN(20))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		p, err := vm.Compile(chainLoops(data))
		if err != nil {
			t.Fatal(err)
		}
		if vm.Chains(p) > 0 {
			found++
		}
	}
	if found < programs/3 {
		t.Fatalf("%d of %d programs have a counting chain", found, programs)
	}
	t.Logf("%d of %d programs have a counting chain", found, programs)
}
