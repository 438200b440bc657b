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
// machine: the command comes from a lookup (gnark's log-derivative
// lookup) into the committed code table of (command, partner bracket)
// rows, so jumps go exactly to the matching bracket; the pointer moves by
// one or faults at either end of the tape; cells wrap mod 256 (every value
// read and written is range-checked to 8 bits and the write is the read
// plus or minus one mod 256, or the input byte for ,); , past the input's
// end stores 0 and does not advance; . is checked against the public
// output; gas is summed exactly by the gas table.
//
// Memory is not copied per step. Each row makes one access (address,
// time, value read, value written) and the circuit checks, with a grand
// product over a random linear combination (the challenges come from
// gnark's commitment to the accesses, std/multicommit), that the accesses
// plus one initial and one final access per window cell are a permutation
// of a table sorted by (address, time) in which every address starts with
// its initial access, times strictly increase within an address (without
// this a prover could reorder one address's accesses) and every read sees
// the value written just before it.
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
// largest size, a pointer beyond the window W of the size, output beyond
// the output capacity (so the output cap of 65,536 bytes is never reached
// and not modelled) and code longer than C commands. Fit picks the
// smallest size that holds a run and says which limit a run exceeds.
package zk
