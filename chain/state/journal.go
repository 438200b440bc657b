package state

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/proto"
)

// journalEntry is one change made to a State, which knows how to undo
// itself (go-ethereum's core/state/journal.go): RevertTo replays the
// entries after a mark backwards. What a block leaves changed when it
// ends is what Commit writes, and the values the entries' objects held
// when first read are the block's undo data.
type journalEntry interface {
	revert(*State)
}

// accountChange is SetAccount's entry: the account as it was before.
type accountChange struct {
	obj     *stateObject
	prev    proto.Account
	prevMod bool
}

func (e accountChange) revert(*State) { e.obj.acct, e.obj.modified = e.prev, e.prevMod }

// codeAdded is CreateContract's entry for code this view had not seen.
type codeAdded struct{ hash common.Hash }

func (e codeAdded) revert(s *State) { delete(s.code, e.hash) }

// tapeWrite is SetTape's entry: the compact tape as it was before.
type tapeWrite struct {
	tape    *tapeObject
	prev    []byte
	prevMod bool
}

func (e tapeWrite) revert(*State) { e.tape.cur, e.tape.modified = e.prev, e.prevMod }
