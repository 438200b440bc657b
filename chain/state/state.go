package state

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tinychain/tinychain/chain/smt"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/vm"
)

// State is a mutable view of the accounts on top of a committed database
// state (a snapshot of the store, read through smt.Reader): what one block, a miner's template or a
// mempool check changes before anything is written. Changes are journaled
// so that a failed transaction can be reverted (Snapshot / RevertTo), and
// Commit turns them into one batch of writes plus the block's undo data.
//
// A State is not safe for concurrent use.
type State struct {
	// Programs caches compiled contract code by code hash (optional).
	Programs *vm.Cache
	// Nodes keeps the Merkle tree's top nodes across blocks (optional):
	// only for a State over the DB itself, which Nodes mirrors, never over
	// a snapshot (smt.Cache).
	Nodes *smt.Cache

	db      smt.Reader
	objs    map[common.Address]*stateObject
	tapes   map[common.Address]*tapeObject
	code    map[common.Hash][]byte // code deployed by this view, by hash
	journal []journalEntry         // each entry undoes one change
}

// tapeObject is a contract's tape in its stored (compact) form.
type tapeObject struct {
	cur, orig []byte
	modified  bool
}

type stateObject struct {
	acct     proto.Account
	origEnc  []byte // the committed encoding; nil if the account did not exist
	modified bool
}

// New returns a view of the state committed in db.
func New(db smt.Reader) *State {
	return &State{db: db, objs: make(map[common.Address]*stateObject),
		tapes: make(map[common.Address]*tapeObject), code: make(map[common.Hash][]byte)}
}

func (s *State) object(a common.Address) (*stateObject, error) {
	if o := s.objs[a]; o != nil {
		return o, nil
	}
	o := new(stateObject)
	enc, found, err := s.db.Get(accountKey(a))
	switch {
	case err != nil:
		return nil, fmt.Errorf("read account %s: %w", a, err)
	case !found:
	default:
		acct, err := proto.DecodeAccount(enc)
		if err != nil {
			return nil, fmt.Errorf("stored account %s is corrupt: %w", a, err)
		}
		o.acct, o.origEnc = *acct, enc
	}
	s.objs[a] = o
	return o, nil
}

// Account returns the account at a (all zero if it does not exist).
func (s *State) Account(a common.Address) (proto.Account, error) {
	o, err := s.object(a)
	if err != nil {
		return proto.Account{}, err
	}
	return o.acct, nil
}

// SetAccount replaces the account at a, journaling the old value.
func (s *State) SetAccount(a common.Address, acct proto.Account) error {
	o, err := s.object(a)
	if err != nil {
		return err
	}
	prev, prevMod := o.acct, o.modified
	s.journal = append(s.journal, accountChange{o, prev, prevMod})
	o.acct, o.modified = acct, true
	return nil
}

// Snapshot returns a mark to revert to.
func (s *State) Snapshot() int { return len(s.journal) }

// RevertTo undoes every change made after the snapshot mark.
func (s *State) RevertTo(mark int) {
	for i := len(s.journal) - 1; i >= mark; i-- {
		s.journal[i].revert(s)
	}
	s.journal = s.journal[:mark]
}

// UndoEntry is one key of the state database and its value before a
// block (empty: absent; no stored value is empty). A block's undo data is
// the list of them (State.Commit returns it); writing them back and
// re-deriving the Merkle leaves rolls the block back exactly (Revert).
type UndoEntry struct {
	Key []byte
	Old []byte
}

// change is one account write that a commit makes.
type change struct {
	addr common.Address
	enc  []byte // new encoding; nil = delete
	old  []byte
}

// changes lists the accounts whose encoding differs from the committed
// one, in address order so that commits are deterministic.
func (s *State) changes() []change {
	s.syncTapeHashes()
	var out []change
	for a, o := range s.objs {
		if !o.modified {
			continue
		}
		var enc []byte
		if !o.acct.IsEmpty() {
			enc = proto.Encode(&o.acct)
		}
		if bytes.Equal(enc, o.origEnc) {
			continue
		}
		out = append(out, change{a, enc, o.origEnc})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].addr.Cmp(out[j].addr) < 0 })
	return out
}

// Root returns the state root the view would commit, writing nothing.
func (s *State) Root() (common.Hash, error) {
	t := openTree(s.db, s.Nodes)
	if err := updateTree(t, s.changes()); err != nil {
		return common.Hash{}, err
	}
	r, err := t.Root()
	return common.Hash(r), err
}

// updateTree sets the Merkle leaves of changes in t, in the order of
// their leaf keys: consecutive keys share the top of their paths, which
// the Tree then walks once (the root does not depend on the order).
func updateTree(t *smt.Tree, changes []change) error {
	type leaf struct{ key, value [32]byte }
	leaves := make([]leaf, len(changes))
	for i, c := range changes {
		leaves[i] = leaf{accountLeafKey(c.addr), leafValue(c.enc)}
	}
	slices.SortFunc(leaves, func(a, b leaf) int { return bytes.Compare(a.key[:], b.key[:]) })
	for _, l := range leaves {
		if err := t.Update(l.key, l.value); err != nil {
			return err
		}
	}
	return nil
}

// Commit writes the view's changes (accounts and Merkle nodes) into batch
// and returns the new state root and the undo data that reverses them.
func (s *State) Commit(batch smt.Writer) (common.Hash, []UndoEntry, error) {
	t := openTree(s.db, s.Nodes)
	changes := s.changes()
	undo := make([]UndoEntry, 0, len(changes))
	for _, c := range changes {
		key := accountKey(c.addr)
		if c.enc == nil {
			batch.Delete(key)
		} else {
			batch.Put(key, c.enc)
		}
		undo = append(undo, UndoEntry{Key: key, Old: c.old})
	}
	if err := updateTree(t, changes); err != nil {
		return common.Hash{}, nil, err
	}
	for _, c := range s.tapeChanges() {
		key, sizeKey := tapeKey(c.addr), tapeSizeKey(c.addr)
		if len(c.enc) == 0 {
			batch.Delete(key)
			batch.Delete(sizeKey)
		} else {
			batch.Put(key, c.enc)
			batch.Put(sizeKey, binary.BigEndian.AppendUint32(nil, uint32(len(c.enc))))
		}
		var oldSize []byte
		if len(c.old) > 0 {
			oldSize = binary.BigEndian.AppendUint32(nil, uint32(len(c.old)))
		}
		undo = append(undo, UndoEntry{Key: key, Old: c.old}, UndoEntry{Key: sizeKey, Old: oldSize})
	}
	// Code is content-addressed and immutable: written once, never undone
	// (another contract may share it), so it has no undo entry.
	for h, code := range s.code {
		batch.Put(codeKey(h), code)
		batch.Put(codeSizeKey(h), binary.BigEndian.AppendUint32(nil, uint32(len(code))))
	}
	r, err := t.Commit(batch)
	return common.Hash(r), undo, err
}

// openTree opens the state's Merkle tree in db, through nodes if not nil.
func openTree(db smt.Reader, nodes *smt.Cache) *smt.Tree {
	if nodes != nil {
		return smt.OpenCached(db, smtPrefix, nodes)
	}
	return smt.Open(db, smtPrefix)
}

// Revert writes a block's undo data into batch: the old value of every
// key it changed, and the Merkle leaves that follow from them. It returns
// the state root after the revert. nodes (optional) is the tree's node
// cache over db.
func Revert(db smt.Reader, nodes *smt.Cache, batch smt.Writer, undo []UndoEntry) (common.Hash, error) {
	t := openTree(db, nodes)
	for i := len(undo) - 1; i >= 0; i-- {
		u := undo[i]
		if len(u.Old) == 0 {
			batch.Delete(u.Key)
		} else {
			batch.Put(u.Key, u.Old)
		}
		if addr, ok := AccountFromKey(u.Key); ok {
			if err := t.Update(accountLeafKey(addr), leafValue(u.Old)); err != nil {
				return common.Hash{}, err
			}
		}
	}
	r, err := t.Commit(batch)
	return common.Hash(r), err
}

// accountLeafKey is where an account sits in the Merkle tree: Keccak-256 of
// its address, so that paths are balanced whatever the addresses.
func accountLeafKey(a common.Address) [32]byte { return crypto.Keccak256Hash(a[:]) }

// leafValue is the Merkle leaf value of an account encoding (zero: absent).
func leafValue(enc []byte) [32]byte {
	if len(enc) == 0 {
		return [32]byte{}
	}
	return crypto.Keccak256Hash(enc)
}

// ComputeStateRoot returns the state root of exactly the given accounts,
// built from nothing: what a test generator or another implementation
// checks its own state model against.
func ComputeStateRoot(accts map[common.Address]proto.Account) (common.Hash, error) {
	st := New(EmptyDB{})
	for a, acct := range accts {
		if err := st.SetAccount(a, acct); err != nil {
			return common.Hash{}, err
		}
	}
	return st.Root()
}

// Program returns the program of code, whose Keccak-256 is hash, for a
// run of gas: from the chain's cache when the State has one (compiled and
// cached when the run repays compiling, vm.CompileRatio), else prepared
// for this run alone (vm.Prepare). code is called only when the program
// is not cached, so a cached contract's code is not even read.
func (s *State) Program(hash common.Hash, gas uint64, code func() ([]byte, error)) (*vm.Program, error) {
	if s.Programs != nil {
		if p := s.Programs.Cached(hash); p != nil {
			return p, nil
		}
	}
	src, err := code()
	if err != nil {
		return nil, err
	}
	if s.Programs == nil {
		return vm.Prepare(src, gas)
	}
	return s.Programs.Get(hash, src, gas)
}
