package chain

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tinychain/tinychain/chain/proof"
	"github.com/tinychain/tinychain/proto"
)

// MerklePath returns the RFC 6962 audit path of leaves[index] in the tree
// MerkleRoot(leaves) hashes: the sibling subtree hashes from the leaf up
// (RFC 6962 section 2.1.1, PATH(m, D[n])). It hashes every leaf once: 2n
// hashes for n leaves.
func MerklePath(leaves []common.Hash, index int) []common.Hash {
	level := make([]common.Hash, len(leaves))
	for i, l := range leaves {
		level[i] = crypto.Keccak256Hash([]byte{0}, l[:])
	}
	return merklePath(level, index)
}

func merklePath(h []common.Hash, m int) []common.Hash {
	if len(h) <= 1 {
		return nil
	}
	k := 1
	for k*2 < len(h) {
		k *= 2
	}
	if m < k {
		return append(merklePath(h[:k], m), merkleNodes(h[k:]))
	}
	return append(merklePath(h[k:], m-k), merkleNodes(h[:k]))
}

// NewTxProof returns the proof of the index-th tx of block b and its
// receipt (receipts are b's, in order): what GET /v1/txs/{hash}/proof
// and the proof protocol serve.
func NewTxProof(b *proto.Block, receipts []*proto.Receipt, index int) (*proof.TxProof, error) {
	if index < 0 || index >= len(b.Txs) || len(receipts) != len(b.Txs) {
		return nil, fmt.Errorf("tx %d of a block of %d txs and %d receipts", index, len(b.Txs), len(receipts))
	}
	txLeaves := make([]common.Hash, len(b.Txs))
	rLeaves := make([]common.Hash, len(receipts))
	for i, tx := range b.Txs {
		txLeaves[i] = tx.Hash()
		rLeaves[i] = crypto.Keccak256Hash(proto.Encode(receipts[i]))
	}
	return &proof.TxProof{
		Header:      b.Header.Encode(),
		Tx:          b.Txs[index].Encode(),
		Receipt:     proto.Encode(receipts[index]),
		Index:       uint64(index),
		Count:       uint64(len(b.Txs)),
		TxPath:      MerklePath(txLeaves, index),
		ReceiptPath: MerklePath(rLeaves, index),
	}, nil
}
