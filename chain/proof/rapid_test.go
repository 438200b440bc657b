package proof_test

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"pgregory.net/rapid"

	"github.com/tinychain/tinychain/chain/proof"
	"github.com/tinychain/tinychain/chain/smt"
)

// none is an empty committed tree: the trees of these tests live in the
// smt.Tree's pending updates, which Prove reads like committed nodes.
type none struct{}

func (none) Get([]byte) ([]byte, bool, error) { return nil, false, nil }

func h32(s string) common.Hash { return crypto.Keccak256Hash([]byte(s)) }

func flip(k common.Hash, i int) common.Hash {
	k[i/8] ^= 0x80 >> uint(i%8)
	return k
}

// genKey draws keys that often share long prefixes (a few bases with a few
// bits flipped, often at the edges), and the odd unrelated one.
func genKey() *rapid.Generator[common.Hash] {
	bases := []common.Hash{h32("a"), h32("b"), {}}
	bitIdx := rapid.OneOf(rapid.SampledFrom([]int{0, 1, 7, 8, 127, 128, 254, 255}), rapid.IntRange(0, 255))
	return rapid.Custom(func(t *rapid.T) common.Hash {
		if rapid.IntRange(0, 5).Draw(t, "fresh") == 0 {
			return h32(rapid.StringN(1, 3, 3).Draw(t, "seed"))
		}
		k := rapid.SampledFrom(bases).Draw(t, "base")
		for n := rapid.IntRange(0, 3).Draw(t, "flips"); n > 0; n-- {
			k = flip(k, bitIdx.Draw(t, "bit"))
		}
		return k
	})
}

// tree builds the tree of model and returns it with its root.
func tree(t *rapid.T, model map[common.Hash]common.Hash) (*smt.Tree, common.Hash) {
	tr := smt.Open(none{}, []byte("s"))
	for k, v := range model {
		if err := tr.Update(k, v); err != nil {
			t.Fatalf("update: %v", err)
		}
	}
	root, err := tr.Root()
	if err != nil {
		t.Fatalf("root: %v", err)
	}
	return tr, root
}

func genModel(t *rapid.T) map[common.Hash]common.Hash {
	model := map[common.Hash]common.Hash{}
	for _, k := range rapid.SliceOfN(genKey(), 0, 24).Draw(t, "keys") {
		model[k] = h32(rapid.StringN(1, 2, 2).Draw(t, "value"))
	}
	return model
}

func prove(t *rapid.T, tr *smt.Tree, k common.Hash) *proof.SMT {
	p, err := tr.Prove(k)
	if err != nil {
		t.Fatalf("prove: %v", err)
	}
	return p
}

// TestEveryProofVerifies: the proof of every key, present or not, verifies
// for exactly what the tree holds, with the right ending.
func TestEveryProofVerifies(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		model := genModel(t)
		tr, root := tree(t, model)
		keys := rapid.SliceOfN(genKey(), 1, 8).Draw(t, "probe")
		for k := range model {
			keys = append(keys, k)
		}
		for _, k := range keys {
			p := prove(t, tr, k)
			v := model[k]
			term, err := proof.VerifySMT(root, k, v, p)
			if err != nil {
				t.Fatalf("proof of %x (present %v): %v", k, v != common.Hash{}, err)
			}
			if (term == proof.KeyLeaf) != (v != common.Hash{}) {
				t.Fatalf("terminal %d for present=%v", term, v != common.Hash{})
			}
			// The other claim about the same key is refused.
			other := common.Hash{}
			if v == (common.Hash{}) {
				other = h32("forged")
			}
			if _, err := proof.VerifySMT(root, k, other, p); !errors.Is(err, proof.ErrInvalid) {
				t.Fatalf("proof of %x verifies the opposite claim: %v", k, err)
			}
		}
	})
}

// TestProofsAreSound: whatever proof is offered (a real one, of any key,
// re-encoded with one byte flipped), with whatever key, value and root,
// it verifies only for what the tree truly holds under that root.
func TestProofsAreSound(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		model := genModel(t)
		tr, root := tree(t, model)
		p := prove(t, tr, genKey().Draw(t, "proven"))
		enc, err := rlp.EncodeToBytes(p)
		if err != nil {
			t.Fatal(err)
		}
		if rapid.Bool().Draw(t, "tamper") {
			i := rapid.IntRange(0, len(enc)-1).Draw(t, "byte")
			enc[i] ^= byte(rapid.IntRange(1, 255).Draw(t, "xor"))
		}
		var q proof.SMT
		if rlp.DecodeBytes(enc, &q) != nil {
			return // a flipped byte that breaks the encoding is refused there
		}
		key := genKey().Draw(t, "key")
		value := rapid.SampledFrom([]common.Hash{{}, model[key], h32("v")}).Draw(t, "value")
		r := root
		if rapid.IntRange(0, 3).Draw(t, "wrong root") == 0 {
			r = flip(root, rapid.IntRange(0, 255).Draw(t, "root bit"))
		}
		if _, err := proof.VerifySMT(r, key, value, &q); err == nil && (r != root || model[key] != value) {
			t.Fatalf("a proof verified a false claim: key %x value %x (tree holds %x), root changed %v",
				key, value, model[key], r != root)
		}
	})
}

// TestFlippedByteRejected: any one byte of a proof's encoding changed, the
// proof no longer verifies its key's true value.
func TestFlippedByteRejected(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		model := genModel(t)
		tr, root := tree(t, model)
		k := genKey().Draw(t, "key")
		enc, _ := rlp.EncodeToBytes(prove(t, tr, k))
		i := rapid.IntRange(0, len(enc)-1).Draw(t, "byte")
		enc[i] ^= byte(rapid.IntRange(1, 255).Draw(t, "xor"))
		var q proof.SMT
		if rlp.DecodeBytes(enc, &q) != nil {
			return
		}
		if _, err := proof.VerifySMT(root, k, model[k], &q); err == nil {
			t.Fatalf("byte %d flipped, still verifies", i)
		}
	})
}

func TestEmptyTree(t *testing.T) {
	tr := smt.Open(none{}, []byte("s"))
	k := h32("k")
	p, err := tr.Prove(k)
	if err != nil {
		t.Fatal(err)
	}
	if p.Depth != 0 || len(p.Siblings) != 0 || len(p.LeafKey) != 0 {
		t.Fatalf("empty tree proof %+v", p)
	}
	if term, err := proof.VerifySMT(common.Hash{}, k, common.Hash{}, p); err != nil || term != proof.Empty {
		t.Fatalf("empty tree: %v %v", term, err)
	}
	if _, err := proof.VerifySMT(h32("root"), k, common.Hash{}, p); err == nil {
		t.Fatal("empty proof verified against a non-empty root")
	}
}

// TestLongSharedPrefix: two keys that differ in the last bit hang at depth
// 256; each proof is 256 deep with one non-empty sibling, and a third key
// off their path is proven absent by the other leaf or an empty subtree.
func TestLongSharedPrefix(t *testing.T) {
	a := h32("x")
	b := flip(a, 255)
	tr := smt.Open(none{}, []byte("s"))
	for _, k := range []common.Hash{a, b} {
		if err := tr.Update(k, h32("v")); err != nil {
			t.Fatal(err)
		}
	}
	root, _ := tr.Root()
	p, _ := tr.Prove(a)
	if p.Depth != 256 || len(p.Siblings) != 1 || len(p.Bitmap) != 32 {
		t.Fatalf("depth %d, %d siblings, bitmap %d bytes", p.Depth, len(p.Siblings), len(p.Bitmap))
	}
	if _, err := proof.VerifySMT(root, a, h32("v"), p); err != nil {
		t.Fatal(err)
	}
	c := flip(a, 100)
	q, _ := tr.Prove(c)
	if term, err := proof.VerifySMT(root, c, common.Hash{}, q); err != nil || term != proof.Empty || q.Depth != 101 {
		t.Fatalf("absent key off a deep path: depth %d %v %v", q.Depth, term, err)
	}
	// A bitmap with a bit set past the depth, or padded, is refused.
	q.Bitmap[len(q.Bitmap)-1] |= 1
	if _, err := proof.VerifySMT(root, c, common.Hash{}, q); err == nil {
		t.Fatal("padding bit accepted")
	}
}
