package node

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tinychain/tinychain/chain/miner"
	"github.com/tinychain/tinychain/internal/testchain"
)

// This file tests the API's limits from the inside (package node), so a
// test can hold the eval slots; every request goes through a real server
// on port 0.

// startLimited runs a node (not mining, no p2p) with the given limits.
func startLimited(t testing.TB, l HTTPLimits) *Node {
	t.Helper()
	g := testchain.Genesis()
	g.ChainID = 78
	n, err := New(Config{DataDir: t.TempDir(), Genesis: g, HTTPAddr: "127.0.0.1:0", HTTP: l})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func do(t *testing.T, method, url, body string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestEvalsBeyondTheLimitGet429(t *testing.T) {
	n := startLimited(t, HTTPLimits{MaxEvals: 2})
	base := "http://" + n.HTTPAddr()
	eval := `{"code": "+++.", "gas_limit": 100000}`
	if resp, body := do(t, "POST", base+"/v1/eval", eval, nil); resp.StatusCode != 200 {
		t.Fatalf("eval with free slots: %d %s", resp.StatusCode, body)
	}
	// Two evals running: every slot taken.
	n.evals <- struct{}{}
	n.evals <- struct{}{}
	resp, body := do(t, "POST", base+"/v1/eval", eval, nil)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "too many evals") {
		t.Fatalf("eval with every slot taken: %d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if resp, body := do(t, "GET", base+"/v1/status", "", nil); resp.StatusCode != 200 {
		t.Fatalf("status while evals are full: %d %s", resp.StatusCode, body)
	}
	n.releaseEval()
	if resp, body := do(t, "POST", base+"/v1/eval", eval, nil); resp.StatusCode != 200 {
		t.Fatalf("eval after a slot freed: %d %s", resp.StatusCode, body)
	}
	// The gas cap: no eval may ask for more than a block's gas.
	resp, body = do(t, "POST", base+"/v1/eval", `{"code": "+", "gas_limit": 50000001}`, nil)
	if resp.StatusCode != 400 || !strings.Contains(body, "block gas limit") {
		t.Fatalf("eval over the gas cap: %d %s", resp.StatusCode, body)
	}
}

func TestOversizedRequests(t *testing.T) {
	n := startLimited(t, HTTPLimits{})
	base := "http://" + n.HTTPAddr()
	big := `{"code": "` + strings.Repeat("+", 600<<10) + `"}`
	if resp, body := do(t, "POST", base+"/v1/eval", big, nil); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("eval body of 600 KiB: %d %s", resp.StatusCode, body)
	}
	hdr := map[string]string{"X-Junk": strings.Repeat("a", 64<<10)}
	if resp, _ := do(t, "GET", base+"/v1/status", "", hdr); resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("64 KiB of headers: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", base+"/v1/status", "", nil); resp.StatusCode != 200 {
		t.Fatalf("status after abuse: %d", resp.StatusCode)
	}
}

// A client that sends its headers a byte at a time is cut off at the
// header timeout, and the API answers others meanwhile.
func TestSlowlorisIsCutOff(t *testing.T) {
	// A read timeout far beyond the test: only the header timeout can cut.
	n := startLimited(t, HTTPLimits{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: time.Hour})
	conn, err := net.Dial("tcp", n.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /v1/status HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	cut := make(chan error, 1)
	go func() {
		// Whatever the server sends (a 408 or nothing), it must then close.
		_, err := io.Copy(io.Discard, conn)
		cut <- err
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	// Generous: the point is that the server closes at all, however busy
	// the machine; a server without a header timeout never does.
	deadline := time.After(60 * time.Second)
	for sent := 0; ; sent++ {
		select {
		case err := <-cut:
			if err != nil && !errors.Is(err, net.ErrClosed) && !isReset(err) {
				t.Fatalf("read: %v", err)
			}
			if sent < 2 {
				t.Fatalf("cut off after %d header bytes: too early to be the timeout", sent)
			}
			resp, body := do(t, "GET", "http://"+n.HTTPAddr()+"/v1/status", "", nil)
			if resp.StatusCode != 200 {
				t.Fatalf("status after a slowloris: %d %s", resp.StatusCode, body)
			}
			return
		case <-deadline:
			t.Fatal("a client sending its headers slowly was never cut off")
		case <-tick.C:
			// One byte of an endless header: still not the blank line.
			conn.Write([]byte("X"))
		}
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && (errors.Is(op.Err, os.ErrDeadlineExceeded) || strings.Contains(op.Err.Error(), "reset"))
}

func TestCORS(t *testing.T) {
	origin := map[string]string{"Origin": "https://explorer.example"}
	preflight := map[string]string{"Origin": "https://explorer.example", "Access-Control-Request-Method": "POST",
		"Access-Control-Request-Headers": "content-type"}

	off := "http://" + startLimited(t, HTTPLimits{}).HTTPAddr()
	resp, _ := do(t, "GET", off+"/v1/status", "", origin)
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("CORS off: %d, Access-Control-Allow-Origin %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	resp, _ = do(t, "OPTIONS", off+"/v1/eval", "", preflight)
	if resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Access-Control-Allow-Methods") != "" {
		t.Fatalf("CORS off: a preflight got %v", resp.Header)
	}

	on := "http://" + startLimited(t, HTTPLimits{CORSOrigins: []string{"https://explorer.example"}}).HTTPAddr()
	resp, _ = do(t, "GET", on+"/v1/status", "", origin)
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://explorer.example" {
		t.Fatalf("CORS on: %d, Access-Control-Allow-Origin %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	resp, _ = do(t, "OPTIONS", on+"/v1/eval", "", preflight)
	if resp.StatusCode/100 != 2 || resp.Header.Get("Access-Control-Allow-Origin") != "https://explorer.example" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Fatalf("CORS on: preflight %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = do(t, "GET", on+"/v1/status", "", map[string]string{"Origin": "https://evil.example"})
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("CORS on: another origin was allowed: %v", resp.Header)
	}
}

// The default API address is loopback only.
func TestDefaultListenIsLoopback(t *testing.T) {
	n, err := New(Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	host, _, err := net.SplitHostPort(n.HTTPAddr())
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("default HTTP address %q", n.HTTPAddr())
	}
}

// The events stream outlives the server's read and write timeouts.
func TestEventsOutliveWriteTimeout(t *testing.T) {
	n := startLimited(t, HTTPLimits{WriteTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond})
	resp, err := http.Get("http://" + n.HTTPAddr() + "/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	time.Sleep(600 * time.Millisecond) // three write timeouts
	// Mine a block by hand: the stream must still carry its head event.
	tpl, err := n.Chain.NewTemplate()
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := miner.Assemble(tpl, n.Chain.Genesis(), [20]byte{1}, tpl.Parent.Timestamp+1000, nil)
	tpl.Release()
	if err != nil {
		t.Fatal(err)
	}
	var hashes atomic.Uint64
	miner.Solve(context.Background(), &b.Header, 1, &hashes)
	if err := n.Chain.ProcessBlock(b); err != nil {
		t.Fatal(err)
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended after the write timeout: %v", err)
		}
		if strings.HasPrefix(line, "event: head") {
			return
		}
	}
}

// TestConnectionsBeyondTheLimitWait: with every connection slot held by
// idle sockets, a new client is not served until one of them closes.
func TestConnectionsBeyondTheLimitWait(t *testing.T) {
	n := startLimited(t, HTTPLimits{MaxConns: 2, ReadHeaderTimeout: time.Hour, ReadTimeout: time.Hour})
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", n.HTTPAddr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	get := func(timeout time.Duration) error {
		cl := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := cl.Get("http://" + n.HTTPAddr() + "/v1/status")
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := get(500 * time.Millisecond); err == nil {
		t.Fatal("a third connection was served while two held both slots")
	}
	held[0].Close()
	if err := get(30 * time.Second); err != nil {
		t.Fatalf("after a slot freed: %v", err)
	}
}

// TestHeadersOver16KiBGet431: the documented bound is the one served
// (net/http's own slack taken off): just under 16 KiB of request line
// and headers is answered, just over gets 431.
func TestHeadersOver16KiBGet431(t *testing.T) {
	n := startLimited(t, HTTPLimits{})
	for _, c := range []struct {
		size, status int
	}{{16<<10 - 512, 200}, {16<<10 + 64, http.StatusRequestHeaderFieldsTooLarge}} {
		conn, err := net.Dial("tcp", n.HTTPAddr())
		if err != nil {
			t.Fatal(err)
		}
		head := "GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		pad := c.size - len(head) - len("X-Pad: \r\n\r\n")
		if _, err := io.WriteString(conn, head+"X-Pad: "+strings.Repeat("a", pad)+"\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		conn.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%d bytes of headers: status %d, want %d", c.size, resp.StatusCode, c.status)
		}
	}
}
