package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/proof"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

var verifyTo = common.HexToAddress("0x00000000000000000000000000000000000000c1")

// verifyNode runs a node that does not mine, fed k blocks mined by the
// test (the first pays verifyTo 31337), and returns it with its genesis
// file and a function that mines more.
func verifyNode(t testing.TB, k int) (*node.Node, string, func(int)) {
	t.Helper()
	g := testchain.Genesis()
	g.ChainID = 4243
	n, err := node.New(node.Config{DataDir: t.TempDir(), Genesis: g, HTTPAddr: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		n.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	tc := &testchain.Chain{T: t, G: g, C: n.Chain}
	txs := []*proto.Tx{testchain.Transfer(t, g, 0, 0, verifyTo, 31337)}
	mine := func(k int) {
		for range k {
			if err := n.Chain.ProcessBlock(tc.MineOnHead(wallet.DevAddress(9), txs...)); err != nil {
				t.Fatal(err)
			}
			txs = nil
		}
	}
	mine(k)
	return n, testchain.WriteGenesis(t, g), mine
}

// TestBalanceVerify: balance --verify checks the node's headers and proof
// and names the block 6 under the head; a second run fetches only the
// new headers (one empty reply when there are none), and --max-headers
// bounds a run, the next one going on from where it stopped.
func TestBalanceVerify(t *testing.T) {
	n, gen, mine := verifyNode(t, 20)
	var headerReqs, headersGot atomic.Int64
	proxy := tamperProxy(t, n, func(path string, body []byte) []byte {
		if path == "/v1/headers" {
			var hs node.Headers
			json.Unmarshal(body, &hs)
			headerReqs.Add(1)
			headersGot.Add(int64(len(hs.Headers)))
		}
		return body
	})
	dir := t.TempDir()
	verify := func(args ...string) (string, string, int) {
		return runCLI(t, append([]string{"balance", verifyTo.Hex(), "--verify", "--rpc", proxy, "--genesis", gen, "--datadir", dir}, args...)...)
	}
	out, errOut, code := verify()
	want := fmt.Sprintf("%s balance 31337 nonce 0\nverified against block 14 (%s)\n", verifyTo.Hex(), hashAt(t, n, 14).Hex())
	if code != 0 || out != want {
		t.Fatalf("exit %d, stdout %q, stderr %q; want %q", code, out, errOut, want)
	}
	if headersGot.Load() != 20 || headerReqs.Load() != 1 {
		t.Fatalf("first run: %d headers in %d requests", headersGot.Load(), headerReqs.Load())
	}
	mine(3)
	out, _, code = verify("--json")
	var v struct {
		Balance        chain.Amount `json:"balance"`
		VerifiedHeight uint64       `json:"verified_height"`
		VerifiedBlock  common.Hash  `json:"verified_block"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v.Balance != 31337 || v.VerifiedHeight != 17 || v.VerifiedBlock != hashAt(t, n, 17) {
		t.Fatalf("after 3 more blocks: exit %d, %q", code, out)
	}
	if headersGot.Load() != 23 || headerReqs.Load() != 2 {
		t.Fatalf("second run: %d headers in %d requests in all", headersGot.Load(), headerReqs.Load())
	}

	dir = t.TempDir()
	for i := range 4 { // 23 headers, 8 a run
		_, errOut, code := verify("--max-headers", "8")
		if i < 2 && (code != 1 || !strings.Contains(errOut, "run again")) || i >= 2 && code != 0 {
			t.Fatalf("run %d with --max-headers 8: exit %d, %q", i, code, errOut)
		}
	}
	// A node without GET /v1/headers (a light node answers 404).
	light := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/status" {
			http.Redirect(w, r, proxy+r.URL.Path, http.StatusTemporaryRedirect)
			return
		}
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error": "no such endpoint on a light node: GET /v1/headers"}`))
	}))
	defer light.Close()
	if _, errOut, code := runCLI(t, "balance", verifyTo.Hex(), "--verify", "--rpc", light.URL, "--genesis", gen, "--datadir", t.TempDir()); code != 1 ||
		!strings.Contains(errOut, "--verify needs a full node") {
		t.Fatalf("against a node without /v1/headers: exit %d, %q", code, errOut)
	}
	if _, errOut, code := verify("--confirmations", "128"); code != 2 || !strings.Contains(errOut, "last 128 blocks") {
		t.Fatalf("--confirmations 128: exit %d, %q", code, errOut)
	}
	if _, errOut, code := runCLI(t, "balance", verifyTo.Hex(), "--verify", "--rpc", proxy, "--datadir", t.TempDir()); code != 1 ||
		!strings.Contains(errOut, "not 1337") {
		t.Fatalf("against the devnet genesis: exit %d, %q", code, errOut)
	}
}

func hashAt(t testing.TB, n *node.Node, height uint64) common.Hash {
	t.Helper()
	h, err := n.Chain.HashAt(height)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// tamperProxy serves n's API through edit, which gets each answer's path
// and body and returns the body to send.
func tamperProxy(t testing.TB, n *node.Node, edit func(path string, body []byte) []byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := url.URL{Scheme: "http", Host: n.HTTPAddr(), Path: r.URL.Path, RawQuery: r.URL.RawQuery}
		resp, err := http.Get(u.String())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.StatusCode)
		w.Write(edit(r.URL.Path, body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// editProof applies f to the account proof answers passing through.
func editProof(f func(ans *node.AccountProof, p *proof.AccountProof)) func(string, []byte) []byte {
	return func(path string, body []byte) []byte {
		if !strings.HasSuffix(path, "/proof") {
			return body
		}
		var ans node.AccountProof
		if err := json.Unmarshal(body, &ans); err != nil {
			return body
		}
		p, err := proof.DecodeAccountProof(ans.Raw)
		if err != nil {
			return body
		}
		f(&ans, p)
		ans.Raw = p.Encode()
		b, _ := json.Marshal(&ans)
		return b
	}
}

// TestBalanceVerifyTampered: an answer changed on its way (the balance
// the node states, the proven account, a sibling, the proof's header, a
// header of the chain) fails with exit 1 and says what did not hold.
func TestBalanceVerifyTampered(t *testing.T) {
	n, gen, _ := verifyNode(t, 20)
	cases := map[string]struct {
		edit func(string, []byte) []byte
		want string
	}{
		"stated balance": {editProof(func(ans *node.AccountProof, _ *proof.AccountProof) {
			ans.Account.Balance = 1_000_000
		}), "says balance 1000000 nonce 0 at block 14"},
		"proven balance": {editProof(func(_ *node.AccountProof, p *proof.AccountProof) {
			acct, _ := proto.DecodeAccount(p.Account)
			acct.Balance = 1_000_000
			p.Account = proto.Encode(acct)
		}), "does not verify against block 14"},
		"sibling": {editProof(func(_ *node.AccountProof, p *proof.AccountProof) {
			if len(p.Proof.Siblings) == 0 {
				panic("a proof with no siblings: nothing to tamper with")
			}
			p.Proof.Siblings[len(p.Proof.Siblings)-1][0] ^= 1
		}), "does not verify against block 14"},
		"proof's header": {editProof(func(_ *node.AccountProof, p *proof.AccountProof) {
			h, _ := proto.DecodeHeader(p.Header)
			h.StateRoot[0] ^= 1
			p.Header = h.Encode()
		}), "does not verify against block 14"},
		"a header": {func(path string, body []byte) []byte {
			if path != "/v1/headers" {
				return body
			}
			var hs node.Headers
			json.Unmarshal(body, &hs)
			if len(hs.Headers) > 5 {
				h, _ := proto.DecodeHeader(hs.Headers[4])
				h.Timestamp++
				hs.Headers[4] = hexutil.Bytes(h.Encode())
			}
			b, _ := json.Marshal(&hs)
			return b
		}, "fails the checks"}, // bad-pow at 5 or, when its hash still meets the easy target, no link at 6
	}
	for name, c := range cases {
		proxy := tamperProxy(t, n, c.edit)
		out, errOut, code := runCLI(t, "balance", verifyTo.Hex(), "--verify", "--rpc", proxy, "--genesis", gen, "--datadir", t.TempDir())
		if code != 1 || out != "" || !strings.Contains(errOut, c.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%s changed: exit %d, stdout %q, stderr %q; want %q", name, code, out, errOut, c.want)
		}
	}
	// The same proxy untouched: the answer verifies (the cases fail for
	// what they changed).
	proxy := tamperProxy(t, n, func(_ string, b []byte) []byte { return bytes.Clone(b) })
	if out, errOut, code := runCLI(t, "balance", verifyTo.Hex(), "--verify", "--rpc", proxy, "--genesis", gen, "--datadir", t.TempDir()); code != 0 ||
		!strings.Contains(out, "balance 31337") {
		t.Fatalf("untouched: exit %d, %q %q", code, out, errOut)
	}
}

// BenchmarkBalanceVerify: balance --verify from an empty header store
// against an in-process node holding 5,000 blocks, and again with the
// store up to date. http-bytes/header is what the headers requests read
// (JSON, hex); cpu-us/header the process's CPU time (the node serving
// and the CLI checking and storing, both in this process) per header.
func BenchmarkBalanceVerify(b *testing.B) {
	n, gen, _ := verifyNode(b, 5000)
	var bytesRead atomic.Int64
	proxy := tamperProxy(b, n, func(path string, body []byte) []byte {
		if path == "/v1/headers" {
			bytesRead.Add(int64(len(body)))
		}
		return body
	})
	for _, warm := range []bool{false, true} {
		name := map[bool]string{false: "cold", true: "warm"}[warm]
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			args := []string{"balance", verifyTo.Hex(), "--verify", "--rpc", proxy, "--genesis", gen, "--datadir", dir}
			if warm {
				runVerify(b, args)
			}
			bytesRead.Store(0)
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				if !warm {
					args[len(args)-1] = b.TempDir()
				}
				c0 := cpuTime(b)
				runVerify(b, args)
				cpu += cpuTime(b) - c0
			}
			if !warm {
				b.ReportMetric(float64(bytesRead.Load())/float64(b.N)/5000, "http-bytes/header")
				b.ReportMetric(float64(cpu.Microseconds())/float64(b.N)/5000, "cpu-us/header")
			} else {
				b.ReportMetric(float64(bytesRead.Load())/float64(b.N), "http-bytes/run")
				b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/run")
			}
		})
	}
}

func runVerify(b *testing.B, args []string) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), args, strings.NewReader(""), &out, &errb); code != 0 {
		b.Fatalf("exit %d: %s", code, errb.String())
	}
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
