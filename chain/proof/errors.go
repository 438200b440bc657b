package proof

import "errors"

// ErrInvalid marks a proof that does not prove what it claims: it does not
// decode, is not canonical, or its hashes do not lead to the root. Every
// error of a Verify function wraps it.
var ErrInvalid = errors.New("invalid proof")
