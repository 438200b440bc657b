package proof

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tinychain/tinychain/proto"
)

// MaxTxProofSize bounds a tx proof's encoding: a header, a tx and a
// receipt at their caps and two audit paths of 64 hashes.
const MaxTxProofSize = proto.MaxHeaderSize + proto.MaxTxSize + proto.MaxReceiptSize + 2*MaxAuditPath*33 + 64

// TxProof proves that a transaction and its receipt are the index-th of a
// block's count. Its JSON and RLP forms are the protocol's, field for
// field.
type TxProof struct {
	Header  hexutil.Bytes `json:"header"`  // the block header's canonical encoding
	Tx      hexutil.Bytes `json:"tx"`      // the tx's canonical encoding
	Receipt hexutil.Bytes `json:"receipt"` // its receipt's canonical encoding
	Index   uint64        `json:"index"`   // its position in the block, from 0
	Count   uint64        `json:"count"`   // the block's number of txs
	// TxPath and ReceiptPath are the RFC 6962 audit paths, leaf side
	// first, of the tx hash in tx_root and of H(receipt) in receipts_root.
	TxPath      []common.Hash `json:"tx_path"`
	ReceiptPath []common.Hash `json:"receipt_path"`
}

// Encode returns the proof's wire form (RLP).
func (p *TxProof) Encode() []byte { return mustEncode(p) }

// DecodeTxProof decodes a tx proof's wire form, bounded by MaxTxProofSize
// and canonical.
func DecodeTxProof(b []byte) (*TxProof, error) {
	p := new(TxProof)
	if err := decode(b, p, MaxTxProofSize); err != nil {
		return nil, err
	}
	return p, nil
}

// VerifyTx checks p and returns the tx, its receipt and the hash of the
// header they were proven against.
func VerifyTx(p *TxProof) (*proto.Tx, *proto.Receipt, common.Hash, error) {
	hdr, err := proto.DecodeHeader(p.Header)
	if err != nil {
		return nil, nil, common.Hash{}, fmt.Errorf("%w: header: %v", ErrInvalid, err)
	}
	tx, err := proto.DecodeTx(p.Tx)
	if err != nil {
		return nil, nil, common.Hash{}, fmt.Errorf("%w: tx: %v", ErrInvalid, err)
	}
	rcpt, err := proto.DecodeReceipt(p.Receipt)
	if err != nil {
		return nil, nil, common.Hash{}, fmt.Errorf("%w: receipt: %v", ErrInvalid, err)
	}
	if err := VerifyAuditPath(hdr.TxRoot, tx.Hash(), p.Index, p.Count, p.TxPath); err != nil {
		return nil, nil, common.Hash{}, fmt.Errorf("tx: %w", err)
	}
	if err := VerifyAuditPath(hdr.ReceiptsRoot, crypto.Keccak256Hash(p.Receipt), p.Index, p.Count, p.ReceiptPath); err != nil {
		return nil, nil, common.Hash{}, fmt.Errorf("receipt: %w", err)
	}
	return tx, rcpt, hdr.Hash(), nil
}

// VerifyTxAt is VerifyTx for a proof of the tx whose hash is txHash in the
// block whose hash is block (one the caller trusts).
func VerifyTxAt(p *TxProof, txHash, block common.Hash) (*proto.Tx, *proto.Receipt, error) {
	tx, rcpt, h, err := VerifyTx(p)
	switch {
	case err != nil:
		return nil, nil, err
	case tx.Hash() != txHash:
		return nil, nil, fmt.Errorf("%w: proof is of tx %s, not %s", ErrInvalid, tx.Hash(), txHash)
	case h != block:
		return nil, nil, fmt.Errorf("%w: proof is against block %s, not %s", ErrInvalid, h, block)
	}
	return tx, rcpt, nil
}
