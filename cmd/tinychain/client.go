package main

import (
	"context"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/wallet"
)

// rpcFlags are the flags every client command takes.
type rpcFlags struct {
	RPC        string        `help:"The node's HTTP API (http:// may be left out)." default:"http://127.0.0.1:8080" env:"TINYCHAIN_RPC"`
	RPCTimeout time.Duration `name:"rpc-timeout" help:"How long one request waits for the node's answer." default:"30s"`
	JSON       bool          `name:"json" help:"Print JSON for machines."`
}

func (f *rpcFlags) client() *node.Client {
	cl := node.NewClient(f.RPC)
	if f.RPCTimeout > 0 {
		cl.HTTP.Timeout = f.RPCTimeout
	}
	return cl
}

// ctxTimeout bounds the requests of one command (a request has its own
// --rpc-timeout too); Ctrl-C cancels it.
func ctxTimeout(e *env) (context.Context, context.CancelFunc) {
	return context.WithTimeout(e.ctx, 2*time.Minute)
}

// parseAddress parses a command-line address: a bad one is a usage error.
func parseAddress(flag, s string) (common.Address, error) {
	a, err := wallet.ParseAddress(s)
	if err != nil {
		if flag != "" {
			err = fmt.Errorf("%s: %w", flag, err)
		}
		return a, usage(err)
	}
	return a, nil
}

type statusCmd struct {
	rpcFlags
}

func (c *statusCmd) Run(e *env) error {
	ctx, cancel := ctxTimeout(e)
	defer cancel()
	s, err := c.client().Status(ctx)
	if err != nil {
		return err
	}
	if c.JSON {
		return e.printJSON(s)
	}
	age := time.Since(time.UnixMilli(int64(s.HeadTime))).Round(time.Second)
	e.printf("chain     %d (genesis %s)\n", s.ChainID, s.Genesis)
	e.printf("head      %d %s (%s ago)\n", s.Height, s.Head, age)
	e.printf("work      %s\n", (*big.Int)(s.TotalWork))
	e.printf("peers     %d\n", s.Peers)
	e.printf("mempool   %d txs, %d bytes\n", s.MempoolSize, s.MempoolBytes)
	if s.Syncing {
		pct := 0.0
		if s.SyncTarget > 0 {
			pct = 100 * float64(s.Height) / float64(s.SyncTarget)
		}
		e.printf("syncing   %.1f%% of %d, %.0f blocks/s, eta %s\n", pct, s.SyncTarget, s.SyncRate, time.Duration(s.SyncETA*float64(time.Second)).Round(time.Second))
	}
	if s.Mining {
		e.printf("mining    yes, %s\n", formatHashrate(s.Hashrate))
	} else {
		e.printf("mining    no\n")
	}
	if s.StorageError != "" {
		e.printf("storage   FAILED: %s\n", s.StorageError)
	}
	return nil
}

func formatHashrate(h float64) string {
	switch {
	case h >= 1e9:
		return fmt.Sprintf("%.2f GH/s", h/1e9)
	case h >= 1e6:
		return fmt.Sprintf("%.2f MH/s", h/1e6)
	case h >= 1e3:
		return fmt.Sprintf("%.2f kH/s", h/1e3)
	}
	return fmt.Sprintf("%.0f H/s", h)
}

type blockCmd struct {
	rpcFlags
	ID   string `arg:"" optional:"" help:"head, a height or a 0x hash (default: head)."`
	Full bool   `help:"Include whole transactions."`
}

func (c *blockCmd) Run(e *env) error {
	id := c.ID
	switch {
	case id == "" || id == "head":
		id = "head"
	case strings.HasPrefix(id, "0x"):
		if _, err := parseHash(id); err != nil {
			return err
		}
	default:
		if _, err := strconv.ParseUint(id, 10, 64); err != nil {
			return usageErrorf("block %q: want head, a height or a 0x hash", id)
		}
	}
	ctx, cancel := ctxTimeout(e)
	defer cancel()
	b, err := c.client().Block(ctx, id, c.Full || c.JSON)
	if err != nil {
		return err
	}
	if c.JSON {
		return e.printJSON(b)
	}
	main := ""
	if !b.Main {
		main = " (not on the main chain)"
	}
	e.printf("block     %d %s%s\n", b.Height, b.Hash, main)
	e.printf("parent    %s\n", b.PrevHash)
	e.printf("time      %s\n", time.UnixMilli(int64(b.Timestamp)).UTC().Format(time.RFC3339Nano))
	e.printf("miner     %s\n", b.Miner)
	e.printf("target    %s\n", b.Target)
	e.printf("nonce     %d\n", b.Nonce)
	e.printf("state     %s\n", b.StateRoot)
	if string(b.Txs) == "null" { // a light node's answer: the header alone
		e.printf("txs       not held here (a header-only node: ask a full node)\n")
		return nil
	}
	e.printf("size      %d bytes\n", b.Size)
	if c.Full {
		txs, err := b.FullTxs()
		if err != nil {
			return err
		}
		e.printf("txs       %d\n", b.TxCount)
		for _, tx := range txs {
			e.printf("  %s %s %s -> %s %s\n", tx.Hash, tx.Kind, tx.From, addrOrDash(tx.To), tx.Value.String())
		}
		return nil
	}
	hs, err := b.TxHashes()
	if err != nil {
		return err
	}
	e.printf("txs       %d\n", len(hs))
	for _, h := range hs {
		e.printf("  %s\n", h)
	}
	return nil
}

func addrOrDash(a *common.Address) string {
	if a == nil {
		return "-"
	}
	return a.Hex()
}

type txCmd struct {
	rpcFlags
	Hash    string        `arg:"" optional:"" help:"Transaction hash (0x...)."`
	From    string        `help:"With --nonce: the sender of the tx to show."`
	Nonce   *uint64       `help:"With --from: the nonce of the tx to show."`
	Wait    bool          `help:"Wait until the tx is included (exit 3 if its run failed)."`
	Timeout time.Duration `help:"How long --wait waits." default:"30s"`
}

func (c *txCmd) Run(e *env) error {
	byNonce := c.From != "" || c.Nonce != nil
	switch {
	case byNonce && c.Hash != "":
		return usageErrorf("give a tx hash or --from and --nonce, not both")
	case byNonce && (c.From == "" || c.Nonce == nil):
		return usageErrorf("--from and --nonce go together")
	case !byNonce && c.Hash == "":
		return usageErrorf("say which tx: HASH, or --from ADDR --nonce N")
	case c.Wait && c.Timeout <= 0:
		return usageErrorf("--timeout %s: want a positive duration, e.g. 30s or 5m", c.Timeout)
	}
	ctx, cancel := ctxTimeout(e)
	defer cancel()
	cl := c.client()
	var st *node.TxInfo
	if byNonce {
		from, err := parseAddress("--from", c.From)
		if err != nil {
			return err
		}
		if st, err = cl.TxByNonce(ctx, from, *c.Nonce); err != nil {
			if node.IsNotFound(err) {
				return fmt.Errorf("no tx from %s with nonce %d (neither included nor pending)", from.Hex(), *c.Nonce)
			}
			return err
		}
	} else {
		h, err := parseHash(c.Hash)
		if err != nil {
			return err
		}
		if st, err = cl.Tx(ctx, h); err != nil {
			return err
		}
	}
	if c.Wait && st.Lifecycle() != "included" {
		if st.Lifecycle() == "dropped" {
			return &node.DroppedError{Hash: st.Tx.Hash, Reason: st.Reason}
		}
		w, err := waitFor(e, cl, st.Tx.Hash, c.Timeout)
		if err != nil {
			return err
		}
		st = w
	}
	fillConfirmations(ctx, cl, st)
	var err error
	if c.JSON {
		err = e.printJSON(st)
	} else {
		printTxStatus(e, st)
	}
	if err != nil || !c.Wait {
		return err
	}
	return receiptFailed(st)
}

// fillConfirmations counts them from the head for a node that does not
// send them.
func fillConfirmations(ctx context.Context, cl *node.Client, st *node.TxInfo) {
	if st.Confirmations != nil || st.Height == nil || st.Lifecycle() != "included" {
		return
	}
	s, err := cl.Status(ctx)
	if err != nil || s.Height < *st.Height {
		return
	}
	n := s.Height - *st.Height + 1
	st.Confirmations = &n
}

// txState is a tx's place in its lifecycle in words.
func txState(st *node.TxInfo) string {
	s := st.Lifecycle()
	switch {
	case s == "included" && st.Confirmations != nil:
		s += fmt.Sprintf(", %d confirmation%s", *st.Confirmations, plural(*st.Confirmations))
	case st.WaitingForNonce != nil:
		s += fmt.Sprintf(", waiting for nonce %d", *st.WaitingForNonce)
	case s == "dropped" && st.Reason != "":
		s += ": " + st.Reason
	}
	return s
}

func plural(n uint64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func printTxStatus(e *env, st *node.TxInfo) {
	tx := st.Tx
	e.printf("tx        %s (%s)\n", tx.Hash, txState(st))
	e.printf("kind      %s\n", tx.Kind)
	e.printf("from      %s (nonce %d)\n", tx.From, tx.Nonce)
	e.printf("to        %s\n", addrOrDash(tx.To))
	e.printf("value     %s\n", tx.Value.String())
	e.printf("gas       limit %d, price %s\n", tx.GasLimit, tx.GasPrice.String())
	if st.Block != nil {
		e.printf("block     %d %s (index %d)\n", *st.Height, st.Block, *st.Index)
	}
	if r := st.Receipt; r != nil {
		printRun(e, runOutcome{Status: r.Status, GasUsed: r.GasUsed, Output: r.Output,
			Error: r.Error, ErrorCode: r.ErrorCode, FaultAt: r.FaultAt})
		if r.Contract != nil {
			e.printf("contract  %s\n", r.Contract.Hex())
		}
	}
}

func parseHash(s string) (common.Hash, error) {
	if !strings.HasPrefix(s, "0x") || len(s) != 66 {
		return common.Hash{}, usageErrorf("hash %q: want 0x and 64 hex digits", s)
	}
	b, err := hexDecode(s[2:])
	if err != nil {
		return common.Hash{}, usageErrorf("hash %q: %v", s, err)
	}
	return common.BytesToHash(b), nil
}

type balanceCmd struct {
	rpcFlags
	verifyFlags
	Address string `arg:"" help:"Account address (0x...)."`
}

func (c *balanceCmd) Run(e *env) error {
	a, err := parseAddress("", c.Address)
	if err != nil {
		return err
	}
	ctx, cancel := ctxTimeout(e)
	defer cancel()
	if c.Verify {
		v, err := c.verifyBalance(ctx, c.client(), a)
		if err != nil {
			return err
		}
		if c.JSON {
			return e.printJSON(v)
		}
		e.printf("%s balance %s nonce %d\n", v.Address.Hex(), v.Balance.String(), v.Nonce)
		e.printf("verified against block %d (%s)\n", v.VerifiedHeight, v.VerifiedBlock.Hex())
		return nil
	}
	acct, err := c.client().Account(ctx, a)
	if err != nil {
		return err
	}
	if c.JSON {
		return e.printJSON(acct)
	}
	e.printf("%s balance %s nonce %d\n", acct.Address, acct.Balance.String(), acct.Nonce)
	return nil
}

type peersCmd struct {
	rpcFlags
}

func (c *peersCmd) Run(e *env) error {
	ctx, cancel := ctxTimeout(e)
	defer cancel()
	ps, err := c.client().Peers(ctx)
	if err != nil {
		return err
	}
	if c.JSON {
		if ps == nil {
			ps = []gossip.PeerInfo{}
		}
		return e.printJSON(ps)
	}
	for _, p := range ps {
		addr := ""
		if len(p.Addrs) > 0 {
			addr = p.Addrs[0]
		}
		e.printf("%s %-8s height %-8d score %6.1f %s\n", p.ID, p.Direction, p.Height, p.Score, addr)
	}
	if len(ps) == 0 {
		e.printf("no peers\n")
	}
	return nil
}
