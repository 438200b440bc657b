package node_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// signedCode is a deploy or exec of code from dev key 0.
func signedCode(t *testing.T, kind proto.TxKind, nonce uint64, code string) *proto.Tx {
	t.Helper()
	tx := &proto.Tx{ChainID: 77, Nonce: nonce, Kind: kind, Data: []byte(code), GasPrice: 1}
	tx.GasLimit = chain.IntrinsicGas(tx) + 100_000
	var err error
	if tx.Sig, err = wallet.Sign(tx.SigHash(), wallet.DevKey(0)); err != nil {
		t.Fatal(err)
	}
	return tx
}

// TestExplorerCodeAndTxStatus opens the explorer in headless Chromium:
// contract code indented by bracket depth with its comments as written,
// a tx's status (queued waiting for a nonce, dropped with the reason,
// included with confirmations), a block's reward and gas used, the
// paging to older blocks and the world tape's exec txs.
func TestExplorerCodeAndTxStatus(t *testing.T) {
	browser := findBrowser()
	if browser == "" {
		t.Skip("no Chromium on PATH (Debian: apt-get install chromium); scripts/test installs it")
	}
	n, cl := startNode(t, false)
	commented, err := os.ReadFile(filepath.Join("..", "examples", "guestbook.bf"))
	if err != nil {
		t.Fatal(err)
	}
	withComments := signedCode(t, proto.KindDeploy, 0, string(commented))
	stripped := signedCode(t, proto.KindDeploy, 1, "++[>++[>+<-]<-]>>.")
	exec := signedCode(t, proto.KindExec, 2, "+>++")
	mined := mineOne(t, n, withComments, stripped, exec)
	for range 30 { // enough blocks for a second page on the home table
		mineOne(t, n)
	}
	res1, err := n.Chain.Tx(withComments.Hash())
	if err != nil || res1.Contract == nil {
		t.Fatalf("deploy: %v", err)
	}
	res2, err := n.Chain.Tx(stripped.Hash())
	if err != nil || res2.Contract == nil {
		t.Fatalf("deploy: %v", err)
	}
	// A queued tx (nonce 4 while the account is at 3), then one dropped by
	// its replacement.
	queued, dropped, repl := pricedTransfer(t, 4, 1), pricedTransfer(t, 5, 1), pricedTransfer(t, 5, 2)
	for _, tx := range []*proto.Tx{queued, dropped, repl} {
		if _, err := cl.SendTx(t.Context(), tx); err != nil {
			t.Fatal(err)
		}
	}
	base := "http://" + n.HTTPAddr()
	ctx := browse(t, browser)

	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`#live.on`))); err != nil {
		t.Fatal(err)
	}
	// text opens a page as a user does, by its link (the hash), and reads
	// sel on it. The shown page is cleared first, so that sel can only
	// match the new one (a page is rendered again when its hash is the
	// same). Full reloads would each leave an event stream to the node
	// open until the browser's six connections per host are taken.
	text := func(page, sel string) string {
		t.Helper()
		js := fmt.Sprintf(`document.getElementById('app').replaceChildren();
			if (location.hash === '#/%[1]s') route(); else location.hash = '#/%[1]s'; true`, page)
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	code := text("account/"+res1.Contract.Hex(), "#code")
	for _, want := range []string{
		"Guestbook: each call appends its input to the entries kept on the", // comment words keep their spaces
		">[>]        go to the end of what is written",                      // a line as written
	} {
		if !strings.Contains(code, want) {
			t.Errorf("code view lacks %q:\n%s", want, code)
		}
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		_ = os.WriteFile(filepath.Join(artifactDir(t), "explorer-code.png"), shot, 0o644)
	}
	code = text("account/"+res2.Contract.Hex(), "#code")
	if want := "++\n[\n  >++[>+<-]<-\n]\n>>."; strings.TrimSpace(code) != want {
		t.Errorf("stripped code laid out as\n%s\nwant\n%s", code, want)
	}

	if s := text("tx/"+queued.Hash().Hex(), "#tx-status"); !strings.Contains(s, "queued") || !strings.Contains(s, "waiting for nonce 3") {
		t.Errorf("queued tx status %q", s)
	}
	if s := text("tx/"+dropped.Hash().Hex(), "#tx-status"); !strings.Contains(s, "dropped") {
		t.Errorf("dropped tx status %q", s)
	}
	if s := text("tx/"+dropped.Hash().Hex(), "#reason"); !strings.Contains(s, "replaced by "+repl.Hash().Hex()) {
		t.Errorf("dropped tx reason %q", s)
	}
	confirmations := fmt.Sprintf("%d confirmations", n.Chain.Head().Header.Height-mined.Header.Height+1)
	if s := text("tx/"+exec.Hash().Hex(), "#tx-status"); !strings.Contains(s, "included") || !strings.Contains(s, confirmations) {
		t.Errorf("included tx status %q, want %q", s, confirmations)
	}

	g := n.Chain.Genesis()
	var gas, fees uint64
	rs, _ := n.Chain.Receipts(mined.Hash())
	for i, r := range rs {
		gas += r.GasUsed
		fees += r.GasUsed * mined.Txs[i].GasPrice
	}
	page := "block/" + mined.Hash().Hex()
	if s := text(page, "#reward"); s != commas(g.Reward(mined.Header.Height)+fees) {
		t.Errorf("block reward %q, want %s", s, commas(g.Reward(mined.Header.Height)+fees))
	}
	if s := text(page, "#gas-used"); s != commas(gas) {
		t.Errorf("block gas used %q, want %s", s, commas(gas))
	}

	// Home, then one page older: the blocks just below the home table.
	older := text("", "#older")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#older")),
		chromedp.WaitVisible(chromedp.CSS(`#blocks-page table#blocks tbody tr`))); err != nil {
		t.Fatalf("older blocks (%q): %v", older, err)
	}
	first, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#blocks-page table#blocks tbody tr a.height`)))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprint(n.Chain.Head().Header.Height - 20); strings.TrimSpace(first) != want {
		t.Errorf("the older page starts at %q, want %s", first, want)
	}

	if s := text("account/"+common.Address{}.Hex(), "table#account-txs"); !strings.Contains(s, exec.Hash().Hex()[:10]) {
		t.Errorf("world tape txs %q lack the exec %s", s, exec.Hash())
	}
}

// commas groups digits as the explorer does.
func commas(v uint64) string {
	s := fmt.Sprint(v)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
