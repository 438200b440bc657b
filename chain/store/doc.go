// Package store owns the node's database: the one package that imports
// LevelDB (goleveldb). It offers what the state and the block tree need
// of a key-value store, and no more: a DB opened with the options tuned
// for block import, point reads that say whether a key is there (the
// smt.Reader the state and its Merkle tree read through), atomic batches
// (the smt.Writer a block's commit fills), synced writes for the head's
// barrier, consistent snapshots for readers, and prefix iterators.
//
// The table of keys — which prefix holds what — belongs to the packages
// that write them: the state's in chain/state (keys.go), the block
// tree's in chain/blockchain (store.go).
package store
