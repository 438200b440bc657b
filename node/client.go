package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/proto"
)

// Client talks to a node's HTTP API (the CLI's side of it).
type Client struct {
	URL  string // e.g. http://127.0.0.1:8080
	HTTP *http.Client
}

// NewClient returns a client for the API at url.
func NewClient(url string) *Client {
	return &Client{URL: strings.TrimRight(url, "/"), HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// APIError is an error answer from the node.
type APIError struct {
	Status int
	Msg    string
	Code   string // the broken rule's code, if any
}

func (e *APIError) Error() string { return e.Msg }

// IsNotFound reports whether err is the node's 404.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the node at %s: %w", c.URL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e Error
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = fmt.Sprintf("%s %s: %s", method, path, resp.Status)
		}
		return &APIError{Status: resp.StatusCode, Msg: e.Error, Code: e.Code}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: bad answer: %w", method, path, err)
	}
	return nil
}

// Status returns GET /v1/status.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var s Status
	return &s, c.do(ctx, "GET", "/v1/status", nil, &s)
}

// Block returns a block by "head", height or 0x hash.
func (c *Client) Block(ctx context.Context, id string, full bool) (*Block, error) {
	var b Block
	path := "/v1/blocks/" + id
	if full {
		path += "?full=1"
	}
	return &b, c.do(ctx, "GET", path, nil, &b)
}

// Tx returns GET /v1/txs/{hash}.
func (c *Client) Tx(ctx context.Context, h common.Hash) (*TxStatus, error) {
	var t TxStatus
	return &t, c.do(ctx, "GET", "/v1/txs/"+h.Hex(), nil, &t)
}

// Account returns GET /v1/accounts/{addr}.
func (c *Client) Account(ctx context.Context, a common.Address) (*Account, error) {
	var acct Account
	return &acct, c.do(ctx, "GET", "/v1/accounts/"+a.Hex(), nil, &acct)
}

// Mempool returns GET /v1/mempool.
func (c *Client) Mempool(ctx context.Context) (*Mempool, error) {
	var m Mempool
	return &m, c.do(ctx, "GET", "/v1/mempool", nil, &m)
}

// SendTx posts a signed tx and returns its hash.
func (c *Client) SendTx(ctx context.Context, tx *proto.Tx) (common.Hash, error) {
	var r SendTxResponse
	err := c.do(ctx, "POST", "/v1/txs", &SendTxRequest{Raw: tx.Encode()}, &r)
	return r.Hash, err
}

// WaitTx polls until the tx is included, and returns it with its receipt.
func (c *Client) WaitTx(ctx context.Context, h common.Hash) (*TxStatus, error) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		st, err := c.Tx(ctx, h)
		if err == nil && st.State == "included" {
			return st, nil
		}
		if err == nil && st.State == "dropped" {
			return nil, fmt.Errorf("tx %s was dropped: %s", h, st.Reason)
		}
		if err != nil && !IsNotFound(err) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("tx %s not included: %w", h, ctx.Err())
		case <-t.C:
		}
	}
}

// Eval runs POST /v1/eval.
func (c *Client) Eval(ctx context.Context, req *EvalRequest) (*EvalResult, error) {
	var r EvalResult
	return &r, c.do(ctx, "POST", "/v1/eval", req, &r)
}

// Gas returns GET /v1/gas.
func (c *Client) Gas(ctx context.Context) (*Gas, error) {
	var g Gas
	return &g, c.do(ctx, "GET", "/v1/gas", nil, &g)
}

// Tape returns GET /v1/accounts/{addr}/tape.
func (c *Client) Tape(ctx context.Context, a common.Address) (*Tape, error) {
	var t Tape
	return &t, c.do(ctx, "GET", "/v1/accounts/"+a.Hex()+"/tape", nil, &t)
}

// Code returns GET /v1/accounts/{addr}/code.
func (c *Client) Code(ctx context.Context, a common.Address) (*Code, error) {
	var code Code
	return &code, c.do(ctx, "GET", "/v1/accounts/"+a.Hex()+"/code", nil, &code)
}

// Peers returns GET /v1/peers.
func (c *Client) Peers(ctx context.Context) ([]gossip.PeerInfo, error) {
	var ps []gossip.PeerInfo
	return ps, c.do(ctx, "GET", "/v1/peers", nil, &ps)
}
