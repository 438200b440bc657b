package node_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tinychain/tinychain/node"
)

// TestRequestBodies: a JSON body is read as JSON whatever Content-Type
// says (curl -d sends application/x-www-form-urlencoded), a body that is
// not JSON under another type gets 415 naming the header, and no 400
// speaks Go.
func TestRequestBodies(t *testing.T) {
	n, _ := startNode(t, false)
	base := "http://" + n.HTTPAddr()
	good := transfer(t, 77, 0, common.HexToAddress("0x01"), 1)
	raw := `{"raw":"` + hexutil.Encode(good.Encode()) + `"}`
	const form = "application/x-www-form-urlencoded"
	cases := []struct {
		name, path, ct, body string
		status               int
		contains             string
	}{
		{"curl -d", "/v1/txs", form, raw, 200, ""},
		{"no content type", "/v1/txs", "", raw, 200, ""},
		{"json with charset", "/v1/txs", "application/json; charset=utf-8", raw, 200, ""},
		{"form body", "/v1/txs", form, "raw=0x00", 415, "Content-Type: application/json"},
		{"text body", "/v1/eval", "text/plain", "+++.", 415, "Content-Type"},
		{"not hex", "/v1/txs", "", `{"raw":"zz"}`, 400, "raw: want 0x-hex bytes"},
		{"odd hex", "/v1/txs", "", `{"raw":"0x123"}`, 400, "raw: want 0x-hex bytes"},
		{"number for bytes", "/v1/txs", "", `{"raw":12}`, 400, "raw: want 0x-hex bytes"},
		{"bad address", "/v1/eval", "", `{"to":"0x12","input":"a"}`, 400, "to: hex string has length 2, want 40"},
		{"string for gas", "/v1/eval", "", `{"code":"+","gas_limit":"10"}`, 400, "gas_limit: want a non-negative integer, not a string"},
		{"negative gas", "/v1/eval", "", `{"code":"+","gas_limit":-1}`, 400, "gas_limit: want a non-negative integer"},
		{"array body", "/v1/txs", "", `[1]`, 400, "want an object"},
		{"syntax", "/v1/txs", "application/json", `{"raw":`, 400, "bad JSON"},
		{"empty", "/v1/txs", "application/json", ``, 400, "empty body"},
		{"unknown field", "/v1/txs", "", `{"raw":"0x00","x":1}`, 400, `unknown field "x"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", base+c.path, strings.NewReader(c.body))
			if c.ct != "" {
				req.Header.Set("Content-Type", c.ct)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			if c.status == 200 {
				return
			}
			var e node.Error
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("error body %q", body)
			}
			if !strings.Contains(e.Error, c.contains) {
				t.Errorf("error %q does not say %q", e.Error, c.contains)
			}
			for _, goWord := range []string{"Go struct", "hexutil", "common.", "uint64", "json:"} {
				if strings.Contains(e.Error, goWord) {
					t.Errorf("error %q speaks Go (%q)", e.Error, goWord)
				}
			}
		})
	}
}

// TestJSONKeepsAngleBrackets: answers write '<' and '>' as they are, not
// as \u003c (code and output are full of them).
func TestJSONKeepsAngleBrackets(t *testing.T) {
	n, _ := startNode(t, false)
	code := strings.Repeat("+", '<') + ".>"
	resp, err := http.Post("http://"+n.HTTPAddr()+"/v1/eval", "application/json", strings.NewReader(`{"code":"`+code+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"output_text":"<"`) || strings.Contains(string(body), `\u003c`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}
