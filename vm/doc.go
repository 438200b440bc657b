// Package vm is tinychain's Brainfuck virtual machine and its gas metering.
// It owns the execution semantics of contracts; what a call's result does
// to state (reverting a failed run's tape, receipts) is the caller's.
//
// # Semantics
//
// Commands are > < + - . , [ ]; every other byte is a comment. Code whose
// brackets do not balance never runs (ErrUnbalanced; Validate, Compile).
// The tape has TapeSize (30,000) cells of 8 bits that wrap mod 256; the
// pointer starts at cell 0 on every run, and a move that would take it
// outside [0, TapeSize) is a tape fault (ErrTapeLeft, ErrTapeRight, both
// wrapping ErrTapeFault). , stores the next input byte, or 0 past the end
// of the input. . appends the cell to the output; a . when the output
// already holds the cap (Limits.MaxOutput, the chain's is MaxOutput,
// 65,536) is a fault (ErrOutputOverflow). [ jumps past its matching ] when
// the cell is 0; ] jumps back past its matching [ when it is not.
//
// # Gas
//
//	command       gas
//	> < [ ]       GasStep (1)
//	+ - ,         GasStep + GasWrite (4)
//	.             GasStep + GasOutput (17): its byte is kept in the receipt
//
// Every executed command is charged, brackets each time they execute, so a
// loop of n iterations costs its [ once and its body and ] n times.
// Limits.LoadGas is charged before the first command (the chain's load
// gas: GasTapeByte per byte of the stored tape, and through RunLoaded
// GasCodeByte per byte of the code); when it does not fit nothing runs
// (ErrLoadOutOfGas). A command whose cost does not fit in the gas left is
// not run: the run is out of gas (StatusOutOfGas) and uses its whole
// limit. A fault (StatusFault) uses the gas charged up to and including
// the faulting command. Either way the Result keeps the output produced
// before the failure, Err names the failing command's byte offset in the
// source (PosError), and the tape is left as it was at that moment:
// reverting is the caller's job.
//
// # Cost
//
// Compile is linear in the code's size (BenchmarkCompile). Both
// interpreters run the code's commands only: comments are dropped first,
// so every step a run takes is charged. Load prepares code without
// compiling it (for runs too short to repay a compile: Prepare, Cache,
// CompileRatio).
//
// # Two interpreters
//
// RunPlain runs command by command and is the readable definition. Program
// .Run is what nodes run: Compile turns the code into blocks of
// instructions (Cache keeps compiled programs by code hash). Within a
// block, runs of + - < > fold into adds at offsets from the block's
// pointer, and clear ([-] [+]), multiply ([->+>++<<]) and [] loops become
// single instructions; a block ends at a plain bracket or a scan loop
// ([>] [<<]), whose instruction moves the pointer to the first zero cell.
//
// The fast interpreter stays exact because it never guesses. On entering a
// block it checks, once, that the gas left covers the block's static gas
// (the gas of every source command in it, counted as the plain interpreter
// counts them) and that every cell the block can reach is on the tape. A
// fused loop checks its own gas, a function of its iteration count, which
// follows from the cell's value (v or 256-v iterations, or the distance to
// the zero cell for a scan); . checks the output cap. When any check
// fails, the run is handed to the plain interpreter at that block's or
// instruction's first source command, with exactly the state the plain
// interpreter would have there, so the plain interpreter finds the exact
// failing command, charges exactly, and leaves the same tape; when it
// merely reaches the next block (a conservative check failed), it hands the
// run back.
//
// Three shortcuts cut the cost per block where loops are short. A jump
// onto a zero cell skips the blocks that are a bare [ or ] (they would test
// the same cell), charging their gas in one step when it is there
// (thread.go). A block of only adds and a bracket runs at its entry check,
// without a dispatch. And the ] of a loop whose body is one block of adds
// and fused loops runs the following iterations itself, each checked and
// charged as the block would be (selfloop.go); when a check fails it
// leaves the machine at the start of the block or at the fused loop that
// failed, exactly as the dispatch loop would.
//
// A self loop whose body does not move the pointer and whose inner loops
// count the same in every iteration after the first (the compiler shows
// it by running the body symbolically: closed.go) runs its remaining
// iterations in closed form: their number follows from the counter's
// value and its step mod 256, and their gas and their effect on each cell
// are constants, charged and applied in one step when the gas left covers
// them (otherwise as many whole iterations as it covers, then the next
// one the ordinary way, which finds the exact point of failure). Its [
// does the same for the whole loop when the first iteration is like the
// others.
//
// A loop whose body is such a closed-form loop with only adds and pointer
// moves around it (long.b's "[>[<+++>-...]<<]", which walks left) runs its
// iterations at its own [ and ] (around.go), doing what the dispatch loop
// would do block by block, and handing the run back to it wherever it
// would go elsewhere.
//
// A run of nested bare blocks that each step the tested counter by 1 or
// 255 with the same adds (factor.b's "[->+<[->+<[...]]]") runs in one
// step (chain.go): the level where the counter reaches 0 follows from its
// value, and the levels' gas is charged at once when it is there.
//
// A differential fuzz test (FuzzInterpreters) and the standard programs'
// exact gas hold the two interpreters equal.
package vm
