package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// clickProof opens page (a hash route) at base, clicks "Verify proof" and
// returns the proof line's text once the check is done, and its details.
func clickProof(t *testing.T, ctx context.Context, base, page string) (string, string) {
	t.Helper()
	done := `#proof-result .badge`
	// From a blank page: a hash change alone would leave the last page's
	// button on screen for a moment, and the click could land on it.
	err := chromedp.Do(ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(base+"/#"+page), chromedp.WaitVisible(chromedp.CSS(`#verify-proof`)),
		chromedp.Click(chromedp.CSS(`#verify-proof`)), chromedp.WaitVisible(chromedp.CSS(done)))
	if err != nil {
		t.Fatalf("%s: %v", page, err)
	}
	result, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#proof-result`)))
	if err != nil {
		t.Fatal(err)
	}
	detail, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#proof-detail`)))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(result), detail
}

// proofChain is a node fed 4 blocks: dev key 0 funds an address in block
// 1 and again in block 2, block 3 and 4 are empty; a never-funded address
// stays absent.
func proofChain(t *testing.T) (n *node.Node, funded, absent common.Address, tx1, tx2 *proto.Tx) {
	n, _ = startNode(t, false)
	funded = common.HexToAddress("0x00000000000000000000000000000000000000ef")
	absent = common.HexToAddress("0x00000000000000000000000000000000000000ee")
	tx1 = transfer(t, 77, 0, funded, 4321)
	tx2 = transfer(t, 77, 1, funded, 1000)
	mineOne(t, n, tx1)
	mineOne(t, n, tx2)
	mineOne(t, n)
	mineOne(t, n)
	return n, funded, absent, tx1, tx2
}

// TestExplorerVerifiesProofs: on a real node, the account page of a
// funded account, of an absent one and the page of a tx each check the
// node's proof in the browser (proof.js) and say what block it was
// verified against.
func TestExplorerVerifiesProofs(t *testing.T) {
	n, funded, absent, tx1, _ := proofChain(t)
	ctx := browse(t, findBrowserOrSkip(t))
	base := "http://" + n.HTTPAddr()

	res, detail := clickProof(t, ctx, base, "/account/"+strings.ToLower(funded.Hex()))
	if res != "proof: verified against block 4" || !strings.Contains(detail, "balance 5,321, nonce 0") {
		t.Errorf("funded account: %q / %q", res, detail)
	}
	res, detail = clickProof(t, ctx, base, "/account/"+strings.ToLower(absent.Hex()))
	if res != "proof: verified against block 4" || !strings.Contains(detail, "the account does not exist") {
		t.Errorf("absent account: %q / %q", res, detail)
	}
	res, detail = clickProof(t, ctx, base, "/account/"+strings.ToLower(wallet.DevAddress(0).Hex()))
	if res != "proof: verified against block 4" || !strings.Contains(detail, "nonce 2") {
		t.Errorf("dev key 0: %q / %q", res, detail)
	}
	res, detail = clickProof(t, ctx, base, "/tx/"+tx1.Hash().Hex())
	if res != "proof: verified against block 1" || !strings.Contains(detail, "3 later blocks (2–4) link to it") ||
		!strings.Contains(detail, "receipt status ok") {
		t.Errorf("tx: %q / %q", res, detail)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(artifactDir(t), "explorer-tx-proof.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	// A new head re-renders the tx page (a confirmation more); the result
	// stays.
	mineOne(t, n)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('tx-status')?.textContent.includes('5 confirmations')`)); err != nil {
		t.Fatalf("re-render: %v", err)
	}
	if s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#proof-result`))); err != nil || strings.TrimSpace(s) != "proof: verified against block 1" {
		t.Errorf("after a new head: %q %v", s, err)
	}
}

// lyingProxy is an HTTP proxy in front of n that passes everything but
// rewrites the JSON of proof answers with lie.
func lyingProxy(t *testing.T, n *node.Node, lie func(path string, v map[string]any)) string {
	target, _ := url.Parse("http://" + n.HTTPAddr())
	p := httputil.NewSingleHostReverseProxy(target)
	p.FlushInterval = -1 // the event stream
	p.ModifyResponse = func(r *http.Response) error {
		if !strings.HasSuffix(r.Request.URL.Path, "/proof") || r.StatusCode != http.StatusOK {
			return nil
		}
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return err
		}
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		lie(r.Request.URL.Path, v)
		if b, err = json.Marshal(v); err != nil {
			return err
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
		r.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	srv := httptest.NewServer(p)
	t.Cleanup(func() {
		srv.CloseClientConnections() // the browser's event stream
		srv.Close()
	})
	return srv.URL
}

// flipHash flips a bit of a 0x-hex hash string.
func flipHash(s any) string {
	h := common.HexToHash(s.(string))
	h[31] ^= 1
	return h.Hex()
}

// TestExplorerRejectsTamperedProofs: the same pages served through a
// proxy that lies in the proofs (a balance in the proven account, a
// sibling of the path, a hash of a tx's audit path, a field the node
// repeats for reading) show "proof FAILED" and why.
func TestExplorerRejectsTamperedProofs(t *testing.T) {
	n, funded, absent, tx1, tx2 := proofChain(t)
	ctx := browse(t, findBrowserOrSkip(t))
	type lie = func(path string, v map[string]any)
	proofOf := func(v map[string]any) map[string]any { return v["proof"].(map[string]any) }
	for _, c := range []struct {
		name, page, want string
		lie              lie
	}{
		{"balance byte in the proven account", "/account/" + funded.Hex(), "path leads to root", func(_ string, v map[string]any) {
			p := proofOf(v)
			acct, err := proto.DecodeAccount(hexutil.MustDecode(p["account"].(string)))
			if err != nil {
				t.Error(err)
				return
			}
			acct.Balance ^= 0x100 // the second byte of 5321 = 0x14c9
			p["account"] = hexutil.Encode(proto.Encode(acct))
			v["account"].(map[string]any)["balance"] = fmt.Sprint(acct.Balance)
		}},
		{"a sibling", "/account/" + absent.Hex(), "path leads to root", func(_ string, v map[string]any) {
			sibs := proofOf(v)["proof"].(map[string]any)["siblings"].([]any)
			sibs[len(sibs)-1] = flipHash(sibs[len(sibs)-1])
		}},
		{"a tx audit path hash", "/tx/" + tx2.Hash().Hex(), "tx: audit path leads to", func(_ string, v map[string]any) {
			path, _ := proofOf(v)["tx_path"].([]any) // null when empty
			if len(path) == 0 {                      // a block of one tx has an empty path: claim a second tx instead
				proofOf(v)["count"] = 2.0
				proofOf(v)["tx_path"] = []any{common.Hash{7}.Hex()}
				proofOf(v)["receipt_path"] = []any{common.Hash{7}.Hex()}
				return
			}
			path[0] = flipHash(path[0])
		}},
		{"the balance the node repeats", "/account/" + funded.Hex(), "the node says balance 1, the proof 5321", func(_ string, v map[string]any) {
			v["account"].(map[string]any)["balance"] = "1"
		}},
		{"the block a tx is in", "/tx/" + tx1.Hash().Hex(), "the node says block height 3, the proof 1", func(_ string, v map[string]any) {
			v["block_height"] = 3
		}},
	} {
		base := lyingProxy(t, n, c.lie)
		res, _ := clickProof(t, ctx, base, strings.ToLower(c.page))
		if !strings.HasPrefix(res, "proof FAILED: ") || !strings.Contains(res, c.want) {
			t.Errorf("%s: %q, want proof FAILED: …%s…", c.name, res, c.want)
		} else {
			t.Logf("%s: %s", c.name, res)
		}
	}
}

func findBrowserOrSkip(t *testing.T) string {
	b := findBrowser()
	if b == "" {
		t.Skip("no Chromium on PATH (Debian: apt-get install chromium); scripts/test installs it")
	}
	return b
}
