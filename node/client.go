package node

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain/proof"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/proto"
)

// Client talks to a node's HTTP API (the CLI's side of it).
type Client struct {
	URL  string // e.g. http://127.0.0.1:8080
	HTTP *http.Client
	// Stream is the client for GET /v1/events: HTTP's transport without
	// its overall timeout, which would end a stream that is meant to last.
	Stream *http.Client
}

// DefaultTimeout bounds one request of a NewClient.
const DefaultTimeout = 30 * time.Second

// NewClient returns a client for the API at url; a url without a scheme
// ("127.0.0.1:8080") means http://.
func NewClient(url string) *Client {
	if !strings.Contains(url, "://") {
		url = "http://" + url
	}
	return &Client{URL: strings.TrimRight(url, "/"), HTTP: &http.Client{Timeout: DefaultTimeout}, Stream: &http.Client{}}
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

// ErrNoAnswer is a request that reached nothing in time: the node accepted
// the connection (or the network swallowed it) but did not answer.
var ErrNoAnswer = errors.New("no answer")

// ErrUnreachable is a request that could not be sent: the connection was
// refused, the host is unknown, the URL is bad.
var ErrUnreachable = errors.New("cannot reach the node")

// transportError names what went wrong with a request that got no answer:
// the caller's context ending (passed through as it is), a timeout
// (ErrNoAnswer) or a failed connection (ErrUnreachable).
func (c *Client) transportError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("%w from %s in %s", ErrNoAnswer, c.URL, c.HTTP.Timeout)
	}
	return fmt.Errorf("%w at %s: %v", ErrUnreachable, c.URL, unwrapURLError(err))
}

// unwrapURLError drops url.Error's "Get \"...\": " prefix, which repeats
// the URL the message already names.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	return c.doLimit(ctx, method, path, body, out, 64<<20)
}

// doLimit is do reading at most limit bytes of the answer: more is an
// error, not a truncated answer.
func (c *Client) doLimit(ctx context.Context, method, path string, body, out any, limit int64) error {
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
		return fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return c.transportError(ctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return c.transportError(ctx, err)
	}
	if int64(len(data)) > limit {
		return fmt.Errorf("%s %s: answer over %d bytes", method, path, limit)
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

// MaxHeadersAnswer and MaxProofAnswer bound what Headers and AccountProof
// read: MaxHeaders headers of at most proto.MaxHeaderSize bytes, twice for
// hex, and an account proof of at most proof.MaxAccountProofSize bytes
// with its JSON form (hex, field names), twice over, and the fields that
// repeat it.
const (
	MaxHeadersAnswer = 2*MaxHeaders*(proto.MaxHeaderSize+4) + 1024
	MaxProofAnswer   = 8*proof.MaxAccountProofSize + 4096
)

// Headers returns GET /v1/headers?after=H&limit=N, at most
// MaxHeadersAnswer bytes of it.
func (c *Client) Headers(ctx context.Context, after uint64, limit int) (*Headers, error) {
	var h Headers
	return &h, c.doLimit(ctx, "GET", fmt.Sprintf("/v1/headers?after=%d&limit=%d", after, limit), nil, &h, MaxHeadersAnswer)
}

// AccountProof returns GET /v1/accounts/{a}/proof?block=H (no tape), at
// most MaxProofAnswer bytes of it.
func (c *Client) AccountProof(ctx context.Context, a common.Address, height uint64) (*AccountProof, error) {
	var p AccountProof
	return &p, c.doLimit(ctx, "GET", fmt.Sprintf("/v1/accounts/%s/proof?block=%d", a.Hex(), height), nil, &p, MaxProofAnswer)
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

// TxInfo is what Tx, TxByNonce and WaitTx return: a TxStatus.
type TxInfo = TxStatus

// Lifecycle is Status, or for an older node that sends only State, State.
func (t *TxStatus) Lifecycle() string {
	if t.Status != "" {
		return t.Status
	}
	return t.State
}

// Tx returns GET /v1/txs/{hash}.
func (c *Client) Tx(ctx context.Context, h common.Hash) (*TxInfo, error) {
	var t TxInfo
	return &t, c.do(ctx, "GET", "/v1/txs/"+h.Hex(), nil, &t)
}

// TxByNonce returns GET /v1/txs?from=ADDR&nonce=N: the tx the sender sent
// with that nonce, included or still in the mempool.
func (c *Client) TxByNonce(ctx context.Context, from common.Address, nonce uint64) (*TxInfo, error) {
	var t TxInfo
	return &t, c.do(ctx, "GET", fmt.Sprintf("/v1/txs?from=%s&nonce=%d", from.Hex(), nonce), nil, &t)
}

// AccountTxs returns GET /v1/accounts/{addr}/txs?limit=N, newest first.
func (c *Client) AccountTxs(ctx context.Context, a common.Address, limit int) (*TxList, error) {
	var l TxList
	return &l, c.do(ctx, "GET", fmt.Sprintf("/v1/accounts/%s/txs?limit=%d", a.Hex(), limit), nil, &l)
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

// NotIncludedError is WaitTx's answer when its context ends first: the tx
// may still be included later. Err is the context's error
// (context.DeadlineExceeded, or context.Canceled on an interrupt).
type NotIncludedError struct {
	Hash  common.Hash
	After time.Duration
	Last  string // the tx's last status seen ("" if the node did not know it)
	Err   error
}

func (e *NotIncludedError) Error() string {
	s := fmt.Sprintf("tx %s not included after %s", e.Hash.Hex(), e.After)
	if e.Last != "" {
		s += " (" + e.Last + ")"
	}
	return s
}

func (e *NotIncludedError) Unwrap() error { return e.Err }

// DroppedError is WaitTx's answer for a tx that left the mempool unmined.
type DroppedError struct {
	Hash   common.Hash
	Reason string
}

func (e *DroppedError) Error() string {
	return fmt.Sprintf("tx %s was dropped: %s", e.Hash.Hex(), e.Reason)
}

// WaitTx polls until the tx is included, and returns it with its receipt.
// When ctx ends first it returns a *NotIncludedError, whatever the
// request in flight was doing then; a dropped tx is a *DroppedError.
func (c *Client) WaitTx(ctx context.Context, h common.Hash) (*TxInfo, error) {
	start := time.Now()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	last := ""
	notIncluded := func() error {
		after := time.Since(start)
		if d, ok := ctx.Deadline(); ok && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			after = d.Sub(start)
		}
		if after >= time.Second {
			after = after.Round(time.Second)
		} else {
			after = after.Round(10 * time.Millisecond)
		}
		return &NotIncludedError{Hash: h, After: after, Last: last, Err: ctx.Err()}
	}
	for {
		st, err := c.Tx(ctx, h)
		if ctx.Err() != nil {
			return nil, notIncluded()
		}
		switch {
		case err == nil && st.Lifecycle() == "included":
			return st, nil
		case err == nil && st.Lifecycle() == "dropped":
			return nil, &DroppedError{Hash: h, Reason: st.Reason}
		case err == nil:
			last = st.Lifecycle()
			if st.WaitingForNonce != nil {
				last += fmt.Sprintf(", waiting for nonce %d", *st.WaitingForNonce)
			}
		case !IsNotFound(err) && !errors.Is(err, ErrNoAnswer):
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, notIncluded()
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

// Blocks returns GET /v1/blocks?limit=N: main-chain blocks, newest first.
func (c *Client) Blocks(ctx context.Context, limit int) (*BlockList, error) {
	var l BlockList
	return &l, c.do(ctx, "GET", fmt.Sprintf("/v1/blocks?limit=%d", limit), nil, &l)
}

// maxEventBytes bounds one server-sent event line the client accepts (a
// head event lists its block's tx hashes, 69 bytes each).
const maxEventBytes = 16 << 20

// Events follows GET /v1/events, calling fn with each event's name and
// data, until ctx ends (it then returns ctx.Err()), the stream ends or fn
// returns an error.
func (c *Client) Events(ctx context.Context, fn func(name string, data []byte) error) error {
	req, err := http.NewRequestWithContext(ctx, "GET", c.URL+"/v1/events", nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.Stream.Do(req)
	if err != nil {
		return c.transportError(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e Error
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = "GET /v1/events: " + resp.Status
		}
		return &APIError{Status: resp.StatusCode, Msg: e.Error, Code: e.Code}
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), maxEventBytes)
	var name string
	var data []byte
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0: // the blank line ends an event
			if name != "" || len(data) > 0 {
				if err := fn(name, data); err != nil {
					return err
				}
			}
			name, data = "", nil
		case bytes.HasPrefix(line, []byte(":")): // a keep-alive comment
		case bytes.HasPrefix(line, []byte("event:")):
			name = strings.TrimSpace(string(line[len("event:"):]))
		case bytes.HasPrefix(line, []byte("data:")):
			if len(data) > 0 {
				data = append(data, '\n')
			}
			data = append(data, bytes.TrimPrefix(line[len("data:"):], []byte(" "))...)
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := sc.Err(); err != nil {
		return c.transportError(ctx, err)
	}
	return fmt.Errorf("the node at %s ended the event stream", c.URL)
}
