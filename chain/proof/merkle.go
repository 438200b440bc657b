package proof

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// MaxAuditPath bounds an RFC 6962 audit path: a tree of at most 2^64
// leaves is at most 64 deep.
const MaxAuditPath = 64

// VerifyAuditPath checks that path is the RFC 6962 audit path (RFC 9162
// section 2.1.3.2) of leaf d at index of a tree of count leaves whose
// Merkle tree hash is root: the leaf hash is H(0x00 || d), each node
// H(0x01 || left || right), and path lists the siblings from the leaf up.
func VerifyAuditPath(root, d common.Hash, index, count uint64, path []common.Hash) error {
	if index >= count {
		return fmt.Errorf("%w: index %d of %d leaves", ErrInvalid, index, count)
	}
	if len(path) > MaxAuditPath {
		return fmt.Errorf("%w: audit path of %d hashes", ErrInvalid, len(path))
	}
	r := crypto.Keccak256Hash([]byte{tagLeaf}, d[:])
	fn, sn := index, count-1
	for _, p := range path {
		if sn == 0 {
			return fmt.Errorf("%w: audit path too long", ErrInvalid)
		}
		if fn&1 == 1 || fn == sn {
			r = node(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = node(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return fmt.Errorf("%w: audit path too short", ErrInvalid)
	}
	if r != root {
		return fmt.Errorf("%w: audit path leads to %s, not %s", ErrInvalid, r, root)
	}
	return nil
}
