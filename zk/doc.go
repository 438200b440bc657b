// Package zk proves runs of tinychain's Brainfuck VM with zk-SNARKs
// (gnark, Groth16 over BN254): a proof says that the code with a given
// commitment, run on a given input from a tape with a given commitment,
// produced a given output and final tape, used exactly the given gas and
// ended with the given status, under the VM's rules as vm.RunPlain defines
// them. Verifying takes milliseconds and does not run the code.
//
// # The circuit
//
// A circuit has a fixed Size: N rows of steps (the run stops in at most
// N-1 executed commands), a tape window of W cells, C rows of code and
// capacities for the input and output. Each row is one step of the
// machine: the command comes from a lookup (a log-derivative argument,
// lookup.go) into the committed code table of (index, command, partner
// bracket) rows, so jumps go exactly to the matching bracket; the pointer moves by
// one or faults at either end of the tape; cells wrap mod 256 (every value
// written is a byte (a lookup into 0..255), every value read is one written
// before, and the write is the read plus or minus one mod 256, or the
// input byte for ,, from one lookup table of the input and the output
// that . is checked against); , past the input's
// end reads the zero padding of the public input (the same 0 the VM
// stores, and nothing else the VM does is told apart); gas is summed
// exactly by the gas table.
//
// Memory is not copied per step. It is checked offline (Blum et al.):
// each row reads one tuple (address, value, time of its write) and writes
// one (address, value, its own time); each window cell is written at time
// 0 with its value before the run and read once after the run with its
// value after it. A grand product over a random linear combination (the
// challenges come from gnark's commitment to the tuples' values,
// std/multicommit) checks that the tuples written and read are the same
// multiset, and a range check (a lookup into 0..N-1) that every row
// reads a tuple written before it: without that clock check a prover could read a value written later
// (the reordering the BrainSTARK tutorial's "Attack!" shows;
// TestSoundFutureRead). memory.go has the argument why this is memory.
//
// # Status and gas
//
// A run ends at a halt row (the end of the code: ok), at a command whose
// cost does not fit in the gas left (out_of_gas: not run, the whole limit
// is used) or after a faulting move (fault). Gas used so far only grows,
// so "every executed command fitted" is one check at the end (gas used <=
// limit), and out of gas one check at the failing command.
//
// What the VM can do that no size here can prove: a run longer than the
// largest size, a pointer beyond the window W of the size, more , commands
// executed than the input capacity, output beyond
// the output capacity (so the output cap of 65,536 bytes is never reached
// and not modelled) and code longer than C commands. Fit picks the
// smallest size that holds a run and says which limit a run exceeds.
package zk
