package node

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// zkServer serves the proof endpoints alone, as zkRoutes adds them.
func zkServer(t *testing.T, cfg ZKConfig) *httptest.Server {
	t.Helper()
	n := &Node{cfg: Config{DataDir: t.TempDir(), ZK: cfg}}
	mux := http.NewServeMux()
	n.zkRoutes(func(method, path string, h http.HandlerFunc) { mux.HandleFunc(method+" "+path, h) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestZKEndpoints: proving is off without Prover; a node without keys
// says so; a malformed proof file is a 400.
func TestZKEndpoints(t *testing.T) {
	srv := zkServer(t, ZKConfig{})
	if code, body := post(t, srv.URL+"/v1/prove", `{"code":"0x2b2e","gas_limit":100}`); code != http.StatusNotFound || !strings.Contains(body, "--prover") {
		t.Fatalf("prove without --prover: %d %s", code, body)
	}
	if code, body := post(t, srv.URL+"/v1/verify", `{"system":"x","statement":{"log_steps":10}}`); code != http.StatusServiceUnavailable {
		t.Fatalf("verify without keys: %d %s", code, body)
	}
	if code, body := post(t, srv.URL+"/v1/verify", `{"statement":{"log_steps":11}}`); code != http.StatusBadRequest {
		t.Fatalf("verify of a size that does not exist: %d %s", code, body)
	}
	if code, body := post(t, srv.URL+"/v1/verify", `{"proof":`); code != http.StatusBadRequest {
		t.Fatalf("malformed: %d %s", code, body)
	}
	prover := zkServer(t, ZKConfig{Prover: true})
	if code, body := post(t, prover.URL+"/v1/prove", `{"code":"0x2b2e","gas_limit":100}`); code != http.StatusServiceUnavailable || !strings.Contains(body, "vm setup") {
		t.Fatalf("prove without keys: %d %s", code, body)
	}
	if code, body := post(t, prover.URL+"/v1/prove", `{"code":"0x2b5b5d","gas_limit":1000000000}`); code != http.StatusBadRequest || !strings.Contains(body, "largest size") {
		t.Fatalf("endless loop: %d %s", code, body)
	}
}

// TestZKProveBusy: with MaxProofs proofs running, the next gets 429.
func TestZKProveBusy(t *testing.T) {
	z := &zkService{cfg: ZKConfig{Prover: true, MaxProofs: 1}, busy: make(chan struct{}, 1)}
	z.busy <- struct{}{}
	srv := httptest.NewServer(http.HandlerFunc(z.handleProve))
	defer srv.Close()
	if code, body := post(t, srv.URL, `{"code":"0x2b","gas_limit":10}`); code != http.StatusTooManyRequests {
		t.Fatalf("busy prover: %d %s", code, body)
	}
}
