// Package state owns the world state that the rules run on: accounts,
// contract code and tapes, read lazily from the committed state through a
// small reader (smt.Reader: chain/store implements it over LevelDB, a
// snapshot for views, the database itself for the importer) and changed
// in memory, with a typed journal (journal.go) that reverts a failed
// transaction. Commit turns a block's changes into puts and deletes on a
// writer (smt.Writer: a store batch), the state root (chain/smt) and the
// block's undo data; Revert writes undo data back.
//
// The rules (package chain) execute transactions over the chain.StateDB
// interface, which *State implements; this package knows no rule and no
// error code. The keys it reads and writes are listed in keys.go.
//
// A State is not safe for concurrent use.
package state
