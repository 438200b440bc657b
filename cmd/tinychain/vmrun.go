package main

import (
	"fmt"
	"os"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tinychain/tinychain/vm"
)

type vmCmd struct {
	Run vmRunCmd `cmd:"" help:"Run Brainfuck locally, with the chain's gas and limits."`
}

type vmRunCmd struct {
	File      string `arg:"" help:"Code file, or - for stdin." type:"existingfile|-"`
	Input     string `help:"Input as a string." xor:"input"`
	InputFile string `help:"Input from a file." xor:"input" type:"existingfile"`
	Gas       uint64 `help:"Gas limit." default:"12000000"`
	MaxOutput int    `help:"Output cap in bytes." default:"65536"`
	Trace     bool   `help:"Print every step: position, command, pointer, cell, gas left."`
	JSON      bool   `name:"json" help:"Print {output (hex), gas_used, status, error}."`
}

func (c *vmRunCmd) Run() error {
	code, err := readSource(c.File)
	if err != nil {
		return err
	}
	input := []byte(c.Input)
	if c.InputFile != "" {
		if input, err = os.ReadFile(c.InputFile); err != nil {
			return err
		}
	}
	if c.MaxOutput <= 0 {
		return fmt.Errorf("--max-output must be positive")
	}
	lim := vm.Limits{Gas: c.Gas, MaxOutput: c.MaxOutput}
	tape := new(vm.Tape)
	var res vm.Result
	if c.Trace {
		if err := vm.Validate(code); err != nil {
			return err
		}
		res = vm.RunPlain(code, tape, input, lim, func(pos int, cmd byte, ptr int, cell byte, gasLeft uint64) {
			fmt.Fprintf(os.Stderr, "pos %d %c ptr %d cell %d gas %d\n", pos, cmd, ptr, cell, gasLeft)
		})
	} else {
		prog, err := vm.Compile(code)
		if err != nil {
			return err
		}
		res = prog.Run(tape, input, lim)
	}
	errText := ""
	if res.Err != nil {
		errText = res.Err.Error()
	}
	if c.JSON {
		out := res.Output
		if out == nil {
			out = []byte{}
		}
		return printJSON(map[string]any{"output": hexutil.Bytes(out), "gas_used": res.GasUsed,
			"status": res.Status.String(), "error": errText})
	}
	os.Stdout.Write(res.Output)
	fmt.Fprintf(os.Stderr, "\ngas used %d, status %s", res.GasUsed, res.Status)
	if errText != "" {
		fmt.Fprintf(os.Stderr, ": %s", errText)
	}
	fmt.Fprintln(os.Stderr)
	return nil
}
