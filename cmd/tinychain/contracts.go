package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/vm"
	"github.com/tinychain/tinychain/wallet"
)

// readSource reads Brainfuck code from a file, or stdin for "-".
func readSource(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(io.LimitReader(os.Stdin, proto.MaxTxSize+1))
	}
	return os.ReadFile(path)
}

// inputFlags are the two ways to give a call its input.
type inputFlags struct {
	Input    string `help:"Input as a string." xor:"input"`
	InputHex string `help:"Input as hex bytes." xor:"input"`
}

func (f *inputFlags) bytes() ([]byte, error) {
	if f.InputHex != "" {
		b, err := hex.DecodeString(strings.TrimPrefix(f.InputHex, "0x"))
		if err != nil {
			return nil, fmt.Errorf("--input-hex: %v", err)
		}
		return b, nil
	}
	return []byte(f.Input), nil
}

type deployCmd struct {
	txFlags
	Code  string `required:"" help:"Code file, or - for stdin." type:"existingfile|-"`
	Value uint64 `help:"Amount credited to the contract."`
}

func (c *deployCmd) Run() error {
	code, err := readSource(c.Code)
	if err != nil {
		return err
	}
	if err := vm.Validate(code); err != nil {
		return err
	}
	return c.send(&proto.Tx{Kind: proto.KindDeploy, Data: code, Value: c.Value})
}

type callCmd struct {
	txFlags
	inputFlags
	To    string `required:"" help:"Contract address."`
	Value uint64 `help:"Amount credited to the contract."`
}

func (c *callCmd) Run() error {
	to, err := wallet.ParseAddress(c.To)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	in, err := c.bytes()
	if err != nil {
		return err
	}
	return c.send(&proto.Tx{Kind: proto.KindCall, To: to, Data: in, Value: c.Value})
}

type execCmd struct {
	txFlags
	Code string `required:"" help:"Code file, or - for stdin." type:"existingfile|-"`
}

func (c *execCmd) Run() error {
	code, err := readSource(c.Code)
	if err != nil {
		return err
	}
	if err := vm.Validate(code); err != nil {
		return err
	}
	return c.send(&proto.Tx{Kind: proto.KindExec, Data: code})
}

type evalCmd struct {
	rpcFlags
	inputFlags
	Code string `help:"Code file, or - for stdin: run on the world tape." xor:"target"`
	To   string `help:"Contract to run with the input." xor:"target"`
	Gas  uint64 `help:"Gas limit (default 12,000,000)."`
}

func (c *evalCmd) Run() error {
	req := node.EvalRequest{GasLimit: c.Gas}
	switch {
	case c.Code != "":
		code, err := readSource(c.Code)
		if err != nil {
			return err
		}
		s := string(code)
		req.Code = &s
	case c.To != "":
		to, err := wallet.ParseAddress(c.To)
		if err != nil {
			return fmt.Errorf("--to: %w", err)
		}
		req.To = &to
		in, err := c.bytes()
		if err != nil {
			return err
		}
		req.InputHex = in
	default:
		return fmt.Errorf("say what to run: --code FILE or --to CONTRACT")
	}
	ctx, cancel := ctxTimeout()
	defer cancel()
	res, err := c.client().Eval(ctx, &req)
	if err != nil {
		return err
	}
	if c.JSON {
		return printJSON(res)
	}
	os.Stdout.Write(res.Output)
	fmt.Fprintf(os.Stderr, "\ngas used %d, status %s %s\n", res.GasUsed, res.Status, res.Error)
	return nil
}
