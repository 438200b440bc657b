package smt

import "errors"

// ErrCorrupt reports a stored node that cannot be part of a tree written by
// this package: wrong length, unknown tag, or a branch below depth 255.
var ErrCorrupt = errors.New("smt: corrupt node")

// ErrCommitted reports an Update or Commit on a Tree that was already
// committed; its batch may not have been written, so building on it could
// diverge from the DB.
var ErrCommitted = errors.New("smt: tree already committed")
