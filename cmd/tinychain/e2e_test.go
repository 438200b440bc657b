package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/wallet"
)

// The tests of this package (main_test) run the real binary: the crash,
// disk and testnet tests, the benchmarks and a few end-to-end ones; the
// others (package main) run the command line in process.

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

// tinychainBinary is the binary under test: $TINYCHAIN_BIN (scripts/test
// sets it to the bin/tinychain it builds), else one built once for this
// test run.
func tinychainBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		if p := os.Getenv("TINYCHAIN_BIN"); p != "" {
			binPath, binErr = filepath.Abs(p)
			return
		}
		if binDir, binErr = os.MkdirTemp("", "tinychain-cli"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "tinychain")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
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
	return startProcess(t, `node started"? http=(\S+)`, "node", args...)
}

// startProcess runs `tinychain cmd` (node or light) on 127.0.0.1 ports
// picked by the system and returns its API URL, read from the log line
// that ready matches (its first group is the HTTP address).
func startProcess(t testing.TB, ready, command string, args ...string) (string, *os.Process) {
	t.Helper()
	cmd := exec.Command(tinychainBinary(t), append([]string{command, "--http", "127.0.0.1:0", "--datadir", t.TempDir(),
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
		re := regexp.MustCompile(ready)
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
		t.Fatalf("%s exited: %s", command, last)
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not start", command)
	}
	return "", nil
}

// run runs the CLI and returns stdout, stderr and the exit code.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(tinychainBinary(t), args...)
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
	if !strings.Contains(errOut, "tx "+res.Hash) {
		t.Fatalf("send --json --wait: the hash is not on stderr: %q", errOut)
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
	out, _, code = run(t, "balance", "--rpc", strings.TrimPrefix(url, "http://"), to)
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

// TestInterruptWhileWaiting: Ctrl-C (SIGINT) during send --wait ends the
// wait, not the tx, and the message repeats the hash.
func TestInterruptWhileWaiting(t *testing.T) {
	url := startNode(t, "--genesis", writeEasyGenesis(t)) // not mining: the tx stays pending
	cmd := exec.Command(tinychainBinary(t), "send", "--rpc", url, "--dev", "1", "--to", wallet.DevAddress(2).Hex(),
		"--amount", "5", "--wait", "--timeout", "10m")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stdout)
	var hash string
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "tx" {
			hash = f[1]
		}
		if strings.HasPrefix(sc.Text(), "waiting") {
			break
		}
	}
	if hash == "" {
		t.Fatal("send printed no hash before waiting")
	}
	cmd.Process.Signal(os.Interrupt)
	go io.Copy(io.Discard, stdout)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v", err)
	}
	if e := errb.String(); !strings.Contains(e, "interrupted") || !strings.Contains(e, hash) {
		t.Fatalf("stderr %q: want the interrupt and the hash %s", e, hash)
	}
}
