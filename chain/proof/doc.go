// Package proof verifies what a tinychain node proves about its state and
// its blocks, against a block header the caller trusts: an account (or its
// absence) by a compact sparse Merkle path to the header's state_root, a
// contract's tape by its hash in the account, and a transaction with its
// receipt by RFC 6962 audit paths to tx_root and receipts_root.
//
// It is written from the protocol document's section "Proofs" and imports
// neither LevelDB nor libp2p (chain's layout test pins that), so a light
// client, a test or another program can check proofs with it alone. The
// node builds the proofs elsewhere (chain/smt's Prove, chain's MerklePath,
// chain/blockchain's proof window); this package shares no code with
// them on purpose: it recomputes every hash from the specification.
//
// # What a caller must still check
//
// Verify* functions check a proof against the header inside it and return
// that header's hash; the proof means something only if the caller holds
// that hash as a block of its best chain (for a light client: one with
// enough confirmations). VerifyAccountAt and VerifyTxAt do that comparison.
//
// # Cost
//
// Decoding is bounded before it allocates (MaxAccountProofSize,
// MaxTxProofSize); verifying an account proof costs at most 257 Keccak
// hashes plus one of the tape (at most 30,000 bytes), a tx proof at most
// 2 × 64 hashes plus one of the tx and one of the receipt.
package proof
