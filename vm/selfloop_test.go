package vm_test

import (
	"testing"

	"github.com/tinychain/tinychain/vm"
)

// TestLoopsEveryGas runs the shapes that jump threading, bare blocks and
// the self-loop instructions compile (see selfloop.go and thread.go) with
// every gas limit from 0 to what they need, on tapes whose ends they
// reach: both interpreters must agree on each run, so every point where
// the gas can run out, inside an iteration or between two, is checked.
func TestLoopsEveryGas(t *testing.T) {
	ones := end2()
	ends := end2() // a zero at the last cell stops a scan there
	ends[vm.TapeSize-1] = 0
	cases := []struct {
		name string
		code string
		tape vm.Tape
	}{
		{"threaded ]]]", "+++++[->+<[->+<[->+<[-]]]]>.", vm.Tape{}},
		{"threaded after a scan", "+[[>]]", tapeOf(0, 1, 1, 0)},
		{"bare blocks", "++++[>>+<[>+<-]<-]>>.", vm.Tape{}},
		{"bare self loop", "+[+>+]", vm.Tape{}},
		{"mul1 self loop", "[>>[-<+>]>]", tapeOf(1, 0, 5, 1, 0, 200, 1, 0, 3, 0)},
		{"mul1 self loop up", "[>>[+<++>]>]", tapeOf(1, 0, 250, 1, 0, 254, 0)},
		{"mul2 self loop", "[>>[-<+<+++>>]>]", tapeOf(1, 0, 7, 1, 0, 2, 1, 0, 9, 0)},
		{"self loop of several", "[>[-]>[->+<]>[-<<+>>]+>]", tapeOf(1, 9, 4, 1, 1, 3, 0, 8, 1)},
		{"self loop with adds", "[>+>[-<+>]++<<->>>[-]-]", tapeOf(3, 0, 2, 1, 5, 6, 0, 0, 4, 1)},
		{"self loop right off the tape", "[>>[-<+>]>]", ones},
		{"self loop of several right off the tape", "[>[-]>[->+<]>]", ones},
		{"self loop left off the tape", "[>]<[<<[->+<]<]", ends},
		{"mul2 self loop left off the tape", "[>]<[<[->+>+<<]<]", ends},
		{"self loop of several left off the tape", "[>]<[<[-]<[->+<]<]", ends},
		// Closed forms (closed.go): counters at 1, 255 and wrapping,
		// steps that are odd, even and never reach 0, inner loops whose
		// first count comes from the tape, and bodies reaching off it.
		{"closed long.b", "[<+++>->>>>>+++[->+++++<]>[-]<<<<<<]", tapeOf(0, 40, 0, 0, 0, 0, 9, 7)},
		{"closed hanoi.b", "[>[-]++++++++++[-]<-]", tapeOf(200, 13)},
		{"closed counter 1", ">+[->>+++[-<+>]<<]", tapeOf(0, 0, 0, 5)},
		{"closed counter 255", ">-[->>+++[-<+>]<<]", tapeOf(0, 0, 0, 5)},
		{"closed counter up", "[+>>+++[-<+>]<<]", tapeOf(3, 0, 7)},
		{"closed step 3", "[--->+<]", tapeOf(10)},
		{"closed step 2 ends", "[-->+>[-]+++[-]<<]", tapeOf(12, 0, 4)},
		{"closed first differs", "[->[-]+++>[-<+>]<<]", tapeOf(9, 200, 6)},
		{"closed clear at 0", "+>[-]<[->[-]++<]", vm.Tape{}},
		{"closed off the tape left", "[<+>-]", tapeOf(5)},
		{"closed off the tape right", "[>]<[->+<]", ones},
		// Loops around a closed-form loop (around.go): walking left as
		// long.b's, right, not at all, off both ends of the tape, with
		// inner loops whose written cells are not yet what every
		// iteration leaves (so they run the ordinary way first).
		{"around long.b", ">>>>[>[<+++>->>>>>+++[->+++++<]>[-]<<<<<<]<<]>.", tapeOf(0, 1, 1, 1, 1, 2)},
		{"around long.b dirty", ">>>>[>[<+++>->>>>>+++[->+++++<]>[-]<<<<<<]<<]>.", tapeOf(0, 1, 1, 1, 1, 2, 0, 0, 0, 0, 9, 1, 3)},
		{"around right", "[>>+[--->+<]<]", tapeOf(1, 1, 1, 2, 1, 1, 5, 1)},
		{"around in place", "[-->+[-<+>>[-]+<]<]", tapeOf(6, 3)},
		{"around off the tape left", ">>[>[-<+++>>[-]<]<<]", tapeOf(1, 1, 1, 2)},
		{"around off the tape right", "[>>[-<+>>[-]<]<]", ones},
		{"around never ending inner", "[>[-->+<]<<]", tapeOf(0, 3, 1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			full, _ := both(t, c.code, c.tape, nil, vm.Limits{Gas: 1 << 30})
			need := full.GasUsed
			step := uint64(1)
			if need > 1000 {
				step = need / 1000
			}
			for gas := uint64(0); gas <= need+1; gas += step {
				both(t, c.code, c.tape, nil, vm.Limits{Gas: gas})
			}
			for gas := need - min(need, 300); gas <= need+1; gas++ {
				both(t, c.code, c.tape, nil, vm.Limits{Gas: gas})
			}
		})
	}
}

// TestNeverEndingClosedLoops runs closed-form loops whose counter never
// reaches 0 with every gas limit up to 3,000: they run out of gas where the
// plain interpreter does.
func TestNeverEndingClosedLoops(t *testing.T) {
	for _, code := range []string{"[-->+<]", "[>+<]", "[>[-]++[-]<]", "[---->+++[-<+>]<]"} {
		for gas := uint64(0); gas <= 3000; gas++ {
			both(t, code, tapeOf(11, 3), nil, vm.Limits{Gas: gas})
		}
	}
}
