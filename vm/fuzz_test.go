package vm_test

import (
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

// FuzzInterpreters requires the fast interpreter to agree with the plain
// one exactly (status, gas used, output, error and final tape) on any code,
// input, gas limit, output cap and starting tape.
//
// With mapped set, code goes through decodeProgram; otherwise it runs as it
// is (comments, unbalanced brackets and all). gas is taken mod 1,000,001 so
// every run is quick. maxOut mod 17 is the output cap: 0 the chain's, 16
// none at all. A first byte of start with its top bit set fills the whole
// tape with its low bits (so scans can reach the right end); the other
// bytes of start go at both ends of the tape.
func FuzzInterpreters(f *testing.F) {
	f.Add([]byte("+[->++<]>."), false, []byte{}, uint32(1000), uint8(4), []byte{0, 3})
	f.Add([]byte{9, 15, 12, 3, 4}, true, []byte("x"), uint32(5000), uint8(0), []byte{0, 2, 2})
	f.Fuzz(func(t *testing.T, code []byte, mapped bool, input []byte, gas uint32, maxOut uint8, start []byte) {
		if len(code) > 1024 || len(input) > 64 || len(start) > 64 {
			return
		}
		if mapped {
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
		both(t, string(code), tape, input, vm.Limits{Gas: uint64(gas % 1_000_001), MaxOutput: out})
	})
}
