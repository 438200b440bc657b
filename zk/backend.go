package zk

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// System names the proof system and circuit version in proof files.
const System = "tinychain-bf/groth16-bn254/v3"

// compressThreshold bounds the linear expressions the rows build (the
// program counter, pointer, gas), so a constraint never carries a long one.
const compressThreshold = 64

// Compile builds the constraint system of size s.
func Compile(s Size) (constraint.ConstraintSystem, error) {
	return frontend.Compile(field(), r1cs.NewBuilder, NewCircuit(s), frontend.WithCompressThreshold(compressThreshold))
}

// Keys are one size's constraint system and Groth16 keys.
type Keys struct {
	Size Size
	CS   constraint.ConstraintSystem
	PK   groth16.ProvingKey
	VK   groth16.VerifyingKey
}

// Setup compiles size s and runs Groth16's setup with fresh randomness
// from crypto/rand (gnark's groth16.Setup with a faster fixed-base
// multiplication: groth16Setup); the randomness is dropped when it
// returns. Whoever runs it could forge proofs for these keys, so a
// verifier trusts a verifying key by its hash, not by where it came from.
func Setup(s Size) (*Keys, error) {
	cs, err := Compile(s)
	if err != nil {
		return nil, err
	}
	r1cs, ok := cs.(*csbn254.R1CS)
	if !ok {
		return nil, fmt.Errorf("zk: constraint system is %T, want a BN254 R1CS", cs)
	}
	pk, vk, err := groth16Setup(r1cs)
	if err != nil {
		return nil, err
	}
	return &Keys{Size: s, CS: cs, PK: pk, VK: vk}, nil
}

// Key file names in a key directory.
func csFile(dir string, s Size) string {
	return filepath.Join(dir, fmt.Sprintf("bf-%d.ccs", s.LogSteps))
}
func pkFile(dir string, s Size) string {
	return filepath.Join(dir, fmt.Sprintf("bf-%d.pk", s.LogSteps))
}

// VKFile is the verifying key's file name for size s in dir.
func VKFile(dir string, s Size) string {
	return filepath.Join(dir, fmt.Sprintf("bf-%d.vk", s.LogSteps))
}

// Write stores the keys in dir and returns the verifying key's hash.
func (k *Keys) Write(dir string) ([]byte, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for path, w := range map[string]io.WriterTo{csFile(dir, k.Size): k.CS, pkFile(dir, k.Size): k.PK, VKFile(dir, k.Size): k.VK} {
		if err := writeFile(path, w); err != nil {
			return nil, err
		}
	}
	return VKHash(k.VK)
}

func writeFile(path string, w io.WriterTo) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := w.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// LoadKeys reads size s's keys from dir.
func LoadKeys(dir string, s Size) (*Keys, error) {
	k := &Keys{Size: s, CS: groth16.NewCS(ecc.BN254), PK: groth16.NewProvingKey(ecc.BN254)}
	for path, r := range map[string]io.ReaderFrom{csFile(dir, s): k.CS, pkFile(dir, s): k.PK} {
		if err := readFile(path, r); err != nil {
			return nil, fmt.Errorf("zk: keys for size %s: %w (run `tinychain vm setup`)", s, err)
		}
	}
	vk, err := LoadVK(VKFile(dir, s))
	if err != nil {
		return nil, err
	}
	k.VK = vk
	return k, nil
}

// LoadVK reads a verifying key file.
func LoadVK(path string) (groth16.VerifyingKey, error) {
	vk := groth16.NewVerifyingKey(ecc.BN254)
	if err := readFile(path, vk); err != nil {
		return nil, fmt.Errorf("zk: verifying key: %w", err)
	}
	return vk, nil
}

func readFile(path string, r io.ReaderFrom) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = r.ReadFrom(f)
	return err
}

// VKHash is the SHA-256 of the verifying key's encoding (gnark's
// compressed WriteTo): the name a verifier trusts a key by.
func VKHash(vk groth16.VerifyingKey) ([]byte, error) {
	var b bytes.Buffer
	if _, err := vk.WriteTo(&b); err != nil {
		return nil, err
	}
	h := sha256.Sum256(b.Bytes())
	return h[:], nil
}

// ProofFile is a proof with its statement, as `tinychain vm prove` writes
// it (docs/PROTOCOL.md, "Proofs of runs").
type ProofFile struct {
	System    string        `json:"system"`
	Statement Statement     `json:"statement"`
	VKHash    hexutil.Bytes `json:"vk_hash"` // the key it was made for
	Proof     hexutil.Bytes `json:"proof"`   // gnark's Groth16 proof encoding
}

// Prove proves the run with k's size.
func Prove(k *Keys, r *Run) (*ProofFile, error) {
	c, err := r.Assign(k.Size)
	if err != nil {
		return nil, err
	}
	w, err := frontend.NewWitness(c, field())
	if err != nil {
		return nil, err
	}
	proof, err := groth16.Prove(k.CS, k.PK, w)
	if err != nil {
		return nil, fmt.Errorf("zk: prove: %w", err)
	}
	var b bytes.Buffer
	if _, err := proof.WriteTo(&b); err != nil {
		return nil, err
	}
	vh, err := VKHash(k.VK)
	if err != nil {
		return nil, err
	}
	return &ProofFile{System: System, Statement: *r.Statement(k.Size), VKHash: vh, Proof: b.Bytes()}, nil
}

// ErrInvalid is returned for a proof that does not verify.
var ErrInvalid = errors.New("zk: invalid proof")

// Verify checks the proof of p's statement against vk, which must be the
// key for the statement's size.
func Verify(vk groth16.VerifyingKey, p *ProofFile) error {
	if p.System != System {
		return fmt.Errorf("zk: proof system %q, want %q", p.System, System)
	}
	w, err := p.Statement.publicWitness()
	if err != nil {
		return err
	}
	proof := groth16.NewProof(ecc.BN254)
	if _, err := proof.ReadFrom(bytes.NewReader(p.Proof)); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := groth16.Verify(proof, vk, w); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return nil
}
