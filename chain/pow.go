// Proof of work, block work and difficulty (ASERT).
//
// A block's proof of work holds when SHA-256 of its header, read as a
// big-endian 256-bit integer, is at most the header's target. The work a
// block adds to its chain is 2^256 / (target+1): the expected number of
// hashes needed to find it. Fork choice sums it.
//
// The target of every block is fixed by the chain before it, with ASERT
// (absolutely scheduled exponentially rising targets), in the integer-only
// form that Bitcoin Cash activated in November 2020 as "aserti3-2d". The
// schedule is absolute: block h is due at genesis time + h × spacing. For
// every half-life that the parent block is behind that schedule the target
// doubles (mining gets twice as easy); for every half-life ahead it halves:
//
//	target = anchor_target × 2^((parent_time − anchor_parent_time − spacing × (parent_height − anchor_height + 1)) / half_life)
//
// tinychain anchors at block 1 (see NextTarget in validate.go): block 1
// carries the genesis target, and its parent is taken to be one spacing
// before it, so a genesis older than the first mined block costs nothing.
//
// Why ASERT: a small network's hashrate swings by whole factors as nodes
// come and go. An every-N-blocks retarget (Bitcoin's 2016) stalls when
// miners leave: the remaining ones must grind through the rest of the
// window at the old, too-hard target, maybe for weeks. ASERT reacts at
// every block, depends only on the anchor and the parent (no window to
// game, no oscillation), and needs no history beyond the parent's height
// and time. Because the schedule is absolute, errors never accumulate: a
// chain that keeps to the schedule keeps the genesis target exactly.
//
// Everything here is consensus code: pure, integer-only (the 2^x factor is
// a fixed-point cubic, never floating point, so every node on every
// platform gets the same bits), and free of clocks and I/O.

package chain

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
)

// aserti3-2d constants. The exponent is a fixed-point number with 16
// fractional bits; 2^frac is approximated by a cubic with 48-bit
// coefficients, whose error against the true 2^x is below 0.013%.
const (
	asertFracBits = 16
	asertRadix    = 1 << asertFracBits // 65536: 1.0 in exponent units
	asertPolyA    = 195766423245049    // ≈ 0.695502049 × 2^48
	asertPolyB    = 971821376          // ≈ 0.2262698 × 2^32
	asertPolyC    = 5127               // ≈ 0.0782318 × 2^16
	asertPolyHalf = 1 << 47            // rounds the >> 48

	// asertExpLimit bounds the exponent we compute with. Any exponent
	// beyond ±2^40 (a shift of ±2^24 bits) already saturates the result
	// to powLimit or to 1, so clamping it there changes nothing and keeps
	// the arithmetic in int64 however extreme the inputs.
	asertExpLimit = int64(1) << 40
)

var (
	powBigOne      = big.NewInt(1)
	powTwoTo256    = new(big.Int).Lsh(powBigOne, 256)
	powMaxTarget   = new(big.Int).Sub(powTwoTo256, powBigOne) // 2^256 − 1
	powExpLimitBig = big.NewInt(asertExpLimit)
	powExpLimitNeg = big.NewInt(-asertExpLimit)
)

// ASERTTarget is the aserti3-2d target of the block that follows a parent
// block, relative to an anchor block whose target is anchorTarget:
//
//	timeDiff   = parent.time − time of the anchor's parent
//	heightDiff = parent.height − anchor.height (≥ 0)
//
// exactly as in the Bitcoin Cash specification and the Bitcoin Cash Node
// CalculateASERT. All time arguments share one unit (tinychain uses
// milliseconds; BCH seconds): the function is unit-agnostic. It computes
//
//	exponent = ((timeDiff − spacing × (heightDiff+1)) × 65536) / halfLife
//
// with the division truncating toward zero (C's and Go's /), then splits
// the exponent with an arithmetic (flooring) shift into shifts = exponent
// >> 16 and frac = exponent & 0xffff, so a negative exponent (blocks ahead
// of schedule, or timestamps going backwards) gets a negative shift and a
// frac in [0, 65536):
//
//	factor = 65536 + ((195766423245049×frac + 971821376×frac² + 5127×frac³ + 2^47) >> 48)
//	target = (anchorTarget × factor) << shifts >> 16     (the low bits fall off)
//
// clamped to [1, powLimit]. The products are exact (math/big), so no input
// overflows: where aserti3-2d is defined (powLimit < 2^224, |exponent|
// within int64) the result is bit-for-bit that of the reference, and
// beyond it the result saturates at powLimit or 1 as the reference would.
//
// Preconditions, checked with a panic because they are broken invariants
// (Genesis.Check validates a genesis up front): 0 < anchorTarget ≤
// powLimit < 2^256, spacing > 0, halfLife > 0, heightDiff ≥ 0. The result
// is a new big.Int that the caller owns.
func ASERTTarget(anchorTarget *big.Int, timeDiffMs int64, heightDiff int64, spacingMs, halfLifeMs int64, powLimit *big.Int) *big.Int {
	if err := asertParamsErr(anchorTarget, spacingMs, halfLifeMs, powLimit); err != nil {
		panic("chain: ASERTTarget: " + err.Error())
	}
	if heightDiff < 0 {
		panic(fmt.Sprintf("chain: ASERTTarget: negative height difference %d", heightDiff))
	}
	// excess = timeDiff − spacing × (heightDiff+1): how far the parent is
	// behind its scheduled time (negative: ahead of it).
	excess := new(big.Int).Add(big.NewInt(heightDiff), powBigOne)
	excess.Mul(excess, big.NewInt(spacingMs))
	excess.Sub(big.NewInt(timeDiffMs), excess)
	return asertFromExcess(anchorTarget, excess, halfLifeMs, powLimit)
}

func asertParamsErr(anchorTarget *big.Int, spacing, halfLife int64, powLimit *big.Int) error {
	switch {
	case powLimit == nil || powLimit.Sign() <= 0:
		return errors.New("pow_limit must be positive")
	case powLimit.Cmp(powMaxTarget) > 0:
		return errors.New("pow_limit exceeds 2^256-1")
	case anchorTarget == nil || anchorTarget.Sign() <= 0:
		return errors.New("target must be positive")
	case anchorTarget.Cmp(powLimit) > 0:
		return fmt.Errorf("target %#x above pow_limit %#x", anchorTarget, powLimit)
	case spacing <= 0:
		return fmt.Errorf("block_interval_ms must be positive, got %d", spacing)
	case halfLife <= 0:
		return fmt.Errorf("asert_half_life_ms must be positive, got %d", halfLife)
	}
	return nil
}

// asertFromExcess finishes aserti3-2d from the exponent's numerator,
// excess = timeDiff − spacing × (heightDiff+1). Inputs are validated.
func asertFromExcess(anchorTarget, excess *big.Int, halfLife int64, powLimit *big.Int) *big.Int {
	// exponent = (excess × 65536) / halfLife, truncated toward zero:
	// big.Int.Quo truncates, as C's / does in the reference.
	e := new(big.Int).Lsh(excess, asertFracBits)
	e.Quo(e, big.NewInt(halfLife))
	var exponent int64
	switch {
	case e.Cmp(powExpLimitBig) > 0:
		exponent = asertExpLimit
	case e.Cmp(powExpLimitNeg) < 0:
		exponent = -asertExpLimit
	default:
		exponent = e.Int64()
	}

	// Integer and fractional parts. >> on a signed int is an arithmetic
	// shift in Go (it floors), so exponent == shifts×65536 + frac with
	// frac in [0, 65536) also when the exponent is negative.
	shifts := exponent >> asertFracBits
	frac := uint64(uint16(exponent))
	factor := asertFactor(frac)

	next := new(big.Int).Mul(anchorTarget, new(big.Int).SetUint64(factor))
	shifts -= asertFracBits // divide by the 65536 that factor carries
	switch {
	case shifts <= 0:
		next.Rsh(next, uint(-shifts))
	case shifts > 256:
		// next ≥ 65536 before the shift, so it would exceed 2^256.
		return new(big.Int).Set(powLimit)
	default:
		next.Lsh(next, uint(shifts))
	}

	if next.Sign() == 0 {
		return next.SetInt64(1) // 0 is not a valid target; 1 is
	}
	if next.Cmp(powLimit) > 0 {
		return next.Set(powLimit)
	}
	return next
}

// asertFactor is 65536 × 2^(frac/65536), approximated by the aserti3-2d
// cubic, for frac in [0, 65536). The sum fits in 64 bits for every such
// frac (the test checks it against exact arithmetic), so uint64 is exact.
func asertFactor(frac uint64) uint64 {
	return asertRadix + ((asertPolyA*frac +
		asertPolyB*frac*frac +
		asertPolyC*frac*frac*frac +
		asertPolyHalf) >> 48)
}

// CalcWork is the work a block with this target adds to its chain:
// 2^256 / (target+1), the expected number of hashes to meet the target.
// The largest target, 2^256−1, is worth 1. A target of zero or below (or
// nil) is invalid, can only be met by luck, and is worth 0 work here;
// validation rejects such blocks before their work counts. A target above
// 2^256−1 (which a header cannot carry) is likewise worth 0.
func CalcWork(target *big.Int) *big.Int {
	if target == nil || target.Sign() <= 0 {
		return new(big.Int)
	}
	d := new(big.Int).Add(target, powBigOne)
	return d.Quo(powTwoTo256, d)
}

// CheckProofOfWork reports whether hash, read as a big-endian 256-bit
// integer, is at most target. A target of zero or below (or nil) is
// invalid and is never met, not even by the zero hash. It does not
// allocate, so miners may call it per nonce.
func CheckProofOfWork(hash [32]byte, target *big.Int) bool {
	if target == nil || target.Sign() <= 0 {
		return false
	}
	if target.BitLen() > 256 {
		return true
	}
	var t [32]byte
	target.FillBytes(t[:])
	return bytes.Compare(hash[:], t[:]) <= 0
}
