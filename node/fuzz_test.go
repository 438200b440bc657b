package node

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// FuzzHTTPBodies sends fuzzed JSON bodies to the POST endpoints and fuzzed
// path segments to the GET ones of a real node (LevelDB in a temp dir),
// straight into its handler so a panic fails the run (the server would
// recover it). Every answer must be a 2xx or 4xx with a JSON body (or a
// redirect to the clean path): bad input is the client's fault, never a
// 5xx or a crash.
func FuzzHTTPBodies(f *testing.F) {
	n := startLimited(f, HTTPLimits{})
	h := n.http.Handler
	f.Add(uint8(0), []byte(`{"raw":"0xc0"}`))
	f.Add(uint8(0), []byte(`{"raw":"0xf86a8205398080940000000000000000000000000000000000000001018203e8018080"}`))
	f.Add(uint8(1), []byte(`{"code":"+++[->+<]>.","gas_limit":100000}`))
	f.Add(uint8(1), []byte(`{"code_hex":"0x2b2e","input":"hi"}`))
	f.Add(uint8(1), []byte(`{"to":"0x0000000000000000000000000000000000000001","input_hex":"0x01"}`))
	f.Add(uint8(1), []byte(`{"code":"+[]","gas_limit":50000000}`))
	f.Add(uint8(2), []byte(`head`))
	f.Add(uint8(3), []byte(`0x3B93a38288483Ac0eb00CD8aEa2877dDb879B2a0`))
	f.Add(uint8(4), []byte(`0x0000000000000000000000000000000000000000000000000000000000000000`))
	f.Add(uint8(5), []byte(`limit=100&before=18446744073709551615`))
	f.Add(uint8(8), []byte(`from=0x3B93a38288483Ac0eb00CD8aEa2877dDb879B2a0&nonce=0`))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		var req *http.Request
		seg := url.PathEscape(string(data))
		switch which % 9 {
		case 0:
			req = httptest.NewRequest("POST", "/v1/txs", bytes.NewReader(data))
		case 1:
			req = httptest.NewRequest("POST", "/v1/eval", bytes.NewReader(data))
		case 2:
			req = httptest.NewRequest("GET", "/v1/blocks/"+seg+"?full=1", nil)
		case 3:
			req = httptest.NewRequest("GET", "/v1/accounts/"+seg, nil)
		case 4:
			req = httptest.NewRequest("GET", "/v1/txs/"+seg, nil)
		case 5:
			req = httptest.NewRequest("GET", "/v1/blocks", nil)
			req.URL.RawQuery = string(data)
		case 6:
			req = httptest.NewRequest("GET", "/v1/accounts/"+seg+"/tape", nil)
		case 7:
			req = httptest.NewRequest("GET", "/v1/accounts/"+seg+"/txs?limit=3", nil)
		case 8:
			req = httptest.NewRequest("GET", "/v1/txs", nil)
			req.URL.RawQuery = string(data)
		}
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", req.Method, req.URL, rec.Code, rec.Body)
		}
		// The mux redirects unclean paths (//, /./) to their clean form.
		if rec.Code/100 != 3 && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s: %d, not JSON: %q", req.Method, req.URL, rec.Code, rec.Body)
		}
	})
}
