package node_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tinychain/tinychain/chain/miner"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// mineOne builds a block of txs on n's head, solves it and imports it, so
// the test knows exactly which block is the head.
func mineOne(t *testing.T, n *node.Node, txs ...*proto.Tx) *proto.Block {
	t.Helper()
	b := solveOn(t, n, txs...)
	if err := n.Chain.ProcessBlock(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// solveOn builds and solves a block of txs on n's head without importing it.
func solveOn(t *testing.T, n *node.Node, txs ...*proto.Tx) *proto.Block {
	t.Helper()
	tpl, err := n.Chain.NewTemplate()
	if err != nil {
		t.Fatal(err)
	}
	ts := max(uint64(time.Now().UnixMilli()), tpl.Parent.Timestamp+1)
	b, _, err := miner.Assemble(tpl, n.Chain.Genesis(), wallet.DevAddress(3), ts, txs)
	tpl.Release()
	if err != nil {
		t.Fatal(err)
	}
	var hashes atomic.Uint64
	miner.Solve(context.Background(), &b.Header, 1, &hashes)
	return b
}

// artifactDir is where tests leave files for people to look at:
// $ARTIFACTS_DIR (scripts/test sets it), else a temp dir.
func artifactDir(t *testing.T) string {
	dir := os.Getenv("ARTIFACTS_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "tinychain-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// findBrowser returns the Chromium on PATH, or "".
func findBrowser() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browse starts headless Chromium for the test and returns its context.
func browse(t *testing.T, browser string) context.Context {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestExplorerInBrowser opens the explorer of a real node in headless
// Chromium: the home page lists the head block, clicking it opens the
// block page with its transaction, and a block mined afterwards appears
// without a reload (the /v1/events stream).
func TestExplorerInBrowser(t *testing.T) {
	browser := findBrowser()
	if browser == "" {
		t.Skip("no Chromium on PATH (Debian: apt-get install chromium); scripts/test installs it")
	}
	n, _ := startNode(t, false)
	ctx := browse(t, browser)
	mineOne(t, n)
	tx := transfer(t, 77, 0, wallet.DevAddress(5), 1234)
	head := mineOne(t, n, tx)
	base := "http://" + n.HTTPAddr()

	headLink := chromedp.CSS(fmt.Sprintf(`table#blocks tbody tr a.height[href="#/block/%s"]`, head.Hash()))
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(headLink),
		chromedp.WaitVisible(chromedp.CSS(`#live.on`)), // the event stream is open
	)
	if err != nil {
		t.Fatalf("home page: %v", err)
	}
	heightText, err := chromedp.Run(ctx, chromedp.Text(headLink))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(headLink), chromedp.WaitVisible(chromedp.CSS(`table#txs tbody tr`))); err != nil {
		t.Fatalf("block page: %v", err)
	}
	title, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`h1`)))
	if err != nil {
		t.Fatal(err)
	}
	txTable, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`table#txs`)))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprint(head.Header.Height); strings.TrimSpace(heightText) != want {
		t.Errorf("head link says %q, want %s", heightText, want)
	}
	if want := fmt.Sprintf("Block %d", head.Header.Height); !strings.HasPrefix(strings.TrimSpace(title), want) {
		t.Errorf("block page title %q, want %q", title, want)
	}
	if h := tx.Hash().Hex(); !strings.Contains(txTable, h[:10]) {
		t.Errorf("block page txs %q lack %s", txTable, h)
	}
	shotPath := filepath.Join(artifactDir(t), "explorer-block.png")
	if err := os.WriteFile(shotPath, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shotPath)

	// Back home, then a new block arrives over the event stream.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/#/"), chromedp.WaitVisible(headLink)); err != nil {
		t.Fatalf("home again: %v", err)
	}
	next := mineOne(t, n)
	fresh := chromedp.CSS(fmt.Sprintf(`table#blocks tbody tr.new a.height[href="#/block/%s"]`, next.Hash()))
	if err := chromedp.Do(ctx, chromedp.WaitVisible(fresh)); err != nil {
		t.Fatalf("live update: %v", err)
	}
	errText, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('error').hidden ? '' : document.getElementById('error').textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if errText != "" {
		t.Errorf("explorer shows an error: %s", errText)
	}
	if shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(artifactDir(t), "explorer-home.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
}
