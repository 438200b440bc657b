package state

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tinychain/tinychain/vm"
)

// Code returns the code of the contract at a (nil for an account without).
func (s *State) Code(a common.Address) ([]byte, error) {
	acct, err := s.Account(a)
	if err != nil || !acct.IsContract() {
		return nil, err
	}
	return s.CodeByHash(acct.CodeHash)
}

// CodeSize returns the length of the code whose hash is h, without reading
// the code: what a call's load gas is checked against first.
func (s *State) CodeSize(h common.Hash) (uint64, error) {
	if code, ok := s.code[h]; ok {
		return uint64(len(code)), nil
	}
	b, _, err := s.db.Get(codeSizeKey(h))
	if err != nil || len(b) != 4 {
		return 0, fmt.Errorf("code size %s: %d bytes, %v", h, len(b), err)
	}
	return uint64(binary.BigEndian.Uint32(b)), nil
}

// CodeByHash returns the code whose hash is h: deployed by this view or
// stored.
func (s *State) CodeByHash(h common.Hash) ([]byte, error) {
	if code, ok := s.code[h]; ok {
		return code, nil
	}
	code, found, err := s.db.Get(codeKey(h))
	if err == nil && !found {
		err = errNotStored
	}
	if err != nil {
		return nil, fmt.Errorf("code %s: %w", h, err)
	}
	return code, nil
}

// CreateContract makes a a contract with code (its account must have none).
func (s *State) CreateContract(a common.Address, code []byte) error {
	acct, err := s.Account(a)
	if err != nil {
		return err
	}
	h := crypto.Keccak256Hash(code)
	acct.CodeHash = h
	if err := s.SetAccount(a, acct); err != nil {
		return err
	}
	if _, ok := s.code[h]; !ok {
		s.code[h] = code
		s.journal = append(s.journal, codeAdded{h})
	}
	return nil
}

func (s *State) tapeObject(a common.Address) (*tapeObject, error) {
	if t := s.tapes[a]; t != nil {
		return t, nil
	}
	t := new(tapeObject)
	enc, found, err := s.db.Get(tapeKey(a))
	switch {
	case err != nil:
		return nil, fmt.Errorf("read tape of %s: %w", a, err)
	case !found:
	default:
		t.cur, t.orig = enc, enc
	}
	s.tapes[a] = t
	return t, nil
}

// TapeSize returns the length of a's compact tape without reading the
// tape when it was not read yet: what a run's tape load gas is.
func (s *State) TapeSize(a common.Address) (uint64, error) {
	if t := s.tapes[a]; t != nil {
		return uint64(len(t.cur)), nil
	}
	b, found, err := s.db.Get(tapeSizeKey(a))
	switch {
	case err == nil && !found:
		return 0, nil
	case err != nil || len(b) != 4:
		return 0, fmt.Errorf("tape size of %s: %d bytes, %v", a, len(b), err)
	}
	return uint64(binary.BigEndian.Uint32(b)), nil
}

// Tape returns a's tape in its compact form (trailing zero cells trimmed).
func (s *State) Tape(a common.Address) ([]byte, error) {
	t, err := s.tapeObject(a)
	if err != nil {
		return nil, err
	}
	return t.cur, nil
}

// LoadTape returns a's tape as a full VM tape, a copy the VM may change.
func (s *State) LoadTape(a common.Address) (*vm.Tape, error) {
	enc, err := s.Tape(a)
	if err != nil {
		return nil, err
	}
	return vm.LoadTape(enc)
}

// SetTape stores tape as a's tape, taking it over: the caller must not
// change tape afterwards. The tape hash in a's account follows
// at the end of the block (syncTapeHashes), so that a contract called many
// times in a block has its tape hashed once, not once per call: a call's
// own work stays a copy and a compare of the tape.
func (s *State) SetTape(a common.Address, tape *vm.Tape) error {
	t, err := s.tapeObject(a)
	if err != nil {
		return err
	}
	// The run's tape is ours from here on (the VM is done with it): keep
	// its used part as the new compact tape without copying it.
	n := len(tape)
	for n > 0 && tape[n-1] == 0 {
		n--
	}
	enc := tape[:n:n]
	if bytes.Equal(enc, t.cur) {
		return nil
	}
	acct, err := s.Account(a)
	if err != nil {
		return err
	}
	// Marks the account changed (journaled); its TapeHash is set later.
	if err := s.SetAccount(a, acct); err != nil {
		return err
	}
	prev, prevMod := t.cur, t.modified
	s.journal = append(s.journal, tapeWrite{t, prev, prevMod})
	t.cur, t.modified = enc, true
	return nil
}

// syncTapeHashes sets the tape hash of every account whose tape this view
// changed. Root and Commit call it before reading the accounts.
func (s *State) syncTapeHashes() {
	for a, t := range s.tapes {
		if o := s.objs[a]; t.modified && o != nil {
			o.acct.TapeHash = tapeHash(t.cur)
		}
	}
}

// tapeHash commits a compact tape; the empty tape is the zero hash.
func tapeHash(enc []byte) common.Hash {
	if len(enc) == 0 {
		return common.Hash{}
	}
	return crypto.Keccak256Hash(enc)
}

type tapeChange struct {
	addr     common.Address
	enc, old []byte
}

// tapeChanges lists the tapes that differ from the committed ones, in
// address order.
func (s *State) tapeChanges() []tapeChange {
	var out []tapeChange
	for a, t := range s.tapes {
		if t.modified && !bytes.Equal(t.cur, t.orig) {
			out = append(out, tapeChange{a, t.cur, t.orig})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].addr.Cmp(out[j].addr) < 0 })
	return out
}
