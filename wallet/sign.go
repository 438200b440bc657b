package wallet

import (
	"crypto/ecdsa"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// SigSize is the size of a recoverable signature [R || S || V].
const SigSize = 65

var (
	secp256k1N     = crypto.S256().Params().N
	secp256k1HalfN = new(big.Int).Rsh(secp256k1N, 1)
)

// Sign signs hash with key: 65 bytes [R || S || V], V in {0, 1}, S in the
// lower half of the curve order (the only form Recover accepts).
func Sign(hash common.Hash, key *ecdsa.PrivateKey) ([SigSize]byte, error) {
	var out [SigSize]byte
	sig, err := crypto.Sign(hash[:], key)
	if err != nil {
		return out, err
	}
	// Both of go-ethereum's signers (libsecp256k1 with cgo, decred's
	// without) produce low-S already; normalise anyway, so the promise
	// does not rest on a library detail.
	s := new(big.Int).SetBytes(sig[32:64])
	if s.Cmp(secp256k1HalfN) > 0 {
		s.Sub(secp256k1N, s)
		s.FillBytes(sig[32:64])
		sig[64] ^= 1
	}
	copy(out[:], sig)
	return out, nil
}

// Recover returns the address that made sig over hash. It rejects V other
// than 0 or 1, R or S outside [1, N), and high S (S > N/2), which would
// otherwise give a second valid form of every signature.
func Recover(hash common.Hash, sig [SigSize]byte) (common.Address, error) {
	if sig[64] > 1 {
		return common.Address{}, ErrInvalidV
	}
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:64])
	if r.Sign() == 0 || r.Cmp(secp256k1N) >= 0 {
		return common.Address{}, ErrInvalidR
	}
	if s.Sign() == 0 || s.Cmp(secp256k1N) >= 0 {
		return common.Address{}, ErrInvalidS
	}
	if s.Cmp(secp256k1HalfN) > 0 {
		return common.Address{}, ErrHighS
	}
	pub, err := crypto.Ecrecover(hash[:], sig[:])
	if err != nil || len(pub) != 65 {
		return common.Address{}, ErrRecover
	}
	return common.BytesToAddress(crypto.Keccak256(pub[1:])[12:]), nil
}
