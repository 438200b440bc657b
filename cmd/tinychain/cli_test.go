package main

// In-process tests of the command line: run() against a real node
// (node.New in t.TempDir(), its HTTP API on port 0, no p2p network).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/wallet"
)

// testNode starts a node in process on the easy genesis and returns its
// API URL; with mine it mines (one thread, rewards to dev key 9).
func testNode(t *testing.T, mine bool) string {
	t.Helper()
	g := testchain.Genesis()
	g.ChainID = 4242
	g.BlockIntervalMs = 500
	n, err := node.New(node.Config{
		DataDir: t.TempDir(), Genesis: g, HTTPAddr: "127.0.0.1:0",
		Mine: mine, MinerAddr: wallet.DevAddress(9), MineThreads: 1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		n.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return "http://" + n.HTTPAddr()
}

// syncBuffer is a bytes.Buffer that a test reads while a command writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runCLI runs the command line in process and returns stdout, stderr and the
// exit status.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return cliCtx(context.Background(), t, "", args...)
}

func cliCtx(ctx context.Context, t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(ctx, args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

const someAddr = "0x0000000000000000000000000000000000000001"

// TestUsageErrors: every usage error exits 2 with a one-line reason, before
// any node is asked.
func TestUsageErrors(t *testing.T) {
	dead := "http://127.0.0.1:1" // nothing listens: reaching it would say "cannot reach"
	cases := []struct {
		args []string
		says string
	}{
		{[]string{"frobnicate"}, "unexpected"},
		{[]string{"send", "--dev", "0", "--to", someAddr}, "amount"},
		{[]string{"send", "--rpc", dead, "--to", someAddr, "--amount", "1"}, "--from ADDR or --dev N"},
		{[]string{"send", "--rpc", dead, "--dev", "10", "--to", someAddr, "--amount", "1"}, "--dev 10"},
		{[]string{"send", "--rpc", dead, "--dev", "1", "--to", "0x1234", "--amount", "1"}, "--to"},
		{[]string{"send", "--rpc", dead, "--from", "nope", "--to", someAddr, "--amount", "1"}, "--from"},
		{[]string{"send", "--rpc", dead, "--dev", "1", "--to", someAddr, "--amount", "1.5"}, "--amount"},
		{[]string{"send", "--rpc", dead, "--dev", "1", "--to", someAddr, "--amount", "-1"}, "--amount"},
		{[]string{"send", "--rpc", dead, "--dev", "1", "--to", someAddr, "--amount", "1", "--wait", "--timeout", "0s"}, "--timeout"},
		{[]string{"balance", "--rpc", dead, "0x1234"}, "address"},
		{[]string{"account", "--rpc", dead, "0xzz"}, "address"},
		{[]string{"tx", "--rpc", dead, "0x12"}, "hash"},
		{[]string{"tx", "--rpc", dead}, "which tx"},
		{[]string{"tx", "--rpc", dead, "--from", someAddr}, "--nonce"},
		{[]string{"block", "--rpc", dead, "tip"}, "height"},
		{[]string{"eval", "--rpc", dead}, "--code FILE or --to CONTRACT"},
		{[]string{"eval", "--rpc", dead, "--to", someAddr, "--input-hex", "xyz"}, "--input-hex"},
		{[]string{"call", "--rpc", dead, "--dev", "1", "--to", "0x01"}, "--to"},
		{[]string{"vm", "run", "-", "--max-output", "0"}, "--max-output"},
		{[]string{"node", "--http", "8080"}, "--http"},
		{[]string{"node", "--http", "127.0.0.1:99999"}, "--http"},
		{[]string{"node", "--listen", "/ip4/1.2.3.4/tcpx/1"}, "--listen"},
		{[]string{"node", "--bootstrap", "/ip4/1.2.3.4/tcp/4001"}, "--bootstrap"},
		{[]string{"node", "--miner", "0x12"}, "--miner"},
		{[]string{"node", "--config", "/nonexistent.toml"}, "nonexistent"},
	}
	for _, c := range cases {
		_, errOut, code := cliCtx(context.Background(), t, "", c.args...)
		if code != exitUsage || !strings.Contains(errOut, c.says) {
			t.Errorf("%v: exit %d (want 2), stderr %q (want %q)", c.args, code, errOut, c.says)
		}
		if lines := strings.Count(strings.TrimSpace(errOut), "\n"); lines > 0 {
			t.Errorf("%v: want a one-line reason, got %q", c.args, errOut)
		}
	}
}

// TestTransportErrors: a refused connection is "cannot reach", a node
// that accepts and never answers is "no answer from", both exit 1.
func TestTransportErrors(t *testing.T) {
	_, errOut, code := runCLI(t, "status", "--rpc", "127.0.0.1:1")
	if code != exitError || !strings.Contains(errOut, "cannot reach the node at http://127.0.0.1:1") {
		t.Fatalf("refused: exit %d, %q", code, errOut)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accept and say nothing
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	_, errOut, code = runCLI(t, "status", "--rpc", ln.Addr().String(), "--rpc-timeout", "300ms")
	if code != exitError || !strings.Contains(errOut, "no answer from http://"+ln.Addr().String()) {
		t.Fatalf("silent: exit %d, %q", code, errOut)
	}
}

// TestHelpAndVersion: --help and version exit 0 with their text on stdout.
func TestHelpAndVersion(t *testing.T) {
	out, _, code := runCLI(t, "--help")
	if code != 0 || !strings.Contains(out, "Usage: tinychain") {
		t.Fatalf("--help: %d %q", code, out)
	}
	out, errOut, code := runCLI(t)
	if code != exitUsage || out != "" || !strings.Contains(errOut, "Usage: tinychain") {
		t.Fatalf("no command: %d %q %q", code, out, errOut)
	}
	out, _, code = runCLI(t, "version")
	if code != 0 || !strings.HasPrefix(out, "tinychain ") || !strings.Contains(out, "go1") {
		t.Fatalf("version: %d %q", code, out)
	}
	out, _, code = runCLI(t, "version", "--json")
	var bi buildInfo
	if code != 0 || json.Unmarshal([]byte(out), &bi) != nil || bi.Version == "" {
		t.Fatalf("version --json: %d %q", code, out)
	}
}

// TestSendPrintsHashFirst: send prints the hash at once, on stdout, or on
// stderr with --json so that stdout is one JSON document; a tx waited for
// shows its confirmations in `tx`; --rpc needs no scheme.
func TestSendPrintsHashFirst(t *testing.T) {
	url := testNode(t, true)
	to := wallet.DevAddress(5).Hex()
	out, errOut, code := runCLI(t, "send", "--rpc", url, "--dev", "1", "--to", to, "--amount", "10")
	f := strings.Fields(out)
	if code != 0 || len(f) != 2 || f[0] != "tx" || !strings.HasPrefix(f[1], "0x") {
		t.Fatalf("send: %d %q %q", code, out, errOut)
	}
	out, errOut, code = runCLI(t, "send", "--rpc", strings.TrimPrefix(url, "http://"), "--dev", "1", "--to", to,
		"--amount", "10", "--wait", "--json")
	var res sendResult
	dec := json.NewDecoder(strings.NewReader(out))
	if code != 0 || dec.Decode(&res) != nil || dec.More() || res.Receipt == nil || res.Status != "ok" {
		t.Fatalf("send --wait --json: %d stdout %q stderr %q", code, out, errOut)
	}
	if strings.TrimSpace(errOut) != "tx "+res.Hash.Hex() {
		t.Fatalf("send --json: stderr %q, want the hash", errOut)
	}
	out, _, code = runCLI(t, "tx", "--rpc", url, res.Hash.Hex())
	if code != 0 || !strings.Contains(out, "included, ") || !strings.Contains(out, "confirmation") {
		t.Fatalf("tx: %d %q", code, out)
	}
	out, _, code = runCLI(t, "block", "head", "--rpc", url)
	if code != 0 || !strings.HasPrefix(out, "block     ") {
		t.Fatalf("block head: %d %q", code, out)
	}
}

// TestWaitTimeout: a tx that is not included in --timeout says so with
// its hash and exits 1, never as a transport error (the old WaitTx lost
// this race to its own request about 4 times in 6).
func TestWaitTimeout(t *testing.T) {
	url := testNode(t, false)
	for i := range 6 {
		out, errOut, code := runCLI(t, "send", "--rpc", url, "--dev", "2", "--to", someAddr, "--amount", "1",
			"--wait", "--timeout", fmt.Sprintf("%dms", 300+50*i))
		hash := strings.Fields(out)[1]
		if code != exitError || !strings.Contains(errOut, "tx "+hash+" not included after ") ||
			strings.Contains(errOut, "cannot reach") || strings.Contains(errOut, "no answer") {
			t.Fatalf("try %d: exit %d, stdout %q, stderr %q", i, code, out, errOut)
		}
	}
}

// TestInterruptPrintsHash: cancelling the context (Ctrl-C) while waiting
// ends the wait with the hash.
func TestInterruptPrintsHash(t *testing.T) {
	url := testNode(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"send", "--rpc", url, "--dev", "3", "--to", someAddr, "--amount", "1",
			"--wait", "--timeout", "10m"}, strings.NewReader(""), &out, &errb)
	}()
	for !strings.Contains(out.String(), "waiting") {
		select {
		case code := <-done:
			t.Fatalf("send ended (%d) before waiting: %q %q", code, out.String(), errb.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	code := <-done
	hash := strings.Fields(out.String())[1]
	if code != exitError || !strings.Contains(errb.String(), "interrupted: tx "+hash) {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDeployStripsComments: deploy sends only the eight commands unless
// --keep-comments, and pays data gas for those alone.
func TestDeployStripsComments(t *testing.T) {
	url := testNode(t, true)
	src, err := os.ReadFile("../../examples/counter.bf")
	if err != nil {
		t.Fatal(err)
	}
	deploy := func(extra ...string) sendResult {
		t.Helper()
		args := append([]string{"deploy", "--rpc", url, "--dev", "4", "--code", "../../examples/counter.bf", "--wait", "--json"}, extra...)
		out, errOut, code := runCLI(t, args...)
		var r sendResult
		if code != 0 || json.Unmarshal([]byte(out), &r) != nil || r.Receipt == nil || r.Contract == nil {
			t.Fatalf("deploy %v: %d %q %q", extra, code, out, errOut)
		}
		return r
	}
	stripped, kept := deploy(), deploy("--keep-comments")
	if stripped.GasUsed >= kept.GasUsed {
		t.Fatalf("gas: stripped %d, kept %d", stripped.GasUsed, kept.GasUsed)
	}
	cl := node.NewClient(url)
	code, err := cl.Code(context.Background(), *stripped.Contract)
	if err != nil || string(code.Code) != string(stripComments(src)) {
		t.Fatalf("stored code %q (%v), want %q", code.Code, err, stripComments(src))
	}
	t.Logf("examples/counter.bf: %d gas stripped (%d bytes), %d with comments (%d bytes)",
		stripped.GasUsed, len(code.Code), kept.GasUsed, len(src))
	// The counter counts whichever way it was deployed.
	out, _, rc := runCLI(t, "call", "--rpc", url, "--dev", "4", "--to", stripped.Contract.Hex(), "--wait")
	if rc != 0 || !strings.Contains(out, "output    0x01\n") {
		t.Fatalf("call: %d %q", rc, out)
	}
}

// TestRunOutputShape: eval, vm run and call print a run the same way (hex,
// plus the text when printable), exit 3 when it ran out of gas or faulted,
// and --json escapes no '<'.
func TestRunOutputShape(t *testing.T) {
	url := testNode(t, true)
	hello := writeFile(t, "hello.bf", "++++++++[>++++++++<-]>+.+.")
	want := "status    ok\ngas used  %d\noutput    0x4142 \"AB\"\n"
	out, errOut, code := runCLI(t, "vm", "run", hello)
	var gas uint64
	fmt.Sscanf(out[strings.Index(out, "gas used")+len("gas used"):], "%d", &gas)
	if code != 0 || out != fmt.Sprintf(want, gas) {
		t.Fatalf("vm run: %d %q %q", code, out, errOut)
	}
	out, _, code = runCLI(t, "eval", "--rpc", url, "--code", hello)
	if code != 0 || !strings.Contains(out, "output    0x4142 \"AB\"\n") || !strings.HasPrefix(out, "status    ok\n") {
		t.Fatalf("eval: %d %q", code, out)
	}
	out, _, code = runCLI(t, "deploy", "--rpc", url, "--dev", "0", "--code", hello, "--wait", "--json")
	var dep sendResult
	if code != 0 || json.Unmarshal([]byte(out), &dep) != nil {
		t.Fatalf("deploy: %d %q", code, out)
	}
	out, _, code = runCLI(t, "call", "--rpc", url, "--dev", "0", "--to", dep.Contract.Hex(), "--wait")
	if code != 0 || !strings.Contains(out, "status    ok\n") || !strings.Contains(out, "output    0x4142 \"AB\"\n") {
		t.Fatalf("call: %d %q", code, out)
	}
	// '<' from the tape's left edge faults: exit 3, in all three.
	bad := writeFile(t, "bad.bf", "<")
	for _, args := range [][]string{
		{"vm", "run", bad},
		{"eval", "--rpc", url, "--code", bad},
		{"exec", "--rpc", url, "--dev", "1", "--code", bad, "--gas", "5000", "--wait"},
	} {
		out, errOut, code := runCLI(t, args...)
		if code != exitRunFailed || !strings.Contains(out, "status    fault\n") || !strings.Contains(errOut, "fault") {
			t.Errorf("%v: exit %d, %q %q", args[:2], code, out, errOut)
		}
	}
	out, _, code = runCLI(t, "vm", "run", hello, "--gas", "10", "--json")
	if code != exitRunFailed || !strings.Contains(out, `"status": "out_of_gas"`) || !strings.Contains(out, `"gas_used": 10`) {
		t.Fatalf("vm run out of gas: %d %q", code, out)
	}
	lt := writeFile(t, "lt.bf", strings.Repeat("+", '<')+".")
	out, _, code = runCLI(t, "vm", "run", lt, "--json")
	if code != 0 || !strings.Contains(out, `"output_text": "<"`) {
		t.Fatalf("vm run --json: %d %q", code, out)
	}
	out, _, code = runCLI(t, "eval", "--rpc", url, "--code", "-", "--json")
	if code != 0 || !strings.Contains(out, `"status": "ok"`) {
		t.Fatalf("eval stdin: %d %q", code, out)
	}
	if _, e, code := runCLI(t, "deploy", "--rpc", url, "--dev", "0", "--code", writeFile(t, "u.bf", "[[")); code != exitError || !strings.Contains(e, "unbalanced") {
		t.Fatalf("unbalanced deploy: %d %s", code, e)
	}
}

// TestKeystoreSend: wallet new, list, a send signed from the keystore, a
// wrong password, export.
func TestKeystoreSend(t *testing.T) {
	url := testNode(t, true)
	dir := t.TempDir()
	pw := writeFile(t, "pw", "correct horse\n")
	out, errOut, code := runCLI(t, "wallet", "new", "--datadir", dir, "--password-file", pw, "--light-kdf", "--json")
	var made struct{ Address, File string }
	if code != 0 || json.Unmarshal([]byte(out), &made) != nil || made.Address == "" {
		t.Fatalf("wallet new: %d %q %s", code, out, errOut)
	}
	if out, _, _ = runCLI(t, "wallet", "list", "--datadir", dir); !strings.Contains(out, made.Address) {
		t.Fatalf("wallet list: %q", out)
	}
	if _, e, c := runCLI(t, "send", "--rpc", url, "--dev", "2", "--to", made.Address, "--amount", "1000000", "--wait"); c != 0 {
		t.Fatalf("fund: %s", e)
	}
	if _, e, c := runCLI(t, "send", "--rpc", url, "--from", made.Address, "--datadir", dir, "--password-file", pw,
		"--to", wallet.DevAddress(3).Hex(), "--amount", "7", "--wait"); c != 0 {
		t.Fatalf("send from keystore: %s", e)
	}
	bad := writeFile(t, "bad", "wrong\n")
	if _, e, c := runCLI(t, "send", "--rpc", url, "--from", made.Address, "--datadir", dir, "--password-file", bad,
		"--to", wallet.DevAddress(3).Hex(), "--amount", "7"); c != exitError || !strings.Contains(e, "password") {
		t.Fatalf("wrong password: exit %d %q", c, e)
	}
	out, _, code = runCLI(t, "wallet", "export", made.Address, "--datadir", dir, "--password-file", pw)
	key, err := wallet.ParsePrivateKey(strings.TrimSpace(out))
	if code != 0 || err != nil || wallet.KeyAddress(key).Hex() != made.Address {
		t.Fatalf("export: %d %q %v", code, out, err)
	}
}

// TestQueryCommands: account, mempool, gas, tx --from --nonce, watch.
func TestQueryCommands(t *testing.T) {
	url := testNode(t, true)
	from := wallet.DevAddress(6)
	out, _, code := runCLI(t, "send", "--rpc", url, "--dev", "6", "--to", someAddr, "--amount", "77", "--wait", "--json")
	var sent sendResult
	if code != 0 || json.Unmarshal([]byte(out), &sent) != nil {
		t.Fatalf("send: %d %q", code, out)
	}
	out, _, code = runCLI(t, "account", "--rpc", url, from.Hex())
	if code != 0 || !strings.Contains(out, "nonce     1 ") || !strings.Contains(out, sent.Hash.Hex()) ||
		!strings.Contains(out, "code      none") {
		t.Fatalf("account: %d %q", code, out)
	}
	out, _, code = runCLI(t, "account", "--rpc", url, "0x0000000000000000000000000000000000000000", "--json")
	if code != 0 || !strings.Contains(out, `"tape_cells"`) {
		t.Fatalf("account --json: %d %q", code, out)
	}
	if out, _, code = runCLI(t, "mempool", "--rpc", url); code != 0 || !strings.HasPrefix(out, "mempool   ") {
		t.Fatalf("mempool: %d %q", code, out)
	}
	if out, _, code = runCLI(t, "gas", "--rpc", url); code != 0 || !strings.Contains(out, "suggested") {
		t.Fatalf("gas: %d %q", code, out)
	}
	out, errOut, code := runCLI(t, "tx", "--rpc", url, "--from", from.Hex(), "--nonce", "0")
	if code != 0 || !strings.Contains(out, sent.Hash.Hex()) || !strings.Contains(out, "(included, ") {
		t.Fatalf("tx --from --nonce: %d %q %q", code, out, errOut)
	}
	if _, errOut, code = runCLI(t, "tx", "--rpc", url, "--from", from.Hex(), "--nonce", "9"); code != exitError ||
		!strings.Contains(errOut, "no tx from") {
		t.Fatalf("tx --from --nonce 9: %d %q", code, errOut)
	}
	testWatch(t, url)
}

// testWatch follows the node's events until it has seen a head and a tx,
// then interrupts watch, which ends it cleanly.
func testWatch(t *testing.T, url string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"watch", "--rpc", url}, strings.NewReader(""), &out, &errb) }()
	sent := false
	for !strings.Contains(out.String(), "head  ") || !strings.Contains(out.String(), "tx    ") {
		select {
		case code := <-done:
			t.Fatalf("watch ended (%d): %q %q", code, out.String(), errb.String())
		case <-time.After(100 * time.Millisecond):
		}
		if !sent && strings.Contains(out.String(), "head  ") {
			if _, e, c := runCLI(t, "send", "--rpc", url, "--dev", "7", "--to", someAddr, "--amount", "1"); c != 0 {
				t.Fatalf("send: %s", e)
			}
			sent = true
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("watch after Ctrl-C: exit %d %q", code, errb.String())
	}
}

// TestConfigFile: node --config takes flag values from TOML; flags on the
// command line override them; a key that names no flag is a usage error.
func TestConfigFile(t *testing.T) {
	cfg := writeFile(t, "node.toml", `
datadir = "/from/file"
http = "127.0.0.1:0"
mine = true
mine-threads = 3
mdns = false
bootstrap = ["/ip4/10.0.0.1/tcp/4001/p2p/12D3KooWGzBkt6mfyvXhtgSmUsCSY2N8SXFDC8FEaWhmyqkvJBGP"]
log-level = "debug"
`)
	m := NewMain(strings.NewReader(""), io.Discard, io.Discard)
	if err := m.ParseFlags(context.Background(), []string{"node", "--config", cfg, "--mine-threads", "5", "--datadir", "/from/flag"}); err != nil {
		t.Fatal(err)
	}
	n := m.cli.Node
	if n.MineThreads != 5 || n.Datadir != "/from/flag" || n.HTTP != "127.0.0.1:0" || !n.Mine || n.MDNS ||
		len(n.Bootstrap) != 1 || n.LogLevel != "debug" || n.Genesis != "devnet" {
		t.Fatalf("parsed %+v", n)
	}
	bad := writeFile(t, "bad.toml", "mine-thread = 2\n")
	if _, e, code := runCLI(t, "node", "--config", bad); code != exitUsage || !strings.Contains(e, "mine-thread") {
		t.Fatalf("unknown key: %d %q", code, e)
	}
	wrong := writeFile(t, "wrong.toml", "mine-threads = \"many\"\n")
	if _, e, code := runCLI(t, "node", "--config", wrong); code != exitUsage || !strings.Contains(e, "mine-threads") {
		t.Fatalf("wrong type: %d %q", code, e)
	}
}

// TestConfigRunsNode runs `node --config` in process to the point where it
// serves its API, then interrupts it.
func TestConfigRunsNode(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, "node.toml", fmt.Sprintf("datadir = %q\nhttp = \"127.0.0.1:0\"\nlisten = [\"/ip4/127.0.0.1/tcp/0\"]\nmdns = false\ngenesis = %q\n",
		dir, testchain.WriteGenesis(t, testchain.Genesis())))
	ctx, cancel := context.WithCancel(context.Background())
	var errb syncBuffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"node", "--config", cfg}, strings.NewReader(""), io.Discard, &errb) }()
	for !strings.Contains(errb.String(), "node started") {
		select {
		case code := <-done:
			t.Fatalf("node exited %d: %s", code, errb.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "chaindata")); err != nil {
		t.Errorf("the node did not use the config's datadir: %v", err)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
}

// TestQueuedTx: a tx behind a nonce gap waits for the missing nonce; tx
// and --wait's timeout say which.
func TestQueuedTx(t *testing.T) {
	url := testNode(t, true)
	out, errOut, code := runCLI(t, "send", "--rpc", url, "--dev", "8", "--nonce", "2", "--to", someAddr, "--amount", "1",
		"--wait", "--timeout", "1s")
	f := strings.Fields(out)
	if code != exitError || len(f) < 2 || !strings.Contains(errOut, "tx "+f[1]+" not included after 1s") {
		t.Fatalf("send: %d %q %q", code, out, errOut)
	}
	hash := f[1]
	out, _, code = runCLI(t, "tx", "--rpc", url, hash)
	if code != 0 {
		t.Fatalf("tx: %d %q", code, out)
	}
	if !strings.Contains(out, "(queued, waiting for nonce 0)") || !strings.Contains(errOut, "(queued, waiting for nonce 0)") {
		t.Fatalf("tx: %q, send: %q", out, errOut)
	}
	out, _, code = runCLI(t, "tx", "--rpc", url, hash, "--json")
	var st node.TxInfo
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.Status != "queued" || st.WaitingForNonce == nil || *st.WaitingForNonce != 0 {
		t.Fatalf("tx --json: %d %q", code, out)
	}
}

// TestWatchJSON: watch --json prints one {"event", "data"} object a line.
func TestWatchJSON(t *testing.T) {
	url := testNode(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"watch", "--rpc", url, "--json", "--heads"}, strings.NewReader(""), &out, io.Discard)
	}()
	for strings.Count(out.String(), "\n") < 2 {
		select {
		case code := <-done:
			t.Fatalf("watch ended (%d): %q", code, out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	cancel()
	<-done
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var ev struct {
			Event string
			Data  node.Block
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Event != "head" || ev.Data.Hash == (node.Block{}).Hash {
			t.Fatalf("line %q: %v", line, err)
		}
	}
}

// TestDroppedTx: a tx replaced by one paying more shows as dropped with
// the reason, and tx --wait on it says so at once; tx --wait on a pending
// tx waits for it like send --wait.
func TestDroppedTx(t *testing.T) {
	url := testNode(t, false)
	send := func(price string) string {
		t.Helper()
		out, errOut, code := runCLI(t, "send", "--rpc", url, "--dev", "5", "--nonce", "0", "--gas-price", price,
			"--to", someAddr, "--amount", "1")
		if code != 0 {
			t.Fatalf("send at %s: %d %q", price, code, errOut)
		}
		return strings.Fields(out)[1]
	}
	first, second := send("1"), send("5")
	out, _, code := runCLI(t, "tx", "--rpc", url, first)
	if code != 0 || !strings.Contains(out, "(dropped: replaced by "+second) {
		t.Fatalf("tx: %d %q", code, out)
	}
	if _, errOut, code := runCLI(t, "tx", "--rpc", url, first, "--wait"); code != exitError || !strings.Contains(errOut, "dropped: replaced") {
		t.Fatalf("tx --wait on a dropped tx: %d %q", code, errOut)
	}
	if _, errOut, code := runCLI(t, "tx", "--rpc", url, second, "--wait", "--timeout", "300ms"); code != exitError ||
		!strings.Contains(errOut, "tx "+second+" not included after 300ms (pending)") {
		t.Fatalf("tx --wait on a pending tx: %d %q", code, errOut)
	}
}
