// Package vectors generates tinychain's consensus test vectors, in the
// style of btcd's fullblocktests: a named tree of blocks at trivial
// difficulty, each with the outcome a node must reach (accepted, orphan,
// held as future, refused as too far ahead, duplicate, or rejected with a
// rule code) and the head it must then have. Each rule of the chain is
// broken once, next to the boundary case that must pass.
//
// The generator keeps its own model of the state (balances and nonces per
// block, and for contract txs their receipts, worked out by hand from the
// gas table it declares: exact gas, output, error code and fault position) and declares the consensus constants again on purpose, so a change
// to a rule shows up as a failing vector rather than a silently updated
// expectation. The vectors are also written as JSON (testdata/vectors.json)
// so that any implementation can replay them: process each block in order,
// with the clock at now_ms (plus advance_clock_ms where a step says so), and
// compare the outcome and the head.
package vectors
