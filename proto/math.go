package proto

import "math/bits"

// AddU64 returns a+b and whether it did not overflow.
func AddU64(a, b uint64) (uint64, bool) {
	s, c := bits.Add64(a, b, 0)
	return s, c == 0
}

// SubU64 returns a-b and whether it did not underflow.
func SubU64(a, b uint64) (uint64, bool) {
	d, c := bits.Sub64(a, b, 0)
	return d, c == 0
}

// MulU64 returns a×b and whether it did not overflow.
func MulU64(a, b uint64) (uint64, bool) {
	hi, lo := bits.Mul64(a, b)
	return lo, hi == 0
}
