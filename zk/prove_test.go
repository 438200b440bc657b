package zk

import (
	"bytes"
	"encoding/json"
	"sync"
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/tinychain/tinychain/vm"
)

// Keys for the smallest size, set up once per test binary with fresh
// randomness like any other setup: the tests need no known secret.
var (
	testKeysOnce sync.Once
	testKeys     *Keys
	testKeysErr  error
)

func mustKeys(t testing.TB) *Keys {
	t.Helper()
	testKeysOnce.Do(func() { testKeys, testKeysErr = Setup(small) })
	if testKeysErr != nil {
		t.Fatal(testKeysErr)
	}
	return testKeys
}

func mustProve(t testing.TB, k *Keys, r *Run) *ProofFile {
	t.Helper()
	p, err := Prove(k, r)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestProveVerify proves hello.bf and a contract call, checks that the
// proofs verify after a trip through JSON and the key files, and that no
// changed public field, proof byte or system name verifies.
func TestProveVerify(t *testing.T) {
	k := mustKeys(t)
	dir := t.TempDir()
	vh, err := k.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	vk, err := LoadVK(VKFile(dir, small))
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := VKHash(vk); !bytes.Equal(h, vh) {
		t.Fatal("the verifying key read back has another hash")
	}
	counter := mustRead(t, "../examples/counter.bf")
	runs := []*Run{
		mustRun(t, mustRead(t, "../examples/hello.bf"), nil, "", vm.Limits{Gas: 100000}),
		mustRun(t, counter, tapeOf(41), "", callLimits(counter, tapeOf(41), 1000)),
	}
	for _, r := range runs {
		p := mustProve(t, k, r)
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var back ProofFile
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if err := Verify(vk, &back); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(back.VKHash, vh) {
			t.Fatal("proof names another key")
		}
		for name, change := range statementChanges() {
			q := back
			q.Statement.Input = append([]byte{}, back.Statement.Input...)
			q.Statement.Output = append([]byte{}, back.Statement.Output...)
			change(&q.Statement)
			if err := Verify(vk, &q); err == nil {
				t.Errorf("%s changed: still verifies", name)
			}
		}
		for _, i := range []int{0, len(back.Proof) / 2, len(back.Proof) - 1} {
			q := back
			q.Proof = append([]byte{}, back.Proof...)
			q.Proof[i] ^= 1
			if err := Verify(vk, &q); err == nil {
				t.Errorf("proof byte %d changed: still verifies", i)
			}
		}
	}
}

// statementChanges change one public field each.
func statementChanges() map[string]func(*Statement) {
	flip := func(b []byte) []byte {
		c := append([]byte{}, b...)
		c[len(c)-1] ^= 1
		return c
	}
	return map[string]func(*Statement){
		"code hash":  func(s *Statement) { s.CodeHash = flip(s.CodeHash) },
		"tape in":    func(s *Statement) { s.TapeIn = flip(s.TapeIn) },
		"tape out":   func(s *Statement) { s.TapeOut = flip(s.TapeOut) },
		"input":      func(s *Statement) { s.Input = append(s.Input, 0) },
		"output":     func(s *Statement) { s.Output = flip(s.Output) },
		"output cut": func(s *Statement) { s.Output = s.Output[:len(s.Output)-1] },
		"gas limit":  func(s *Statement) { s.GasLimit++ },
		"load gas":   func(s *Statement) { s.LoadGas++ },
		"gas used":   func(s *Statement) { s.GasUsed-- },
		"status":     func(s *Statement) { s.Status = "fault" },
		"size":       func(s *Statement) { s.LogSteps = Logs[1] },
	}
}

// TestPublicWitness: Verify's public witness is the one gnark derives
// from the circuit's public fields.
func TestPublicWitness(t *testing.T) {
	r := mustRun(t, mustRead(t, "../examples/guestbook.bf"), tapeOf(0, 'h', 'i'), "yo", vm.Limits{Gas: 5000, LoadGas: 10})
	st := r.Statement(small)
	got, err := st.publicWitness()
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.assign()
	if err != nil {
		t.Fatal(err)
	}
	want, err := frontend.NewWitness(c, field(), frontend.PublicOnly())
	if err != nil {
		t.Fatal(err)
	}
	gb, _ := got.MarshalBinary()
	wb, _ := want.MarshalBinary()
	if !bytes.Equal(gb, wb) {
		t.Fatal("public witness differs from gnark's")
	}
}
