package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/wallet"
)

// binary is the tinychain binary built once for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tinychain-cli")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "tinychain")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// writeEasyGenesis writes a genesis on which blocks are mined instantly.
func writeEasyGenesis(t testing.TB) string {
	g := testchain.Genesis()
	g.ChainID = 4242
	g.BlockIntervalMs = 500
	return testchain.WriteGenesis(t, g)
}

// startNode runs `tinychain node` and returns its API URL.
func startNode(t testing.TB, args ...string) string {
	t.Helper()
	url, _ := startNodeProcess(t, args...)
	return url
}

// startNodeProcess runs `tinychain node` and returns its API URL and its
// process (the benchmarks read its memory use).
func startNodeProcess(t testing.TB, args ...string) (string, *os.Process) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"node", "--http", "127.0.0.1:0", "--datadir", t.TempDir(),
		"--listen", "/ip4/127.0.0.1/tcp/0", "--mdns=false"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	addr := make(chan string, 1)
	exited := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`node started"? http=(\S+)`)
		sc := bufio.NewScanner(stderr)
		var last string
		for sc.Scan() {
			last = sc.Text()
			if m := re.FindStringSubmatch(last); m != nil {
				addr <- m[1]
			}
		}
		exited <- last
	}()
	select {
	case a := <-addr:
		return "http://" + a, cmd.Process
	case last := <-exited:
		t.Fatalf("node exited: %s", last)
	case <-time.After(30 * time.Second):
		t.Fatal("node did not start")
	}
	return "", nil
}

// run runs the CLI and returns stdout, stderr and the exit code.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestSendWaitAndBalance(t *testing.T) {
	url := startNode(t, "--genesis", writeEasyGenesis(t), "--mine", "--miner", wallet.DevAddress(9).Hex(), "--mine-threads", "1")
	to := "0x00000000000000000000000000000000000000Dd"
	to = strings.ToLower(to)
	out, errOut, code := run(t, "send", "--rpc", url, "--dev", "1", "--to", to, "--amount", "4321", "--wait", "--json")
	if code != 0 {
		t.Fatalf("send exit %d: %s", code, errOut)
	}
	var res struct {
		Hash    string
		Block   string
		Height  uint64
		Status  string
		GasUsed uint64 `json:"gas_used"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("send --json output %q: %v", out, err)
	}
	if res.Block == "" || res.Status != "ok" || res.GasUsed != chain.TxGas {
		t.Fatalf("send result %+v", res)
	}
	// Read the balance back over HTTP, as a user would with curl.
	resp, err := http.Get(url + "/v1/accounts/" + to)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var acct node.Account
	if err := json.NewDecoder(resp.Body).Decode(&acct); err != nil {
		t.Fatal(err)
	}
	if acct.Balance != 4321 {
		t.Fatalf("balance %d, want 4321", acct.Balance)
	}
	out, _, code = run(t, "balance", "--rpc", url, to)
	if code != 0 || !strings.Contains(out, "balance 4321") {
		t.Fatalf("balance: %d %q", code, out)
	}
	out, _, code = run(t, "tx", "--rpc", url, res.Hash)
	if code != 0 || !strings.Contains(out, "included") {
		t.Fatalf("tx: %d %q", code, out)
	}
	out, _, code = run(t, "block", "--rpc", url, fmt.Sprint(res.Height))
	if code != 0 || !strings.Contains(out, res.Hash) {
		t.Fatalf("block: %d %q", code, out)
	}
	out, _, code = run(t, "peers", "--rpc", url)
	if code != 0 || !strings.Contains(out, "no peers") {
		t.Fatalf("peers: %d %q", code, out)
	}
	out, _, code = run(t, "status", "--rpc", url)
	if code != 0 || !strings.Contains(out, "4242") || !strings.Contains(out, "mining    yes") {
		t.Fatalf("status: %d %q", code, out)
	}
}

func TestKeystoreSend(t *testing.T) {
	url := startNode(t, "--genesis", writeEasyGenesis(t), "--mine", "--miner", wallet.DevAddress(9).Hex(), "--mine-threads", "1")
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("correct horse\n"), 0o600)
	out, errOut, code := run(t, "wallet", "new", "--datadir", dir, "--password-file", pw, "--light-kdf", "--json")
	if code != 0 {
		t.Fatalf("wallet new: %d %s", code, errOut)
	}
	var made struct{ Address, File string }
	if err := json.Unmarshal([]byte(out), &made); err != nil || made.Address == "" {
		t.Fatalf("wallet new output %q", out)
	}
	out, _, code = run(t, "wallet", "list", "--datadir", dir)
	if code != 0 || !strings.Contains(out, made.Address) {
		t.Fatalf("wallet list: %q", out)
	}
	// Fund the new key, then spend from it with the keystore.
	if _, e, c := run(t, "send", "--rpc", url, "--dev", "2", "--to", made.Address, "--amount", "1000000", "--wait"); c != 0 {
		t.Fatalf("fund: %s", e)
	}
	if _, e, c := run(t, "send", "--rpc", url, "--from", made.Address, "--datadir", dir, "--password-file", pw,
		"--to", wallet.DevAddress(3).Hex(), "--amount", "7", "--wait"); c != 0 {
		t.Fatalf("send from keystore: %s", e)
	}
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("wrong\n"), 0o600)
	if _, e, c := run(t, "send", "--rpc", url, "--from", made.Address, "--datadir", dir, "--password-file", bad,
		"--to", wallet.DevAddress(3).Hex(), "--amount", "7"); c != 1 || !strings.Contains(e, "password") {
		t.Fatalf("wrong password: exit %d %q", c, e)
	}
	out, _, code = run(t, "wallet", "export", made.Address, "--datadir", dir, "--password-file", pw)
	key, err := wallet.ParsePrivateKey(strings.TrimSpace(out))
	if code != 0 || err != nil || wallet.KeyAddress(key).Hex() != made.Address {
		t.Fatalf("export: %d %q %v", code, out, err)
	}
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		args []string
		code int
		says string
	}{
		{[]string{"send", "--dev", "0", "--to", "0x01"}, 2, "amount"},
		{[]string{"frobnicate"}, 2, "unexpected"},
		{[]string{"status", "--rpc", "http://127.0.0.1:1"}, 1, "cannot reach"},
		{[]string{"balance", "0x1234"}, 1, "address"},
		{[]string{"send", "--dev", "11", "--to", "0x0000000000000000000000000000000000000001", "--amount", "1"}, 1, "--dev"},
		{[]string{"node", "--genesis", "/nonexistent/genesis.json"}, 1, "genesis"},
	}
	for _, c := range cases {
		_, errOut, code := run(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.says) {
			t.Errorf("%v: exit %d (want %d), stderr %q", c.args, code, c.code, errOut)
		}
		if lines := strings.Count(strings.TrimSpace(errOut), "\n"); lines > 0 {
			t.Errorf("%v: want a one-line reason, got %q", c.args, errOut)
		}
	}
}

func TestContractCommands(t *testing.T) {
	url := startNode(t, "--genesis", writeEasyGenesis(t), "--mine", "--miner", wallet.DevAddress(9).Hex(), "--mine-threads", "1")
	dir := t.TempDir()
	counter := filepath.Join(dir, "counter.bf")
	os.WriteFile(counter, []byte("+."), 0o644)
	out, e, code := run(t, "deploy", "--rpc", url, "--dev", "0", "--code", counter, "--wait", "--json")
	var dep struct {
		Contract string
		Status   string
	}
	if code != 0 || json.Unmarshal([]byte(out), &dep) != nil || dep.Contract == "" || dep.Status != "ok" {
		t.Fatalf("deploy: %d %q %s", code, out, e)
	}
	for i := 1; i <= 2; i++ {
		out, e, code = run(t, "call", "--rpc", url, "--dev", "0", "--to", dep.Contract, "--wait", "--json")
		var r struct {
			Status  string
			Output  string
			GasUsed uint64 `json:"gas_used"`
			Error   string
		}
		if code != 0 || json.Unmarshal([]byte(out), &r) != nil || r.Status != "ok" || r.Output != fmt.Sprintf("0x%02x", i) {
			t.Fatalf("call %d: %d %q %s", i, code, out, e)
		}
	}
	// A faulting exec is included, and the CLI exits 3.
	bad := filepath.Join(dir, "bad.bf")
	os.WriteFile(bad, []byte("<"), 0o644)
	out, e, code = run(t, "exec", "--rpc", url, "--dev", "1", "--code", bad, "--gas", "5000", "--wait", "--json")
	if code != 3 || !strings.Contains(out, `"fault"`) {
		t.Fatalf("faulting exec: %d %q %s", code, out, e)
	}
	out, e, code = run(t, "eval", "--rpc", url, "--to", dep.Contract, "--json")
	if code != 0 || !strings.Contains(out, `"output": "0x03"`) {
		t.Fatalf("eval: %d %q %s", code, out, e)
	}
	hello := filepath.Join(dir, "hello.bf")
	os.WriteFile(hello, []byte("++++++++[>++++++++<-]>+.+."), 0o644)
	out, e, code = run(t, "vm", "run", hello)
	if code != 0 || out != "AB" || !strings.Contains(e, "gas used") {
		t.Fatalf("vm run: %d %q %q", code, out, e)
	}
	out, _, code = run(t, "vm", "run", hello, "--gas", "10", "--json")
	if code != 0 || !strings.Contains(out, `"out_of_gas"`) || !strings.Contains(out, `"gas_used": 10`) {
		t.Fatalf("vm run out of gas: %d %q", code, out)
	}
	if _, e, code = run(t, "vm", "run", "-", "--json"); code != 0 {
		t.Fatalf("vm run stdin: %d %s", code, e)
	}
	unbalanced := filepath.Join(dir, "unbalanced.bf")
	os.WriteFile(unbalanced, []byte("[["), 0o644)
	if _, e, code = run(t, "deploy", "--rpc", url, "--dev", "0", "--code", unbalanced); code != 1 || !strings.Contains(e, "unbalanced") {
		t.Fatalf("unbalanced deploy: %d %s", code, e)
	}
}
