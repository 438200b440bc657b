package chain

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tinychain/tinychain/proto"
)

// MerkleRoot is the RFC 6962 Merkle tree hash of leaves, with Keccak-256:
// leaf = H(0x00 || leaf), node = H(0x01 || left || right), the split at the
// largest power of two below n, and the empty tree = H(""). Unlike
// Bitcoin's tree it never duplicates a node, so two different lists never
// share a root (CVE-2012-2459).
func MerkleRoot(leaves []common.Hash) common.Hash {
	if len(leaves) == 0 {
		return crypto.Keccak256Hash()
	}
	level := make([]common.Hash, len(leaves))
	for i, l := range leaves {
		level[i] = crypto.Keccak256Hash([]byte{0}, l[:])
	}
	return merkleNodes(level)
}

func merkleNodes(h []common.Hash) common.Hash {
	if len(h) == 1 {
		return h[0]
	}
	k := 1
	for k*2 < len(h) {
		k *= 2
	}
	l, r := merkleNodes(h[:k]), merkleNodes(h[k:])
	return crypto.Keccak256Hash([]byte{1}, l[:], r[:])
}

// TxRoot is the Merkle root of the transactions' hashes.
func TxRoot(txs []*proto.Tx) common.Hash {
	leaves := make([]common.Hash, len(txs))
	for i, tx := range txs {
		leaves[i] = tx.Hash()
	}
	return MerkleRoot(leaves)
}

// ReceiptsRoot is the Merkle root of the Keccak-256 of each receipt's encoding.
func ReceiptsRoot(rs []*proto.Receipt) common.Hash {
	encs := make([][]byte, len(rs))
	for i, r := range rs {
		encs[i] = proto.Encode(r)
	}
	return ReceiptsRootOf(encs)
}

// ReceiptsRootOf is ReceiptsRoot given the receipts' encodings (for a
// caller that stores them too, so each is encoded once).
func ReceiptsRootOf(encs [][]byte) common.Hash {
	leaves := make([]common.Hash, len(encs))
	for i, enc := range encs {
		leaves[i] = crypto.Keccak256Hash(enc)
	}
	return MerkleRoot(leaves)
}
