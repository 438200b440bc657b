package main

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

func hexDecode(s string) ([]byte, error) { return hex.DecodeString(s) }

// txFlags are the flags of every command that signs and sends a tx.
type txFlags struct {
	rpcFlags
	From         string        `help:"Sender: an address in the keystore." xor:"signer"`
	Dev          *int          `help:"Sender: dev key N (0-9) of the devnet." xor:"signer"`
	Datadir      string        `help:"Data directory holding keystore/." default:"${datadir}" type:"path"`
	PasswordFile string        `help:"File whose first line is the keystore password." type:"path"`
	Gas          uint64        `help:"Gas limit (default: what the tx needs)."`
	GasPrice     *uint64       `help:"Gas price (default: the chain's minimum)."`
	Nonce        *uint64       `help:"Nonce (default: the sender's next, counting pending txs)."`
	Wait         bool          `help:"Wait until the tx is included and print its receipt."`
	Timeout      time.Duration `help:"How long --wait waits." default:"30s"`
}

// key returns the signing key the flags name.
func (f *txFlags) key() (*ecdsa.PrivateKey, error) {
	switch {
	case f.Dev != nil:
		if *f.Dev < 0 || *f.Dev >= wallet.DevKeys {
			return nil, usageErrorf("--dev %d: want 0 to %d", *f.Dev, wallet.DevKeys-1)
		}
		return wallet.DevKey(*f.Dev), nil
	case f.From != "":
		addr, err := parseAddress("--from", f.From)
		if err != nil {
			return nil, err
		}
		pw, err := wallet.ReadPassword(f.PasswordFile, "Password for "+addr.Hex()+": ", false)
		if err != nil {
			return nil, err
		}
		return wallet.OpenKeystore(filepath.Join(f.Datadir, "keystore"), false).Key(addr, pw)
	}
	return nil, usageErrorf("say who signs: --from ADDR or --dev N")
}

// fill fills in chain id, nonce, gas price and gas limit, and signs.
func (f *txFlags) fill(ctx context.Context, cl *node.Client, key *ecdsa.PrivateKey, tx *proto.Tx) error {
	st, err := cl.Status(ctx)
	if err != nil {
		return err
	}
	tx.ChainID = st.ChainID
	if f.Nonce != nil {
		tx.Nonce = *f.Nonce
	} else {
		acct, err := cl.Account(ctx, wallet.KeyAddress(key))
		if err != nil {
			return err
		}
		tx.Nonce = acct.PendingNonce
	}
	tx.GasPrice = uint64(st.MinGasPrice)
	if f.GasPrice != nil {
		tx.GasPrice = *f.GasPrice
	} else if g, err := cl.Gas(ctx); err == nil && uint64(g.Suggested) > tx.GasPrice {
		tx.GasPrice = uint64(g.Suggested)
	}
	tx.GasLimit = f.Gas
	if tx.GasLimit == 0 {
		if tx.GasLimit, err = estimateGas(ctx, cl, st, tx); err != nil {
			return err
		}
	}
	tx.Sig, err = wallet.Sign(tx.SigHash(), key)
	return err
}

// send fills in and signs tx, submits it and prints its hash at once (on
// stderr with --json, so that stdout stays one JSON document); with
// --wait it then waits for inclusion and prints the receipt.
func (f *txFlags) send(e *env, tx *proto.Tx) error {
	if f.Wait && f.Timeout <= 0 {
		return usageErrorf("--timeout %s: want a positive duration, e.g. 30s or 5m", f.Timeout)
	}
	key, err := f.key()
	if err != nil {
		return err
	}
	cl := f.client()
	ctx, cancel := ctxTimeout(e)
	defer cancel()
	if err := f.fill(ctx, cl, key, tx); err != nil {
		return err
	}
	h, err := cl.SendTx(ctx, tx)
	if err != nil {
		return err
	}
	out := &sendResult{Hash: h}
	if tx.Kind == proto.KindDeploy {
		addr := crypto.CreateAddress(wallet.KeyAddress(key), tx.Nonce)
		out.Contract = &addr
	}
	switch {
	case f.JSON && !f.Wait:
		return e.printJSON(out)
	case f.JSON:
		fmt.Fprintln(e.stderr, "tx", h.Hex())
	default:
		e.printf("tx        %s\n", h.Hex())
		if out.Contract != nil {
			e.printf("contract  %s\n", out.Contract.Hex())
		}
	}
	if !f.Wait {
		return nil
	}
	return f.wait(e, cl, out)
}

// waitFor waits up to timeout for tx h to be included. Ctrl-C or the
// timeout end the wait, not the tx: the message says so and repeats its
// hash.
func waitFor(e *env, cl *node.Client, h common.Hash, timeout time.Duration) (*node.TxInfo, error) {
	wctx, wcancel := context.WithTimeout(e.ctx, timeout)
	defer wcancel()
	res, err := cl.WaitTx(wctx, h)
	var ni *node.NotIncludedError
	switch {
	case errors.As(err, &ni) && errors.Is(err, context.Canceled):
		return nil, fmt.Errorf("interrupted: tx %s not included yet; it may still be (tinychain tx %s)", h.Hex(), h.Hex())
	case errors.As(err, &ni):
		return nil, fmt.Errorf("%w; it may still be (tinychain tx %s)", err, h.Hex())
	case err != nil:
		return nil, fmt.Errorf("waiting for tx %s: %w", h.Hex(), err)
	}
	fillConfirmations(wctx, cl, res)
	return res, nil
}

// receiptFailed is exit status 3 for an included tx whose run failed.
func receiptFailed(st *node.TxInfo) error {
	if st.Receipt == nil {
		return nil
	}
	return runFailed("tx "+st.Tx.Hash.Hex(), st.Receipt.Status, st.Receipt.Error)
}

// wait waits for out.Hash with --timeout and prints the receipt; a run
// that failed is exit status 3.
func (f *txFlags) wait(e *env, cl *node.Client, out *sendResult) error {
	if !f.JSON {
		e.printf("waiting   for inclusion (up to %s)\n", f.Timeout)
	}
	res, err := waitFor(e, cl, out.Hash, f.Timeout)
	if err != nil {
		return err
	}
	out.Block, out.Height, out.Receipt = res.Block, res.Height, res.Receipt
	if r := res.Receipt; r != nil {
		out.OutputText = runOutcome{Output: r.Output}.withText().OutputText
	}
	if f.JSON {
		err = e.printJSON(out)
	} else {
		printTxStatus(e, res)
	}
	if err != nil {
		return err
	}
	return receiptFailed(res)
}

// sendResult is what send, deploy, call and exec print with --json: the
// tx hash, the contract a deploy creates, and with --wait where the tx was
// included and its receipt's fields (status, gas_used, output,
// output_text when printable, error, error_code, fault_at).
type sendResult struct {
	Hash     common.Hash     `json:"hash"`
	Contract *common.Address `json:"contract,omitempty"`
	Block    *common.Hash    `json:"block,omitempty"`
	Height   *uint64         `json:"height,omitempty"`
	*node.Receipt
	OutputText string `json:"output_text,omitempty"`
}

type sendCmd struct {
	txFlags
	To     string `required:"" help:"Recipient address."`
	Amount string `required:"" help:"Amount in base units."`
}

func (c *sendCmd) Run(e *env) error {
	to, err := parseAddress("--to", c.To)
	if err != nil {
		return err
	}
	amount, err := strconv.ParseUint(c.Amount, 10, 64)
	if err != nil {
		return usageErrorf("--amount %q: want a whole number of base units below 2^64", c.Amount)
	}
	return c.send(e, &proto.Tx{Kind: proto.KindTransfer, To: to, Value: amount})
}

// estimateGas is the gas limit send uses when --gas is not given: the
// intrinsic gas, plus for call and exec what a dry run on the head state
// uses, with a quarter more in case the state moves before inclusion.
func estimateGas(ctx context.Context, cl *node.Client, st *node.Status, tx *proto.Tx) (uint64, error) {
	gas := chain.IntrinsicGas(tx)
	if tx.Kind != proto.KindCall && tx.Kind != proto.KindExec {
		return gas, nil
	}
	req := &node.EvalRequest{GasLimit: st.BlockGasLimit - gas}
	if tx.Kind == proto.KindCall {
		req.To, req.InputHex = &tx.To, tx.Data
	} else {
		code := string(tx.Data)
		req.Code = &code
	}
	res, err := cl.Eval(ctx, req)
	if err != nil {
		return 0, fmt.Errorf("estimating gas: %w", err)
	}
	if res.Status == "out_of_gas" {
		return 0, fmt.Errorf("the run needs more gas than a block holds (%d)", st.BlockGasLimit)
	}
	return min(gas+res.GasUsed+res.GasUsed/4, st.BlockGasLimit), nil
}
