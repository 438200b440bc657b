package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tinychain/tinychain/zk"
)

// TestVMProveVerify: a new user's path, at the smallest size: set up keys,
// prove hello.bf and a counter call from a stored tape, verify both, and
// see a changed statement and a changed proof byte fail.
func TestVMProveVerify(t *testing.T) {
	keys := t.TempDir()
	out, errs, code := runCLI(t, "vm", "setup", "--keys", keys, "--sizes", "10")
	if code != 0 || !strings.Contains(out, "sha256 0x") {
		t.Fatalf("setup: %d %s %s", code, out, errs)
	}
	dir := t.TempDir()
	hello := filepath.Join(dir, "hello.json")
	if out, errs, code := runCLI(t, "vm", "prove", "../../examples/hello.bf", "--keys", keys, "-o", hello); code != 0 {
		t.Fatalf("prove: %d %s %s", code, out, errs)
	}
	out, errs, code = runCLI(t, "vm", "verify", hello, "--vk", zk.VKFile(keys, zk.NewSize(10)), "--code", "../../examples/hello.bf")
	if code != 0 || !strings.Contains(out, `output "Hello World!\n"`) {
		t.Fatalf("verify: %d %s %s", code, out, errs)
	}

	tape := writeFile(t, "tape", "0x29")
	call, tapeOut := filepath.Join(dir, "call.json"), filepath.Join(dir, "tape.out")
	if out, errs, code := runCLI(t, "vm", "prove", "../../examples/counter.bf", "--call", "--tape-in", tape,
		"--tape-out", tapeOut, "--keys", keys, "-o", call); code != 0 {
		t.Fatalf("prove call: %d %s %s", code, out, errs)
	}
	if b, _ := os.ReadFile(tapeOut); string(b) != "\x2a" {
		t.Fatalf("tape out %x", b)
	}
	if out, errs, code := runCLI(t, "vm", "verify", call, "--keys", keys, "--json"); code != 0 || !strings.Contains(out, `"valid": true`) {
		t.Fatalf("verify call: %d %s %s", code, out, errs)
	}

	var p map[string]any
	b, _ := os.ReadFile(call)
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	p["statement"].(map[string]any)["output"] = "0x2b"
	b, _ = json.Marshal(p)
	bad := writeFile(t, "bad.json", string(b))
	if _, errs, code := runCLI(t, "vm", "verify", bad, "--keys", keys); code == 0 || !strings.Contains(errs, "invalid proof") {
		t.Fatalf("changed output verified: %d %s", code, errs)
	}
	b, _ = os.ReadFile(call)
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	proof := []byte(p["proof"].(string))
	for _, i := range []int{2, len(proof) / 2, len(proof) - 1} { // one hex digit of the first, a middle and the last byte
		q := append([]byte{}, proof...)
		q[i] = '0'
		if proof[i] == '0' {
			q[i] = '1'
		}
		p["proof"] = string(q)
		b, _ = json.Marshal(p)
		if _, errs, code := runCLI(t, "vm", "verify", writeFile(t, "badproof.json", string(b)), "--keys", keys); code == 0 || !strings.Contains(errs, "invalid proof") {
			t.Fatalf("proof changed at hex digit %d verified: %d %s", i, code, errs)
		}
	}
	if _, errs, code := runCLI(t, "vm", "prove", writeFile(t, "loop.bf", "+[]"), "--keys", keys, "-o", bad); code == 0 || !strings.Contains(errs, "largest size") {
		t.Fatalf("endless loop: %d %s", code, errs)
	}
}
