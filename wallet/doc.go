// Package wallet owns tinychain's accounts: secp256k1 keys, addresses,
// transaction signatures, the ten deterministic dev keys, and the keystore
// of encrypted key files. It knows nothing of blocks, transactions or the
// network; chain calls Recover, the CLI calls everything else.
//
// # Keys and addresses
//
// Keys are secp256k1, as in Ethereum (go-ethereum/crypto). An address is the
// last 20 bytes of Keccak-256 of the 64-byte uncompressed public key (X || Y,
// without the 0x04 prefix), shown as EIP-55 checksummed hex by
// common.Address.Hex. ParseAddress accepts only "0x" + 40 hex digits, all
// lower case, all upper case, or mixed case with a correct EIP-55 checksum.
// A key from any Ethereum wallet has the same address here.
//
// # Signatures
//
// A signature is 65 bytes [R || S || V] over a 32-byte hash, with V the
// recovery id in {0, 1} (not Ethereum's 27/28). The signer's address is
// recovered from it, never sent. Only low-S signatures are valid
// (S <= N/2, as in Ethereum since Homestead), so a signature has one form
// and a transaction one hash. Recover checks, in this order: V <= 1,
// 0 < R < N, 0 < S < N, S <= N/2, then recovers the public key. Every
// rejection is one of the sentinel errors below, each wrapping
// ErrInvalidSig.
//
// # Dev keys
//
// DevKey(i), i in [0, DevKeys), is the key whose 32 bytes are
// Keccak-256("tinychain dev key " + decimal i). They are public: the devnet
// genesis funds them; never use them on a real network.
//
// # Keystore
//
// Keystore keeps Web3 Secret Storage (version 3) JSON files in one
// directory, named and encrypted exactly as geth does (go-ethereum's
// accounts/keystore), so a key file moves between geth and tinychain either
// way and List shows the files geth wrote there. Keys are decrypted only
// when asked for, with a password, and nothing is cached.
//
// # Caveats
//
// The standard scrypt parameters (as geth) take about a second and 256 MB
// per encryption or decryption; tests and --light-kdf use the light ones.
// The dev keys' private keys are public knowledge.
package wallet
