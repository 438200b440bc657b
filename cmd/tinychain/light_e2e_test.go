package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	neturl "net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tinychain/tinychain/chain/proof"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// p2pAddr is the first listen address (with /p2p/<id>) of the node or
// light node at url, read with `tinychain status --json`.
func p2pAddr(t *testing.T, url string) string {
	t.Helper()
	out, errOut, code := run(t, "status", "--rpc", url, "--json")
	if code != 0 {
		t.Fatalf("status %s: exit %d: %s", url, code, errOut)
	}
	var st node.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	for _, a := range st.ListenAddrs {
		if strings.HasPrefix(a, "/ip4/127.0.0.1/tcp/") {
			return a
		}
	}
	t.Fatalf("%s listens on %v: no 127.0.0.1 tcp address", url, st.ListenAddrs)
	return ""
}

// eventually runs the CLI with args until it exits 0 and returns its
// output; it gives up (failing the test) a minute before the test's
// deadline, or after 5 minutes without one, with the last answer.
func eventually(t *testing.T, args ...string) string {
	t.Helper()
	return eventuallySays(t, "", args...)
}

// eventuallySays is eventually until the output holds want too.
func eventuallySays(t *testing.T, want string, args ...string) string {
	t.Helper()
	end := time.Now().Add(5 * time.Minute)
	if d, ok := t.Deadline(); ok {
		end = d.Add(-time.Minute)
	}
	for {
		out, errOut, code := run(t, args...)
		if code == 0 && strings.Contains(out, want) {
			return out
		}
		if time.Now().After(end) {
			t.Fatalf("%v: exit %d: %s%s; want %q", args, code, out, errOut, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestLightNodeCLI: two real full nodes (one mining, one following it),
// a real `tinychain light` bootstrapped to both, a transfer sent with the
// CLI to a full node; then balance and tx with --rpc at the light node
// give the full nodes' answers, verified against headers 6 blocks deep,
// and the light node's status says so.
func TestLightNodeCLI(t *testing.T) {
	gen := writeEasyGenesis(t)
	a := startNode(t, "--genesis", gen, "--mine", "--miner", wallet.DevAddress(9).Hex(), "--mine-threads", "1")
	b := startNode(t, "--genesis", gen, "--bootstrap", p2pAddr(t, a))
	l, _ := startProcess(t, `light node started.* http=(\S+)`, "light", "--genesis", gen,
		"--bootstrap", p2pAddr(t, a), "--bootstrap", p2pAddr(t, b))

	to := "0x00000000000000000000000000000000000000d1"
	out, errOut, code := run(t, "send", "--rpc", a, "--dev", "1", "--to", to, "--amount", "4321", "--wait", "--json")
	if code != 0 {
		t.Fatalf("send exit %d: %s", code, errOut)
	}
	var sent struct{ Hash string }
	if err := json.Unmarshal([]byte(out), &sent); err != nil {
		t.Fatal(err)
	}

	// The light node answers a tx only 6 blocks deep: until then, 404.
	var lt node.TxStatus
	if err := json.Unmarshal([]byte(eventually(t, "tx", "--rpc", l, sent.Hash, "--json")), &lt); err != nil {
		t.Fatal(err)
	}
	// The full node B, once it has the block: the same tx, block and receipt.
	var ft node.TxStatus
	if err := json.Unmarshal([]byte(eventually(t, "tx", "--rpc", b, sent.Hash, "--json")), &ft); err != nil {
		t.Fatal(err)
	}
	if lt.Status != "included" || *lt.Block != *ft.Block || *lt.Height != *ft.Height || *lt.Index != *ft.Index ||
		lt.Receipt.Status != "ok" || lt.Receipt.GasUsed != ft.Receipt.GasUsed || lt.Tx.Hash != ft.Tx.Hash ||
		lt.Tx.Value != ft.Tx.Value || *lt.Confirmations < 6 {
		t.Fatalf("light tx %+v\nfull tx %+v", lt, ft)
	}
	text, _, code := run(t, "tx", "--rpc", l, sent.Hash)
	if code != 0 || !strings.Contains(text, "included") || !strings.Contains(text, ft.Block.Hex()) {
		t.Fatalf("tx at the light node: %d %q", code, text)
	}

	// The balance, verified 6 blocks under the light node's tip: the
	// transfer is in it (it is 6 deep), as both full nodes say.
	lb := eventually(t, "balance", "--rpc", l, to)
	for _, u := range []string{a, b} {
		if fb, _, code := run(t, "balance", "--rpc", u, to); code != 0 || fb != lb {
			t.Fatalf("balance at %s: %d %q; at the light node %q", u, code, fb, lb)
		}
	}
	if !strings.Contains(lb, "balance 4321 nonce 0") {
		t.Fatalf("balance at the light node: %q", lb)
	}
	// What the CLI's JSON leaves out: the light node's own fields.
	var st struct {
		Light         bool   `json:"light"`
		Confirmations uint64 `json:"confirmations"`
		FullNodes     int    `json:"full_nodes"`
	}
	getJSON(t, l+"/v1/status", &st)
	if !st.Light || st.Confirmations != 6 || st.FullNodes != 2 {
		t.Fatalf("light status %+v", st)
	}
	var vt struct {
		VerifiedBlock string `json:"verified_block"`
		ProofFrom     string `json:"proof_from"`
	}
	getJSON(t, l+"/v1/txs/"+sent.Hash, &vt)
	if !strings.EqualFold(vt.VerifiedBlock, ft.Block.Hex()) ||
		(!strings.HasSuffix(p2pAddr(t, a), "/p2p/"+vt.ProofFrom) && !strings.HasSuffix(p2pAddr(t, b), "/p2p/"+vt.ProofFrom)) {
		t.Fatalf("light tx verified against %+v, want block %s from a full node", vt, ft.Block)
	}
	if out, _, code := run(t, "status", "--rpc", l); code != 0 || !strings.Contains(out, "chain     4242") {
		t.Fatalf("status at the light node: %d %q", code, out)
	}
	// A light node holds the header of the tx's block, not its body.
	if out, _, code := run(t, "block", "--rpc", l, ft.Block.Hex()); code != 0 || !strings.Contains(out, "block     "+fmt.Sprint(*ft.Height)) ||
		!strings.Contains(out, "not held here") || strings.Contains(out, "size") {
		t.Fatalf("block at the light node: %d %q", code, out)
	}
	if out, _, code := run(t, "block", "--rpc", b, ft.Block.Hex()); code != 0 || !strings.Contains(out, sent.Hash) {
		t.Fatalf("block at the full node: %d %q", code, out)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// TestBalanceVerifyBinary: the real binary's balance --verify against a
// real mining full node names a block of the node's chain 6 or more under
// its head, and through a proxy that raises the proven balance it exits 1
// saying the proof does not verify.
func TestBalanceVerifyBinary(t *testing.T) {
	gen := writeEasyGenesis(t)
	url := startNode(t, "--genesis", gen, "--mine", "--miner", wallet.DevAddress(9).Hex(), "--mine-threads", "1")
	to := "0x00000000000000000000000000000000000000d2"
	if _, errOut, code := run(t, "send", "--rpc", url, "--dev", "1", "--to", to, "--amount", "777", "--wait"); code != 0 {
		t.Fatalf("send: exit %d: %s", code, errOut)
	}
	dir := t.TempDir()
	// Until the transfer is 6 deep.
	out := eventuallySays(t, "balance 777 ", "balance", to, "--verify", "--rpc", url, "--genesis", gen, "--datadir", dir)
	m := regexp.MustCompile(`verified against block (\d+) \((0x[0-9a-fA-F]{64})\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("balance --verify: %q", out)
	}
	var b node.Block
	blk, _, code := run(t, "block", m[1], "--rpc", url, "--json")
	if code != 0 || json.Unmarshal([]byte(blk), &b) != nil || !strings.EqualFold(b.Hash.Hex(), m[2]) {
		t.Fatalf("verified against block %s %s; the node's block there: %q", m[1], m[2], blk)
	}
	var st node.Status
	getJSON(t, url+"/v1/status", &st)
	if st.Height < b.Height+6 {
		t.Fatalf("verified against block %d with the head at %d", b.Height, st.Height)
	}

	target, _ := neturl.Parse(url)
	proxy := httptest.NewServer(&httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(target) },
		ModifyResponse: func(resp *http.Response) error {
			if !strings.HasSuffix(resp.Request.URL.Path, "/proof") {
				return nil
			}
			var ans node.AccountProof
			if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
				return err
			}
			p, err := proof.DecodeAccountProof(ans.Raw)
			if err != nil {
				return err
			}
			acct, _ := proto.DecodeAccount(p.Account)
			acct.Balance, ans.Account.Balance = 7770, 7770
			p.Account = proto.Encode(acct)
			ans.Raw = p.Encode()
			body, _ := json.Marshal(&ans)
			resp.Body = io.NopCloser(bytes.NewReader(body))
			resp.ContentLength = int64(len(body))
			resp.Header.Del("Content-Length")
			return nil
		},
	})
	defer proxy.Close()
	out, errOut, code := run(t, "balance", to, "--verify", "--rpc", proxy.URL, "--genesis", gen, "--datadir", dir)
	if code != 1 || out != "" || !strings.Contains(errOut, "the node's proof does not verify against block") {
		t.Fatalf("through a lying proxy: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
