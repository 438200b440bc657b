package vm

import "testing"

// TestIterations checks the closed-form count of a counting loop against
// stepping the counter, for every start value and step.
func TestIterations(t *testing.T) {
	for v := 1; v < 256; v++ {
		for step := 0; step < 256; step++ {
			want, c := uint64(0), uint8(v)
			for n := uint64(1); n <= 256; n++ {
				if c += uint8(step); c == 0 {
					want = n
					break
				}
			}
			if got := iterations(uint8(v), uint8(step)); got != want {
				t.Fatalf("iterations(%d, %d) = %d, want %d", v, step, got, want)
			}
		}
	}
}

// TestClosedForms pins which loops the compiler runs in closed form.
func TestClosedForms(t *testing.T) {
	cases := []struct {
		code   string
		closed bool
	}{
		{"[<+++>->>>>>+++[->+++++<]>[-]<<<<<<]", true}, // long.b's
		{"[>[-]++++++++++[-]<-]", true},                // hanoi.b's, shorter
		{"[->>+++[-<+>]<<]", true},
		{"[--->+<]", true},             // steps by 3
		{"[-->+<]", true},              // even step: may never end
		{"[->[-]<]", true},             // a clear inside
		{"[>+<[-]]", false},            // the counter is written
		{"[->>[-<+>]<<]", true},        // the first inner count depends on the tape, the later ones are 0
		{"[->[->+<]>[-<+>]<<]", false}, // every inner count depends on the tape
		{"[>>[-<+>]>]", false},         // moves
	}
	for _, c := range cases {
		p, err := Compile([]byte(c.code))
		if err != nil {
			t.Fatal(err)
		}
		if got := len(p.forms) > 0; got != c.closed {
			t.Errorf("%s: closed form %v, want %v", c.code, got, c.closed)
		}
		opens := 0
		for _, in := range p.insts {
			if in.op == opJzClosed {
				opens++
			}
		}
		if opens != len(p.forms) {
			t.Errorf("%s: %d closed forms, %d of their [ know it", c.code, len(p.forms), opens)
		}
	}
}

// TestAroundLoops pins which loops run around a closed-form loop
// (around.go).
func TestAroundLoops(t *testing.T) {
	cases := []struct {
		code   string
		around bool
	}{
		{"[>[<+++>->>>>>+++[->+++++<]>[-]<<<<<<]<<]", true}, // long.b's
		{"[>>+[--->+<]<]", true},
		{"[[->>+++[-<+>]<<]]", false}, // the inner loop's zero side is threaded past the ]
		{"[<[->>+++[-<+>]<<]>]", true},
		{"[>[-]>[->>+++[-<+>]<<]<<]", false}, // a clear before the inner loop
		{"[>[->>+++[-<+>]<<]>[-]<<]", false}, // a clear after it
		{"[>[->>+++[-<+>]<<]<.<]", false},    // output after it
		{"[>[->[-]>]<<]", false},             // the inner loop is not closed
	}
	for _, c := range cases {
		p, err := Compile([]byte(c.code))
		if err != nil {
			t.Fatal(err)
		}
		opens, closes := 0, 0
		for _, in := range p.insts {
			switch in.op {
			case opJzAround:
				opens++
			case opLoopAround:
				closes++
			}
		}
		if got := closes > 0; got != c.around || opens != closes {
			t.Errorf("%s: %d loops around, %d of their [ know it; want around %v", c.code, closes, opens, c.around)
		}
	}
}
