package proof

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Domain tags, the first byte of every hash preimage in both trees.
const (
	tagLeaf   = 0x00
	tagBranch = 0x01
)

// smtLeaf is H(0x00 || key || value), a sparse Merkle subtree of one pair.
func smtLeaf(key, value common.Hash) common.Hash {
	return crypto.Keccak256Hash([]byte{tagLeaf}, key[:], value[:])
}

// node is H(0x01 || left || right), in both trees.
func node(left, right common.Hash) common.Hash {
	return crypto.Keccak256Hash([]byte{tagBranch}, left[:], right[:])
}

// bit returns bit i of b, bits numbered from the most significant bit of
// b[0].
func bit(b []byte, i int) byte { return (b[i/8] >> (7 - uint(i%8))) & 1 }

// commonPrefix returns how many leading bits a and b share (256 if equal).
func commonPrefix(a, b common.Hash) int {
	for i := 0; i < 256; i++ {
		if bit(a[:], i) != bit(b[:], i) {
			return i
		}
	}
	return 256
}
