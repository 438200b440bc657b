// Package proto owns tinychain's wire and storage encodings: the transaction,
// header, block and receipt types and their one canonical byte form.
//
// Encoding: Ethereum's RLP (github.com/ethereum/go-ethereum/rlp). RLP was
// chosen over protobuf because it is canonical by construction: one value
// has exactly one encoding (no field order, no default-value elision, no
// unknown fields, minimal integers and lengths), which is what consensus
// hashing needs. Protobuf's wire format admits many encodings of one message,
// so canonicality would have to be re-checked by hand for every field.
//
// Every decoder here bounds the input size before it looks at it, never
// panics, and rejects bytes that differ from the re-encoding of what they
// decode to, so a block or transaction has exactly one byte form and hash.
// The transactions, which are nearly all of a block's bytes, are read by a
// strict hand-written reader (rlp.go) that accepts only canonical bytes, so
// they need no re-encoding; everything else is decoded by rlp and then
// re-encoded and compared. Fuzz tests hold the two ways equal.
//
// Hashes: a transaction's hash is Keccak-256 of its encoding; the hash it is
// signed over is Keccak-256 of the encoding of every field but the
// signature. A block's hash is SHA-256 of its header's encoding (proof of
// work is over SHA-256, as in the seed).
package proto
