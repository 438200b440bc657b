// Package vm is tinychain's Brainfuck virtual machine and its gas metering.
//
// Semantics: commands > < + - . , [ ]; every other byte is a comment. The
// tape has TapeSize (30,000) cells of 8 bits that wrap mod 256; the pointer
// starts at cell 0 and moving it outside [0, TapeSize) is a tape fault.
// , stores the next input byte, or 0 past the end of the input. . appends
// the cell to the output; more than MaxOutput (65,536) bytes is a fault.
// Code whose brackets do not balance never runs (ErrUnbalanced).
//
// Gas: every executed command costs GasStep (1); + - and , cost GasWrite
// (3) more. A command whose cost does not fit in the gas left is not run:
// the run is out of gas and uses its whole limit. A fault uses the gas
// charged up to and including the faulting command.
//
// Two interpreters share these rules. RunPlain runs command by command and
// is the readable definition. Program.Run, what nodes run, compiles the
// code once (Compile; Cache keeps compiled programs by code hash): it folds
// runs of + - < >, turns clear, scan and multiply loops into single
// instructions and precomputes jumps. Each instruction knows the exact gas
// of its source commands (as a function of the iteration count for fused
// loops) and the cells it can reach; when a check would fail it hands the
// run to the plain interpreter at its first source command, which then
// finds the exact failing command. A differential fuzz test
// (FuzzInterpreters) holds the two equal: same status, gas, output, error
// and tape.
package vm
