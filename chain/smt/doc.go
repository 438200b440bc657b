// Package smt owns tinychain's state commitment: a compact sparse Merkle
// tree over 32-byte keys, stored node by node in a key-value store (read
// through Reader, written through Writer: chain/store implements both over
// LevelDB). Its root is the block header's state_root.
//
// # The hash, exactly
//
// Keys and values are 32 bytes. The chain uses key = Keccak-256(address) and
// value = the hash of the account record; a zero value means "absent", so a
// pair whose value is zero is not in the tree and Update(key, zero) deletes.
//
// Bits of a key are numbered 0..255 from the most significant bit of key[0]:
// bit i is (key[i/8] >> (7 - i%8)) & 1. The tree is the complete binary tree
// of height 256; the subtree at depth d along path p holds the pairs whose
// keys begin with the d bits p. Its left child (depth d+1) holds those with
// bit d = 0, its right child those with bit d = 1.
//
// The hash H(S) of a subtree holding the set S of (key, value) pairs is
//
//	|S| = 0:  32 zero bytes
//	|S| = 1:  Keccak256(0x00 || key || value)          (LeafHash)
//	|S| >= 2: Keccak256(0x01 || H(S0) || H(S1))        (BranchHash)
//
// where S0 and S1 are the pairs of S under the left and the right child.
// The root is H of the whole set; the empty tree's root is 32 zero bytes.
// Keccak256 is the original Keccak-256 (Ethereum's, not SHA3-256); || is
// concatenation. Every preimage is 65 bytes and its first byte says leaf or
// branch, so a leaf can never be passed off as a branch or the other way.
// A real Keccak output of zero is infeasible, so zero unambiguously means
// empty.
//
// A single leaf hashes the same at every depth, so it hangs as high as it
// can ("hoisted"): directly under the lowest branch whose other side is
// non-empty. Between two keys that share a long prefix there is one branch
// per shared bit, each with one empty side: the hash goes through every
// level rather than encoding a skipped depth. That keeps the definition to
// the three lines above and leaves no room for two encodings of one set;
// for Keccak-256 keys such runs are short (a random binary trie of n keys
// has about 1.44·n branches against n-1 for a Patricia trie), and grinding
// keys with long shared prefixes costs one hash per bit of the prefix.
//
// H depends on S only, so the root is history-independent: any order of
// updates, and any rollback that re-applies old values, gives the same root
// and (see below) the same stored nodes.
//
// # Storage
//
// A node is stored at its position: DB key = prefix || the first depth bits
// of its keys, in ceil(depth/8) bytes (later bits zero) || depth (2 bytes,
// big endian, 0..256). The path is cut to the bytes that hold it, so a node
// at depth 16 has a 5-byte key, not 35: a block writes thousands of nodes,
// and LevelDB copies, compares and compacts every byte of their keys.
// Putting the path before the depth keeps the nodes whose paths share
// their first bytes under one key prefix, so the nodes near the bottom of
// a path share LevelDB blocks. The stored value is the node's hash
// preimage, 65 bytes:
//
//	leaf:   0x00 || key || value
//	branch: 0x01 || left child hash || right child hash
//
// so a node's hash is Keccak256 of its stored bytes. A branch exists at
// exactly the positions whose subtree holds two or more pairs; a leaf is
// stored at the root or at a child position of a branch; empty subtrees are
// not stored. The stored set is therefore, like the root, a function of the
// pairs alone: a tree built in one batch and one built by any sequence of
// updates and deletes hold identical DB contents. Looking a key up reads the
// nodes on its path, about log2(n) of them for n random keys.
//
// # Use
//
// One Tree holds one block's updates on top of the committed tree it reads
// through its Reader. Updates only touch an in-memory cache of nodes by
// position; Root hashes the changed branches once, deepest first, so a block
// touching k keys costs about k·log2(n) reads and hashes. Commit puts every
// changed node and deletes every vacated one into a Writer (a store batch)
// that the caller writes atomically with the rest of the block.
//
// A Cache (cache.go), given to OpenCached, keeps the committed nodes of
// the top levels from one Tree to the next, so that the block importer
// does not read them again each block; the caller reports each written
// batch to it (Written).
//
// # Caveats
//
//   - A Tree is not safe for concurrent use.
//   - The Reader must not change under an open Tree: use a snapshot, or
//     write the committed batch only after the Tree is done.
//   - After Commit a Tree answers Get and Root for the committed state but
//     refuses Update and Commit (ErrCommitted): Open a new Tree on the DB
//     once the batch has been written.
//   - The nodes under a prefix must be written only through Commit, and no
//     other data may share the prefix; prefixes of different trees in one
//     DB must not be prefixes of one another.
package smt
