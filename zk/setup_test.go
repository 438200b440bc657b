package zk

import (
	"testing"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// TestFixedBase checks the setup's comb against gnark-crypto's batch
// scalar multiplication, on random scalars and the edge cases 0, 1, -1.
func TestFixedBase(t *testing.T) {
	scalars := make([]fr.Element, 300)
	for i := range scalars {
		if _, err := scalars[i].SetRandom(); err != nil {
			t.Fatal(err)
		}
	}
	scalars[0].SetZero()
	scalars[1].SetOne()
	scalars[2].SetOne()
	scalars[2].Neg(&scalars[2])
	scalars[3].SetUint64(1 << combBits)
	_, _, g1, g2 := curve.Generators()
	got1, want1 := fixedBaseG1(&g1, scalars), curve.BatchScalarMultiplicationG1(&g1, scalars)
	got2, want2 := fixedBaseG2(&g2, scalars), curve.BatchScalarMultiplicationG2(&g2, scalars)
	for i := range scalars {
		if !got1[i].Equal(&want1[i]) || !got2[i].Equal(&want2[i]) {
			t.Fatalf("scalar %d (%s): comb differs from gnark-crypto", i, scalars[i].String())
		}
	}
}
