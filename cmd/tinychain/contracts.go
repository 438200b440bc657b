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
)

// readSource reads Brainfuck code from a file, or stdin for "-".
func readSource(e *env, path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(io.LimitReader(e.stdin, proto.MaxTxSize+1))
	}
	return os.ReadFile(path)
}

// stripComments keeps only the eight commands: every other byte is a
// comment that the VM skips but a tx pays for as data.
func stripComments(code []byte) []byte {
	out := make([]byte, 0, len(code))
	for _, b := range code {
		if strings.IndexByte("><+-.,[]", b) >= 0 {
			out = append(out, b)
		}
	}
	return out
}

// codeFlags are how deploy and exec read the code they send.
type codeFlags struct {
	Code         string `required:"" help:"Code file, or - for stdin." type:"existingfile|-"`
	KeepComments bool   `help:"Send the code as it is: by default every byte but the eight commands ><+-.,[] is left out (it costs gas as tx data and does nothing)."`
}

func (f *codeFlags) read(e *env) ([]byte, error) {
	code, err := readSource(e, f.Code)
	if err != nil {
		return nil, err
	}
	if !f.KeepComments {
		code = stripComments(code)
	}
	if err := vm.Validate(code); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Code, err)
	}
	return code, nil
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
			return nil, usageErrorf("--input-hex: %v", err)
		}
		return b, nil
	}
	return []byte(f.Input), nil
}

type deployCmd struct {
	txFlags
	codeFlags
	Value uint64 `help:"Amount credited to the contract (locked there: contracts cannot send)."`
}

func (c *deployCmd) Run(e *env) error {
	code, err := c.read(e)
	if err != nil {
		return err
	}
	return c.send(e, &proto.Tx{Kind: proto.KindDeploy, Data: code, Value: c.Value})
}

type callCmd struct {
	txFlags
	inputFlags
	To    string `required:"" help:"Contract address."`
	Value uint64 `help:"Amount credited to the contract (locked there: contracts cannot send)."`
}

func (c *callCmd) Run(e *env) error {
	to, err := parseAddress("--to", c.To)
	if err != nil {
		return err
	}
	in, err := c.bytes()
	if err != nil {
		return err
	}
	return c.send(e, &proto.Tx{Kind: proto.KindCall, To: to, Data: in, Value: c.Value})
}

type execCmd struct {
	txFlags
	codeFlags
}

func (c *execCmd) Run(e *env) error {
	code, err := c.read(e)
	if err != nil {
		return err
	}
	return c.send(e, &proto.Tx{Kind: proto.KindExec, Data: code})
}

type evalCmd struct {
	rpcFlags
	inputFlags
	Code string `help:"Code file, or - for stdin: run on the world tape." xor:"target"`
	To   string `help:"Contract to run with the input." xor:"target"`
	Gas  uint64 `help:"Gas limit (default 12,000,000)."`
}

func (c *evalCmd) Run(e *env) error {
	req := node.EvalRequest{GasLimit: c.Gas}
	switch {
	case c.Code != "":
		code, err := readSource(e, c.Code)
		if err != nil {
			return err
		}
		s := string(code)
		req.Code = &s
	case c.To != "":
		to, err := parseAddress("--to", c.To)
		if err != nil {
			return err
		}
		req.To = &to
		in, err := c.bytes()
		if err != nil {
			return err
		}
		req.InputHex = in
	default:
		return usageErrorf("say what to run: --code FILE or --to CONTRACT")
	}
	ctx, cancel := ctxTimeout(e)
	defer cancel()
	res, err := c.client().Eval(ctx, &req)
	if err != nil {
		return err
	}
	out := runOutcome{Output: res.Output, GasUsed: res.GasUsed, Status: res.Status,
		Error: res.Error, ErrorCode: res.ErrorCode, FaultAt: res.FaultAt}.withText()
	if c.JSON {
		err = e.printJSON(out)
	} else {
		printRun(e, out)
	}
	if err != nil {
		return err
	}
	return runFailed("eval", out.Status, out.Error)
}
