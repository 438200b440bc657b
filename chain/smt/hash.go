package smt

import "github.com/ethereum/go-ethereum/crypto"

// Tags that open every hash preimage (and every stored node), so leaves and
// branches live in separate domains.
const (
	tagLeaf   byte = 0x00
	tagBranch byte = 0x01
)

// LeafHash is the hash of a subtree holding the one pair (key, value):
// Keccak256(0x00 || key || value), whatever the subtree's depth.
func LeafHash(key, value [32]byte) [32]byte {
	return crypto.Keccak256Hash([]byte{tagLeaf}, key[:], value[:])
}

// BranchHash is the hash of a subtree holding two or more pairs, given the
// hashes of its two children: Keccak256(0x01 || left || right).
func BranchHash(left, right [32]byte) [32]byte {
	return crypto.Keccak256Hash([]byte{tagBranch}, left[:], right[:])
}

// hasher is a reusable Keccak state, so hashing a block's dirty nodes does
// not allocate per node.
type hasher struct {
	st  crypto.KeccakState
	buf [65]byte
}

func newHasher() *hasher { return &hasher{st: crypto.NewKeccakState()} }

// sum returns Keccak256(tag || a || b).
func (h *hasher) sum(tag byte, a, b *[32]byte) (out [32]byte) {
	h.buf[0] = tag
	copy(h.buf[1:33], a[:])
	copy(h.buf[33:], b[:])
	h.st.Reset()
	h.st.Write(h.buf[:])
	h.st.Read(out[:])
	return out
}
