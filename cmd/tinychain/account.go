package main

import (
	"strconv"

	"github.com/tinychain/tinychain/node"
)

type accountCmd struct {
	rpcFlags
	Address string `arg:"" help:"Account address (0x...); the zero address holds the world tape."`
	Txs     int    `help:"How many recent txs to list (1 to 100)." default:"10"`
}

// accountView is what account prints with --json.
type accountView struct {
	*node.Account
	CodeSize    int              `json:"code_size"`
	TapeCells   int              `json:"tape_cells"`   // up to the last non-zero cell
	TapeNonZero int              `json:"tape_nonzero"` // non-zero cells
	Txs         []*node.TxStatus `json:"txs"`
	TxsMore     bool             `json:"txs_truncated,omitempty"`
}

func (c *accountCmd) Run(e *env) error {
	a, err := parseAddress("", c.Address)
	if err != nil {
		return err
	}
	if c.Txs < 1 || c.Txs > 100 {
		return usageErrorf("--txs %d: want 1 to 100", c.Txs)
	}
	ctx, cancel := ctxTimeout(e)
	defer cancel()
	cl := c.client()
	acct, err := cl.Account(ctx, a)
	if err != nil {
		return err
	}
	v := &accountView{Account: acct}
	if acct.IsContract {
		code, err := cl.Code(ctx, a)
		if err != nil {
			return err
		}
		v.CodeSize = len(code.Code)
	}
	tape, err := cl.Tape(ctx, a)
	if err != nil && !node.IsNotFound(err) {
		return err
	}
	if err == nil {
		v.TapeCells = len(tape.Tape)
		for _, b := range tape.Tape {
			if b != 0 {
				v.TapeNonZero++
			}
		}
	}
	txs, err := cl.AccountTxs(ctx, a, c.Txs)
	if err != nil {
		return err
	}
	v.Txs, v.TxsMore = txs.Txs, txs.Truncated
	if v.Txs == nil {
		v.Txs = []*node.TxStatus{}
	}
	if c.JSON {
		return e.printJSON(v)
	}
	printAccount(e, v)
	return nil
}

func printAccount(e *env, v *accountView) {
	e.printf("account   %s\n", v.Address.Hex())
	e.printf("balance   %s\n", v.Balance.String())
	e.printf("nonce     %d (next with pending txs: %d)\n", v.Nonce, v.PendingNonce)
	if v.IsContract {
		e.printf("code      %d bytes, hash %s\n", v.CodeSize, v.CodeHash)
	} else {
		e.printf("code      none\n")
	}
	if v.TapeCells == 0 {
		e.printf("tape      all zero\n")
	} else {
		e.printf("tape      %d cells up to the last non-zero one, %d non-zero\n", v.TapeCells, v.TapeNonZero)
	}
	e.printf("txs       %d most recent%s\n", len(v.Txs), map[bool]string{true: " (more: the scan stopped at its budget)"}[v.TxsMore])
	for _, st := range v.Txs {
		height := "pending"
		if st.Height != nil {
			height = "block " + strconv.FormatUint(*st.Height, 10)
		}
		status := ""
		if st.Receipt != nil {
			status = st.Receipt.Status
		}
		e.printf("  %s %-8s %s -> %s %s %s %s\n", st.Tx.Hash, st.Tx.Kind, st.Tx.From.Hex(), addrOrDash(st.Tx.To),
			st.Tx.Value.String(), height, status)
	}
}

type mempoolCmd struct {
	rpcFlags
}

func (c *mempoolCmd) Run(e *env) error {
	ctx, cancel := ctxTimeout(e)
	defer cancel()
	m, err := c.client().Mempool(ctx)
	if err != nil {
		return err
	}
	if c.JSON {
		if m.Txs == nil {
			m.Txs = []*node.Tx{}
		}
		return e.printJSON(m)
	}
	e.printf("mempool   %d txs, %d bytes\n", m.Count, m.Bytes)
	for _, tx := range m.Txs {
		e.printf("  %s %-8s %s nonce %d -> %s %s gas %d at %s\n", tx.Hash, tx.Kind, tx.From.Hex(), tx.Nonce,
			addrOrDash(tx.To), tx.Value.String(), tx.GasLimit, tx.GasPrice.String())
	}
	return nil
}

type gasCmd struct {
	rpcFlags
}

func (c *gasCmd) Run(e *env) error {
	ctx, cancel := ctxTimeout(e)
	defer cancel()
	g, err := c.client().Gas(ctx)
	if err != nil {
		return err
	}
	if c.JSON {
		return e.printJSON(g)
	}
	e.printf("minimum   %s (the chain's floor)\n", g.MinGasPrice.String())
	e.printf("suggested %s (what send bids)\n", g.Suggested.String())
	e.printf("paid      low %s, median %s, high %s over %d txs in the last %d blocks\n",
		g.Low.String(), g.Median.String(), g.High.String(), g.Txs, g.Blocks)
	return nil
}
