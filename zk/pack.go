package zk

import (
	"math/big"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	nativeposeidon2 "github.com/consensys/gnark-crypto/ecc/bn254/fr/poseidon2"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/hash/poseidon2"
)

// Packing: bytes go bytesPerElem to a field element, little-endian; code
// rows rowsPerElem to one, rowBits each. Hashes are Poseidon2 (BN254,
// gnark's Merkle-Damgård hasher with its default parameters) over a domain
// tag and the packed elements (about half the constraints of MiMC).
const (
	bytesPerElem = 31
	rowsPerElem  = 14
	tagCode      = 1
	tagTape      = 2
)

func init() { solver.RegisterHint(unpackHint) }

func field() *big.Int { return ecc.BN254.ScalarField() }

func packedLen(n int) int { return (n + bytesPerElem - 1) / bytesPerElem }

// packBytes packs range-checked byte variables.
func packBytes(api frontend.API, b []frontend.Variable) []frontend.Variable {
	return packBits(api, b, bytesPerElem, 8)
}

// packRows packs range-checked code rows.
func packRows(api frontend.API, rows []frontend.Variable) []frontend.Variable {
	return packBits(api, rows, rowsPerElem, rowBits)
}

func packBits(api frontend.API, v []frontend.Variable, per, width int) []frontend.Variable {
	var out []frontend.Variable
	for i := 0; i < len(v); i += per {
		var e frontend.Variable = 0
		for k := i; k < min(i+per, len(v)); k++ {
			e = api.Add(e, api.Mul(v[k], new(big.Int).Lsh(big.NewInt(1), uint(width*(k-i)))))
		}
		out = append(out, e)
	}
	return out
}

// unpackBytes splits packed elements into range-checked bytes.
func unpackBytes(api frontend.API, bytes *rangeTable, packed []frontend.Variable) []frontend.Variable {
	var out []frontend.Variable
	for _, e := range packed {
		b, err := api.Compiler().NewHint(unpackHint, bytesPerElem, e)
		if err != nil {
			panic(err)
		}
		for _, v := range b {
			bytes.check(v)
		}
		api.AssertIsEqual(e, packBytes(api, b)[0])
		out = append(out, b...)
	}
	return out
}

// unpackHint returns the little-endian bytes of its input.
func unpackHint(_ *big.Int, in []*big.Int, out []*big.Int) error {
	v := new(big.Int).Set(in[0])
	for i := range out {
		out[i].SetUint64(v.Uint64() & 0xff)
		v.Rsh(v, 8)
	}
	return nil
}

func hashPacked(api frontend.API, tag int, elems []frontend.Variable) frontend.Variable {
	h, err := poseidon2.New(api)
	if err != nil {
		panic(err)
	}
	h.Write(tag)
	h.Write(elems...)
	return h.Sum()
}

// Native counterparts.

func packBytesNative(b []byte, n int) []fr.Element {
	vals := make([]uint64, n)
	for i, c := range b {
		vals[i] = uint64(c)
	}
	return packNative(vals, bytesPerElem, 8)
}

func packNative(v []uint64, per, width int) []fr.Element {
	var out []fr.Element
	for i := 0; i < len(v); i += per {
		e := new(big.Int)
		for k := min(i+per, len(v)) - 1; k >= i; k-- {
			e.Lsh(e, uint(width)).Or(e, new(big.Int).SetUint64(v[k]))
		}
		var f fr.Element
		f.SetBigInt(e)
		out = append(out, f)
	}
	return out
}

func hashNative(tag int, elems []fr.Element) fr.Element {
	h := nativeposeidon2.NewMerkleDamgardHasher()
	var t fr.Element
	t.SetUint64(uint64(tag))
	b := t.Bytes()
	h.Write(b[:])
	for _, e := range elems {
		b := e.Bytes()
		h.Write(b[:])
	}
	var out fr.Element
	out.SetBytes(h.Sum(nil))
	return out
}
