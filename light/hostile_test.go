package light_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/light"
	"github.com/tinychain/tinychain/node"
)

// do sends one request and returns its status, headers and body.
func do(t *testing.T, method, url string, header map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %.100s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, resp.Header, b
}

// TestHostileAPI: every route of a light node's API against malformed
// addresses, hashes and heights, huge paths, query strings and headers,
// and wrong methods: each gets a 4xx (JSON with an error, but 431, which
// net/http writes) and the node answers normally after; many clients at
// once get answers or 429, never a 5xx; and a client that never finishes
// its request is cut off after the read-header timeout.
func TestHostileAPI(t *testing.T) {
	g := genesis()
	a := common.HexToAddress("0x00000000000000000000000000000000000000c1")
	tx := testchain.Transfer(t, g, 0, 0, a, 99)
	full, fullInfo := fullNode(t, g, 20, tx)
	l := startLight(t, g, light.Config{Confirmations: 6}, 1, fullInfo)
	waitTip(t, l, full.Chain.Head().Hash)
	url := "http://" + l.HTTPAddr()
	long := strings.Repeat("a", 10_000)
	good := common.HexToAddress("0xabcdefabcdefabcdefabcdefabcdefabcdefabcd").Hex()
	badChecksum := good[:2] + strings.Map(func(r rune) rune { return r ^ 0x20 }, good[2:3]) + good[3:] // one letter's case flipped
	for path, want := range map[string]int{
		"/v1/accounts/0x12":                          400,
		"/v1/accounts/zz":                            400,
		"/v1/accounts/0x" + strings.Repeat("g", 40):  400,
		"/v1/accounts/" + badChecksum:                400,
		"/v1/accounts/" + long:                       400,
		"/v1/accounts/%00%ff":                        400,
		"/v1/txs/0x12":                               400,
		"/v1/txs/" + strings.Repeat("0", 64):         400,
		"/v1/txs/0x" + strings.Repeat("z", 64):       400,
		"/v1/txs/" + long:                            400,
		"/v1/blocks/-1":                              400,
		"/v1/blocks/18446744073709551616":            400,
		"/v1/blocks/0x12":                            400,
		"/v1/blocks/" + long:                         400,
		"/v1/blocks/99999999":                        404,
		"/v1/blocks/" + common.Hash{1}.Hex():         404,
		"/v1/txs/" + common.Hash{1}.Hex():            404,
		"/v1/accounts/" + a.Hex() + "/proof":         404,
		"/v1/nope":                                   404,
		"/" + long:                                   404,
		"/v1/status?" + long:                         200,
		"/v1/blocks/1?full=1&" + long:                200,
		"/v1/accounts/" + a.Hex() + "?block=" + long: 200,
		"/v1/peers?x=%zz":                            200,
	} {
		code, hdr, body := do(t, "GET", url+path, nil)
		if code != want {
			t.Errorf("GET %.80s: %d, want %d: %.200s", path, code, want, body)
		}
		if code >= 400 && code != 431 && (hdr.Get("Content-Type") != "application/json" || !json.Valid(body) || !strings.Contains(string(body), `"error"`)) {
			t.Errorf("GET %.80s: %d, not a JSON error: %s %.200s", path, code, hdr.Get("Content-Type"), body)
		}
		if len(body) > 2*len(path)+1024 {
			t.Errorf("GET %.80s: %d bytes of answer", path, len(body))
		}
	}
	// The request line and headers: at most 16 KiB on a new connection,
	// 20 KiB on a kept-alive one (api.go).
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for _, c := range []struct {
		cl         *http.Client
		path, head string
		want       int
	}{
		{fresh, "/v1/status/" + strings.Repeat("x", 17_000), "", 431},
		{fresh, "/v1/status", strings.Repeat("b", 17_000), 431},
		{http.DefaultClient, "/v1/status/" + strings.Repeat("x", 21_000), "", 431},
		{http.DefaultClient, "/v1/status", strings.Repeat("b", 21_000), 431},
		{fresh, "/v1/status", strings.Repeat("b", 8_000), 200},
	} {
		req, _ := http.NewRequest("GET", url+c.path, nil)
		req.Header.Set("X-Big", c.head)
		resp, err := c.cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("a %d-byte path, %d-byte header: %d, want %d", len(c.path), len(c.head), resp.StatusCode, c.want)
		}
	}
	routes := []string{"/v1/status", "/v1/blocks/head", "/v1/accounts/" + a.Hex(), "/v1/txs/" + tx.Hash().Hex(), "/v1/peers", "/metrics"}
	for _, path := range routes {
		for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS"} {
			code, hdr, body := do(t, m, url+path, nil)
			if code != http.StatusMethodNotAllowed || hdr.Get("Allow") != "GET, HEAD" || !json.Valid(body) {
				t.Errorf("%s %s: %d Allow %q: %s", m, path, code, hdr.Get("Allow"), body)
			}
		}
		if code, _, body := do(t, "HEAD", url+path, nil); code != 200 || len(body) != 0 {
			t.Errorf("HEAD %s: %d %q", path, code, body)
		}
	}

	// Many clients at once, on every route: answers, 429 (no query slot)
	// or 503 (the full node's serving budget for one peer, 16 tx proofs a
	// second, ran out: gossip/proof.go); nothing else.
	var wg sync.WaitGroup
	codes := make(chan int, 64*len(routes))
	// every client asks every route from its own on, then wraps around
	for c := range 64 {
		wg.Go(func() {
			for i := range routes {
				code, _, _ := do(t, "GET", url+routes[(c+i)%len(routes)], nil)
				codes <- code
			}
		})
	}
	wg.Wait()
	close(codes)
	seen := map[int]int{}
	for code := range codes {
		seen[code]++
	}
	if seen[200] == 0 || seen[200]+seen[429]+seen[503] != len(routes)*64 {
		t.Errorf("answers to 64 clients: %v", seen)
	}
	var acct light.Account
	if code := get(t, url+"/v1/accounts/"+a.Hex(), &acct); code != 200 || acct.Balance != 99 {
		t.Fatalf("after all that: %d %+v", code, acct)
	}

	// A client that sends half a request is cut off (readHeaderTimeout).
	conn, err := net.Dial("tcp", l.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /v1/status HTTP/1.1\r\nHost: x\r\n")
	conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	if _, err := bufio.NewReader(conn).ReadByte(); err != io.EOF {
		t.Errorf("a half-sent request: %v, want the server to close the connection", err)
	}
}

// TestStallingFullNodes: when the only full nodes left stall (read the
// request, never answer), a query asks at most 8 of them (maxAsked), each
// for at most ProofTimeout, gives up on each (the stream is closed), and
// answers 503 no_answer; while queries wait, the 16 query slots are full
// and further queries get 429 at once, and status and blocks still
// answer. With a QueryTimeout shorter than one ProofTimeout, one query
// asks one staller and answers 503 when the query's time is up. Nothing
// hangs: every request gets an answer.
func TestStallingFullNodes(t *testing.T) {
	g := genesis()
	a := common.HexToAddress("0x00000000000000000000000000000000000000c1")
	full, fullInfo := fullNode(t, g, 20)
	var stallers []*harness
	infos := []peer.AddrInfo{fullInfo}
	for range 10 {
		s := newHarness(t, g, modeStall)
		stallers = append(stallers, s)
		infos = append(infos, s.info())
	}
	proofTimeout := 500 * time.Millisecond // 16 queries hold their slots 8 times this: time for 24 more to come
	l := startLight(t, g, light.Config{Confirmations: 6, ProofTimeout: proofTimeout, QueryTimeout: time.Minute}, 11, infos...)
	short := startLight(t, g, light.Config{Confirmations: 6, ProofTimeout: time.Minute, QueryTimeout: proofTimeout}, 11, infos...)
	waitTip(t, l, full.Chain.Head().Hash)
	waitTip(t, short, full.Chain.Head().Hash)
	full.Close()
	for _, n := range []*light.Node{l, short} {
		for deadline := time.Now().Add(60 * time.Second); peerRowOK(n, fullInfo.ID); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the closed full node is still connected")
			}
		}
	}
	asked := func() (n, gaveUp int) {
		for _, s := range stallers {
			n += int(s.asked[gossip.ProofAccount].Load())
			gaveUp += int(s.gaveUp.Load())
		}
		return n, gaveUp
	}

	start := time.Now()
	var e node.Error
	if code := getErr(t, "http://"+l.HTTPAddr()+"/v1/accounts/"+a.Hex(), &e); code != 503 || e.Code != "no_answer" || !strings.Contains(e.Error, "deadline") {
		t.Logf("%s", e.Error)
		t.Fatalf("only stallers: %d %+v", code, e)
	}
	if took := time.Since(start); took < 8*proofTimeout {
		t.Errorf("8 stallers given up on in %v", took)
	}
	waitGaveUp(t, asked, 8)

	// 40 queries at once: 16 take the slots and wait, 24 get 429.
	var wg sync.WaitGroup
	codes := make(chan int, 40)
	for range 40 {
		wg.Go(func() { code, _, _ := do(t, "GET", "http://"+l.HTTPAddr()+"/v1/accounts/"+a.Hex(), nil); codes <- code })
	}
	for deadline := time.Now().Add(60 * time.Second); len(codes) < 24; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d quick answers", len(codes))
		}
	}
	for _, path := range []string{"/v1/status", "/v1/blocks/head", "/v1/peers"} {
		if code, _, _ := do(t, "GET", "http://"+l.HTTPAddr()+path, nil); code != 200 {
			t.Errorf("%s with every query slot taken: %d", path, code)
		}
	}
	wg.Wait()
	close(codes)
	seen := map[int]int{}
	for code := range codes {
		seen[code]++
	}
	if seen[429] != 24 || seen[503] != 16 {
		t.Errorf("40 queries at once: %v, want 24 429s and 16 503s", seen)
	}
	waitGaveUp(t, asked, 8+16*8)

	before, _ := asked()
	if code := getErr(t, "http://"+short.HTTPAddr()+"/v1/accounts/"+a.Hex(), &e); code != 503 || e.Code != "no_answer" {
		t.Fatalf("query timeout: %d %+v", code, e)
	}
	if n, _ := asked(); n != before+1 {
		t.Errorf("with a query timeout under one proof timeout, %d stallers asked", n-before)
	}
	waitGaveUp(t, asked, before+1)
}

func peerRowOK(n *light.Node, p peer.ID) bool {
	for _, r := range n.Peers() {
		if r.ID == p.String() && r.Connected {
			return true
		}
	}
	return false
}

// waitGaveUp waits until the stallers saw want requests given up on, and
// fails if they were asked more or fewer times.
func waitGaveUp(t *testing.T, asked func() (int, int), want int) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n, gaveUp := asked()
		if n != want {
			t.Fatalf("stallers asked %d times, want %d", n, want)
		}
		if gaveUp == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d stalled requests not given up on", want-gaveUp, want)
		}
	}
}
