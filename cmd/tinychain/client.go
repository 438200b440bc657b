package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/wallet"
)

// rpcFlags are the flags every client command takes.
type rpcFlags struct {
	RPC  string `help:"The node's HTTP API." default:"http://127.0.0.1:8080" env:"TINYCHAIN_RPC"`
	JSON bool   `name:"json" help:"Print JSON for machines."`
}

func (f *rpcFlags) client() *node.Client { return node.NewClient(f.RPC) }

func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func ctxTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

type statusCmd struct {
	rpcFlags
}

func (c *statusCmd) Run() error {
	ctx, cancel := ctxTimeout()
	defer cancel()
	s, err := c.client().Status(ctx)
	if err != nil {
		return err
	}
	if c.JSON {
		return printJSON(s)
	}
	age := time.Since(time.UnixMilli(int64(s.HeadTime))).Round(time.Second)
	fmt.Printf("chain     %d (genesis %s)\n", s.ChainID, s.Genesis)
	fmt.Printf("head      %d %s (%s ago)\n", s.Height, s.Head, age)
	fmt.Printf("work      %s\n", (*big.Int)(s.TotalWork))
	fmt.Printf("peers     %d\n", s.Peers)
	fmt.Printf("mempool   %d txs, %d bytes\n", s.MempoolSize, s.MempoolBytes)
	if s.Syncing {
		pct := 0.0
		if s.SyncTarget > 0 {
			pct = 100 * float64(s.Height) / float64(s.SyncTarget)
		}
		fmt.Printf("syncing   %.1f%% of %d, %.0f blocks/s, eta %s\n", pct, s.SyncTarget, s.SyncRate, time.Duration(s.SyncETA*float64(time.Second)).Round(time.Second))
	}
	if s.Mining {
		fmt.Printf("mining    yes, %s\n", formatHashrate(s.Hashrate))
	} else {
		fmt.Printf("mining    no\n")
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
	ID   string `arg:"" optional:"" help:"Height or 0x hash (default: the head)."`
	Full bool   `help:"Include whole transactions."`
}

func (c *blockCmd) Run() error {
	id := c.ID
	if id == "" {
		id = "head"
	} else if !strings.HasPrefix(id, "0x") {
		if _, err := strconv.ParseUint(id, 10, 64); err != nil {
			return fmt.Errorf("block %q: want a height or a 0x hash", id)
		}
	}
	ctx, cancel := ctxTimeout()
	defer cancel()
	b, err := c.client().Block(ctx, id, c.Full || c.JSON)
	if err != nil {
		return err
	}
	if c.JSON {
		return printJSON(b)
	}
	fmt.Printf("block     %d %s\n", b.Height, b.Hash)
	fmt.Printf("parent    %s\n", b.PrevHash)
	fmt.Printf("time      %s\n", time.UnixMilli(int64(b.Timestamp)).UTC().Format(time.RFC3339Nano))
	fmt.Printf("miner     %s\n", b.Miner)
	fmt.Printf("target    %s\n", b.Target)
	fmt.Printf("nonce     %d\n", b.Nonce)
	fmt.Printf("state     %s\n", b.StateRoot)
	fmt.Printf("size      %d bytes\n", b.Size)
	if c.Full {
		txs, err := b.FullTxs()
		if err != nil {
			return err
		}
		fmt.Printf("txs       %d\n", len(txs))
		for _, tx := range txs {
			fmt.Printf("  %s %s %s -> %s %s\n", tx.Hash, tx.Kind, tx.From, addrOrDash(tx.To), tx.Value.String())
		}
		return nil
	}
	hs, err := b.TxHashes()
	if err != nil {
		return err
	}
	fmt.Printf("txs       %d\n", len(hs))
	for _, h := range hs {
		fmt.Printf("  %s\n", h)
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
	Hash string `arg:"" help:"Transaction hash (0x...)."`
}

func (c *txCmd) Run() error {
	h, err := parseHash(c.Hash)
	if err != nil {
		return err
	}
	ctx, cancel := ctxTimeout()
	defer cancel()
	st, err := c.client().Tx(ctx, h)
	if err != nil {
		return err
	}
	if c.JSON {
		return printJSON(st)
	}
	printTxStatus(st)
	return nil
}

func printTxStatus(st *node.TxStatus) {
	tx := st.Tx
	fmt.Printf("tx        %s (%s)\n", tx.Hash, st.State)
	fmt.Printf("kind      %s\n", tx.Kind)
	fmt.Printf("from      %s (nonce %d)\n", tx.From, tx.Nonce)
	fmt.Printf("to        %s\n", addrOrDash(tx.To))
	fmt.Printf("value     %s\n", tx.Value.String())
	fmt.Printf("gas       limit %d, price %s\n", tx.GasLimit, tx.GasPrice.String())
	if st.Block != nil {
		fmt.Printf("block     %d %s (index %d)\n", *st.Height, st.Block, *st.Index)
	}
	if r := st.Receipt; r != nil {
		fmt.Printf("status    %s, gas used %d\n", r.Status, r.GasUsed)
		if r.Error != "" {
			fmt.Printf("error     %s (%s)\n", r.Error, r.ErrorCode)
		}
		if len(r.Output) > 0 {
			fmt.Printf("output    %s\n", r.Output)
		}
		if r.Contract != nil {
			fmt.Printf("contract  %s\n", r.Contract.Hex())
		}
	}
}

func parseHash(s string) (common.Hash, error) {
	if !strings.HasPrefix(s, "0x") || len(s) != 66 {
		return common.Hash{}, fmt.Errorf("hash %q: want 0x and 64 hex digits", s)
	}
	b, err := hexDecode(s[2:])
	if err != nil {
		return common.Hash{}, fmt.Errorf("hash %q: %v", s, err)
	}
	return common.BytesToHash(b), nil
}

type balanceCmd struct {
	rpcFlags
	Address string `arg:"" help:"Account address (0x...)."`
}

func (c *balanceCmd) Run() error {
	a, err := wallet.ParseAddress(c.Address)
	if err != nil {
		return err
	}
	ctx, cancel := ctxTimeout()
	defer cancel()
	acct, err := c.client().Account(ctx, a)
	if err != nil {
		return err
	}
	if c.JSON {
		return printJSON(acct)
	}
	fmt.Printf("%s balance %s nonce %d\n", acct.Address, acct.Balance.String(), acct.Nonce)
	return nil
}

type peersCmd struct {
	rpcFlags
}

func (c *peersCmd) Run() error {
	ctx, cancel := ctxTimeout()
	defer cancel()
	ps, err := c.client().Peers(ctx)
	if err != nil {
		return err
	}
	if c.JSON {
		return printJSON(ps)
	}
	for _, p := range ps {
		addr := ""
		if len(p.Addrs) > 0 {
			addr = p.Addrs[0]
		}
		fmt.Printf("%s %-8s height %-8d score %6.1f %s\n", p.ID, p.Direction, p.Height, p.Score, addr)
	}
	if len(ps) == 0 {
		fmt.Println("no peers")
	}
	return nil
}
