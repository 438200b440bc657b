package vm_test

import (
	"testing"

	"github.com/tinychain/tinychain/vm"
)

// FuzzInterpreters requires the fast interpreter to agree with the plain
// one exactly (status, gas, output, error and tape) on any code, input,
// gas limit, output cap and starting tape.
func FuzzInterpreters(f *testing.F) {
	f.Add([]byte("+[->++<]>."), []byte{}, uint16(1000), uint8(4), []byte{3})
	f.Add([]byte("[-]+[+]>[>]<[<]"), []byte{}, uint16(900), uint8(1), []byte{9, 1, 1, 0})
	f.Add([]byte(",[.,]"), []byte("hi"), uint16(40), uint8(1), []byte{})
	f.Add([]byte("<"), []byte{}, uint16(5), uint8(0), []byte{})
	f.Add([]byte("+[]"), []byte{}, uint16(500), uint8(0), []byte{})
	f.Add([]byte("[>>]"), []byte{}, uint16(500), uint8(0), []byte{1, 1, 1, 1, 1})
	f.Fuzz(func(t *testing.T, code, input []byte, gas uint16, maxOut uint8, start []byte) {
		if len(code) > 512 || len(start) > 64 {
			return
		}
		var tape vm.Tape
		copy(tape[:], start)
		if len(start) > 32 {
			copy(tape[vm.TapeSize-len(start)+32:], start[32:])
		}
		both(t, string(code), tape, input, vm.Limits{Gas: uint64(gas), MaxOutput: int(maxOut%8) + 1})
	})
}
