package blockchain

import (
	"errors"
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/proof"
	"github.com/tinychain/tinychain/chain/smt"
	"github.com/tinychain/tinychain/chain/state"
	"github.com/tinychain/tinychain/chain/store"
	"github.com/tinychain/tinychain/proto"
)

// ProofWindow is how many head states the chain keeps for account proofs:
// a LevelDB snapshot taken after each block is connected (or disconnected
// back to its parent), the oldest released first. So the state of each of
// the last ProofWindow main-chain blocks can be proven, fewer just after a
// restart (only the head's, refilling block by block) or a reorganisation
// (the disconnected blocks' states hold places until they age out).
//
// What it costs: a snapshot is a sequence number in LevelDB's list (a few
// dozen bytes of memory); while it is held, compaction keeps the versions
// of keys it can see, so the disk holds the last ProofWindow blocks'
// overwritten Merkle nodes and accounts (for a block touching k accounts of
// n, about k·log2(n)·100 bytes) on top of the live state. Proving is then
// a plain read of at most 257 Merkle nodes, whatever the block's age.
const ProofWindow = 128

// ErrOutsideWindow is returned for a proof at a block whose state the
// chain no longer (or does not yet) keep.
var ErrOutsideWindow = errors.New("block state outside the proof window")

// proofWindow holds the snapshots, by block hash, in the order taken. A
// snapshot handed to a reader is released only when the reader is done.
type proofWindow struct {
	mu    sync.Mutex
	snaps map[common.Hash]*heldSnap
	order []common.Hash
}

type heldSnap struct {
	snap    *store.Snapshot
	readers int
	evicted bool
}

// remember takes a snapshot of db as the state of block h. Called with
// the chain lock held, right after the batch that made h the head.
func (w *proofWindow) remember(db *store.DB, h common.Hash) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.snaps == nil {
		w.snaps = make(map[common.Hash]*heldSnap)
	}
	if w.snaps[h] != nil {
		return
	}
	snap, err := db.Snapshot()
	if err != nil {
		return // a closed database: nothing to prove from
	}
	w.snaps[h] = &heldSnap{snap: snap}
	w.order = append(w.order, h)
	for len(w.order) > ProofWindow {
		old := w.snaps[w.order[0]]
		delete(w.snaps, w.order[0])
		w.order = w.order[1:]
		old.evicted = true
		if old.readers == 0 {
			old.snap.Release()
		}
	}
}

// acquire returns the snapshot of block h and the function that frees it.
func (w *proofWindow) acquire(h common.Hash) (*store.Snapshot, func(), error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.snaps[h]
	if s == nil {
		return nil, nil, fmt.Errorf("%w: block %s", ErrOutsideWindow, h)
	}
	s.readers++
	return s.snap, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if s.readers--; s.readers == 0 && s.evicted {
			s.snap.Release()
		}
	}, nil
}

// releaseAll frees every snapshot: the chain is closing.
func (w *proofWindow) releaseAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.snaps {
		s.evicted = true
		if s.readers == 0 {
			s.snap.Release()
		}
	}
	w.snaps, w.order = nil, nil
}

// AccountProof proves a's account (or its absence) at block (the zero hash:
// the head), with its compact tape if withTape. It returns the block's
// info too. Cost: at most 257 Merkle node reads, one account read and one
// tape read (at most 30,000 bytes).
func (c *Chain) AccountProof(a common.Address, block common.Hash, withTape bool) (*proof.AccountProof, *BlockInfo, error) {
	c.mu.RLock()
	if block == (common.Hash{}) {
		block = c.head.hash
	}
	n := c.index[block]
	var info *BlockInfo
	if n != nil {
		info = c.info(n)
	}
	c.mu.RUnlock()
	if n == nil {
		return nil, nil, ErrNotFound
	}
	snap, release, err := c.proofs.acquire(block)
	if err != nil {
		return nil, nil, err
	}
	defer release()
	sp, err := smt.Open(snap, state.SMTPrefix).Prove(crypto.Keccak256Hash(a[:]))
	if err != nil {
		return nil, nil, err
	}
	st := state.New(snap)
	acct, err := st.Account(a)
	if err != nil {
		return nil, nil, err
	}
	p := &proof.AccountProof{Address: a, Header: info.Header.Encode(), Proof: *sp}
	if !acct.IsEmpty() {
		p.Account = proto.Encode(&acct)
		if withTape {
			if p.Tape, err = st.Tape(a); err != nil {
				return nil, nil, err
			}
		}
	}
	return p, info, nil
}

// TxProof proves a main-chain tx and its receipt. Cost: the tx lookup's
// reads, then its block decoded whole (at most max_block_bytes) and its
// receipts read (their outputs are paid for by gas: at most
// block_gas_limit / 16 bytes), and 4 hashes per tx of the block.
func (c *Chain) TxProof(h common.Hash) (*proof.TxProof, *TxResult, error) {
	res, err := c.Tx(h)
	if err != nil {
		return nil, nil, err
	}
	b, err := c.Block(res.Block)
	if err != nil {
		return nil, nil, err
	}
	rs, err := c.Receipts(res.Block)
	if err != nil {
		return nil, nil, err // reorganised away meanwhile: not found
	}
	p, err := chain.NewTxProof(b, rs, res.Index)
	return p, res, err
}
