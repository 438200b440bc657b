package explorer_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tinychain/tinychain/node/explorer"
)

// findBrowser returns the Chromium on PATH, or "".
func findBrowser() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browse starts headless Chromium and returns its context.
func browse(t *testing.T) context.Context {
	browser := findBrowser()
	if browser == "" {
		t.Skip("no Chromium on PATH (Debian: apt-get install chromium); scripts/test installs it")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 120*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// jsResult is what the page's verifier said of one vector.
type jsResult struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Err     string `json:"err"`
	Hash    string `json:"hash"`
	Raw     string `json:"raw"`
	TxHash  string `json:"tx_hash"`
	Status  string `json:"status"`
	GasUsed string `json:"gas_used"`
	Account *struct {
		Nonce, Balance, CodeHash, TapeHash string
	} `json:"account"`
}

// runVectors verifies every vector with static/proof.js; not a
// ProofError (a bug, e.g. a TypeError) is reported in Err with "BUG".
const runVectors = `(async (vs) => {
  const P = TinyProof, out = [];
  for (const v of vs) {
    const r = { name: v.name, ok: true, err: '' };
    try {
      r.raw = P.toHex(v.kind === 'account' ? P.rawAccount(v.proof) : P.rawTx(v.proof));
    } catch (e) { r.raw = 'error: ' + e.message; }
    try {
      if (v.kind === 'account') {
        const a = await P.verifyAccount(v.proof, v.address);
        r.hash = P.toHex(a.hash);
        r.account = a.account && { Nonce: String(a.account.nonce), Balance: String(a.account.balance),
          CodeHash: P.toHex(a.account.code_hash), TapeHash: P.toHex(a.account.tape_hash) };
        P.checkPoW(a.header, a.hash);
      } else {
        const x = await P.verifyTx(v.proof);
        r.hash = P.toHex(x.hash);
        r.tx_hash = P.toHex(x.txHash);
        r.status = x.receipt.status_name;
        r.gas_used = String(x.receipt.gas_used);
        P.checkPoW(x.header, x.hash);
      }
    } catch (e) {
      r.ok = false;
      r.err = e instanceof P.ProofError ? e.message : 'BUG: ' + e.stack;
    }
    out.push(r);
  }
  return JSON.stringify(out);
})`

// serveExplorer serves the explorer's static files and the test's extra
// paths on 127.0.0.1 (a secure context: crypto.subtle is there).
func serveExplorer(t *testing.T, extra map[string][]byte) string {
	sub, err := fs.Sub(explorer.Static, "static")
	if err != nil {
		t.Fatal(err)
	}
	files := http.FileServer(http.FS(sub))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b, ok := extra[r.URL.Path]; ok {
			w.Write(b)
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

const blankPage = `<!doctype html><meta charset="utf-8"><title>proof.js</title><script src="/proof.js"></script><p>vectors</p>`

// TestProofVectorsInBrowser runs static/proof.js in headless Chromium on
// the committed vectors and on fresh ones from a new chain: it must give
// each the verdict chain/proof gives (accept every good proof with what
// it proves, reject every tampered copy chain/proof rejects), re-encode
// each JSON proof to its raw form, and agree with Go's Keccak-256 and
// SHA-256; once with crypto.subtle's SHA-256 and once with the embedded
// one (the page's fallback outside a secure context).
func TestProofVectorsInBrowser(t *testing.T) {
	ctx := browse(t)
	vectors := append(loadVectors(t), makeVectors(t)...)
	vjson, err := json.Marshal(vectors)
	if err != nil {
		t.Fatal(err)
	}
	base := serveExplorer(t, map[string][]byte{"/t.html": []byte(blankPage)})
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/t.html"), chromedp.WaitReady(chromedp.CSS(`p`))); err != nil {
		t.Fatal(err)
	}
	subtle, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`TinyProof.subtle`))
	if err != nil || !subtle {
		t.Fatalf("crypto.subtle not in use on %s: %v", base, err)
	}

	for _, useSubtle := range []bool{true, false} {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`TinyProof.subtle = %v`, useSubtle))); err != nil {
			t.Fatal(err)
		}
		out, err := chromedp.Run(ctx, chromedp.Evaluate[string](runVectors+"("+string(vjson)+")", chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		var res []jsResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		if len(res) != len(vectors) {
			t.Fatalf("%d results for %d vectors", len(res), len(vectors))
		}
		accepted, rejected := 0, 0
		for i, v := range vectors {
			r := res[i]
			switch {
			case strings.HasPrefix(r.Err, "BUG"):
				t.Errorf("%s: %s", v.Name, r.Err)
			case r.OK != v.Valid:
				t.Errorf("subtle %v, %s: proof.js says ok=%v (%s), chain/proof valid=%v (%s)", useSubtle, v.Name, r.OK, r.Err, v.Valid, v.Error)
			case r.Raw != v.Raw:
				t.Errorf("%s: proof.js re-encodes the JSON as %.40s…, raw is %.40s…", v.Name, r.Raw, v.Raw)
			}
			if !r.OK {
				rejected++
				continue
			}
			accepted++
			if r.Hash != strings.ToLower(v.BlockHash.Hex()) {
				t.Errorf("%s: block hash %s, want %s", v.Name, r.Hash, v.BlockHash.Hex())
			}
			switch v.Kind {
			case "account":
				if (r.Account == nil) != (v.Account == nil) {
					t.Errorf("%s: account %+v, want %+v", v.Name, r.Account, v.Account)
				} else if a := v.Account; a != nil && (r.Account.Nonce != fmt.Sprint(a.Nonce) || r.Account.Balance != fmt.Sprint(a.Balance) ||
					r.Account.CodeHash != strings.ToLower(a.CodeHash.Hex()) || r.Account.TapeHash != strings.ToLower(a.TapeHash.Hex())) {
					t.Errorf("%s: account %+v, want %+v", v.Name, r.Account, a)
				}
			case "tx":
				if r.TxHash != strings.ToLower(v.TxHash.Hex()) || r.Status != v.Status || r.GasUsed != fmt.Sprint(v.GasUsed) {
					t.Errorf("%s: tx %s %s %s, want %s %s %d", v.Name, r.TxHash, r.Status, r.GasUsed, v.TxHash.Hex(), v.Status, v.GasUsed)
				}
			}
		}
		t.Logf("subtle %v: %d accepted, %d rejected, as chain/proof", useSubtle, accepted, rejected)
	}

	// The hashes alone, against Go's, across block boundaries.
	for _, n := range []int{0, 3, 55, 56, 64, 135, 136, 137, 272, 1000, 100_000} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i*7 + n)
		}
		js := fmt.Sprintf(`(async () => { const d = TinyProof.hex(%q, 'd', 1e6); TinyProof.subtle = true;
		  const a = TinyProof.toHex(await TinyProof.sha256(d)); TinyProof.subtle = false;
		  return [TinyProof.toHex(TinyProof.keccak256(d)), a, TinyProof.toHex(await TinyProof.sha256(d))].join(' '); })()`, hexOf(data))
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(data)
		if want := hexOf(crypto.Keccak256(data)) + " " + hexOf(s[:]) + " " + hexOf(s[:]); got != want {
			t.Errorf("%d bytes: proof.js %s, Go %s", n, got, want)
		}
	}
}

// TestProofJSHostile feeds proof.js inputs past its bounds: each must be
// a ProofError (a reason), found before the work it would cost.
func TestProofJSHostile(t *testing.T) {
	ctx := browse(t)
	var acct, tx map[string]any
	for _, v := range loadVectors(t) {
		if v.Valid && v.Kind == "account" && acct == nil {
			json.Unmarshal(v.Proof, &acct)
		}
		if v.Valid && v.Kind == "tx" && tx == nil {
			json.Unmarshal(v.Proof, &tx)
		}
	}
	a := acct["address"].(string)
	base := serveExplorer(t, map[string][]byte{"/t.html": []byte(blankPage)})
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/t.html"), chromedp.WaitReady(chromedp.CSS(`p`))); err != nil {
		t.Fatal(err)
	}
	deep := []byte{0x80} // lists nested 40 deep, well formed
	for range 40 {
		deep = append([]byte{0xc0 + byte(len(deep))}, deep...)
	}
	cases := map[string]string{
		"header over 512 bytes":   fmt.Sprintf(`P.verifyAccount({...A, header: '0x' + 'ff'.repeat(513)}, %q)`, a),
		"odd hex":                 fmt.Sprintf(`P.verifyAccount({...A, account: '0x123'}, %q)`, a),
		"no 0x":                   fmt.Sprintf(`P.verifyAccount({...A, account: 'ff'}, %q)`, a),
		"depth 257":               fmt.Sprintf(`P.verifyAccount({...A, proof: {...A.proof, depth: 257}}, %q)`, a),
		"depth not an integer":    fmt.Sprintf(`P.verifyAccount({...A, proof: {...A.proof, depth: 1.5}}, %q)`, a),
		"300 siblings":            fmt.Sprintf(`P.verifyAccount({...A, proof: {...A.proof, siblings: Array(300).fill('0x' + '11'.repeat(32))}}, %q)`, a),
		"a sibling of 31 bytes":   fmt.Sprintf(`P.verifyAccount({...A, proof: {...A.proof, siblings: ['0x' + '11'.repeat(31)]}}, %q)`, a),
		"tape over 30000 cells":   fmt.Sprintf(`P.verifyAccount({...A, tape: '0x' + '01'.repeat(30001)}, %q)`, a),
		"account nested deep":     fmt.Sprintf(`P.verifyAccount({...A, account: %q}, %q)`, hexOf(deep), a),
		"account a bare string":   fmt.Sprintf(`P.verifyAccount({...A, account: '0x8401020304'}, %q)`, a),
		"length past the end":     fmt.Sprintf(`P.verifyAccount({...A, account: '0xbf' + 'ff'.repeat(8)}, %q)`, a),
		"proof missing":           fmt.Sprintf(`P.verifyAccount({...A, proof: null}, %q)`, a),
		"count 2^60":              `P.verifyTx({...X, count: 1152921504606846976})`,
		"65 hashes of tx path":    `P.verifyTx({...X, tx_path: Array(65).fill('0x' + '22'.repeat(32))})`,
		"tx over 1 MiB":           `P.verifyTx({...X, tx: '0x' + 'ab'.repeat((1 << 20) + 1)})`,
		"receipt unknown code":    `P.verifyTx({...X, receipt: '0xc5' + '02' + '09' + '80' + '09' + '80'})`,
		"answer over 8 MiB":       `P.readProofJSON(new Response('"' + 'x'.repeat(9 << 20) + '"'))`,
		"answer not JSON":         `P.readProofJSON(new Response('{'))`,
		"block JSON not integers": `Promise.resolve().then(() => P.headerFromJSON({version: 1, height: '1e3'}))`,
	}
	for name, expr := range cases {
		js := fmt.Sprintf(`(async () => { const P = TinyProof, A = %s, X = %s;
		  try { await %s; return 'accepted'; } catch (e) { return (e instanceof P.ProofError ? 'ProofError: ' : 'BUG: ') + e.message; } })()`,
			mustJSON(t, acct), mustJSON(t, tx), expr)
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.HasPrefix(got, "ProofError: ") {
			t.Errorf("%s: %s", name, got)
		} else {
			t.Logf("%s: %s", name, got)
		}
	}
}
