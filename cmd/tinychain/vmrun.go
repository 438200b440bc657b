package main

import (
	"fmt"
	"os"

	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/vm"
)

type vmCmd struct {
	Run    vmRunCmd `cmd:"" help:"Run Brainfuck locally, with the chain's gas and limits."`
	zkCmds `embed:""`
}

type vmRunCmd struct {
	File      string `arg:"" help:"Code file, or - for stdin." type:"existingfile|-"`
	Input     string `help:"Input as a string." xor:"input"`
	InputFile string `help:"Input from a file." xor:"input" type:"existingfile"`
	Gas       uint64 `help:"Gas limit." default:"12000000"`
	MaxOutput int    `help:"Output cap in bytes." default:"65536"`
	Trace     bool   `help:"Print every step on stderr: position, command, pointer, cell, gas left."`
	JSON      bool   `name:"json" help:"Print {output (hex), output_text, gas_used, status, error, error_code, fault_at}."`
}

func (c *vmRunCmd) Run(e *env) error {
	code, err := readSource(e, c.File)
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
		return usageErrorf("--max-output %d: must be positive", c.MaxOutput)
	}
	lim := vm.Limits{Gas: c.Gas, MaxOutput: c.MaxOutput}
	tape := new(vm.Tape)
	var res vm.Result
	if c.Trace {
		if err := vm.Validate(code); err != nil {
			return err
		}
		res = vm.RunPlain(code, tape, input, lim, func(pos int, cmd byte, ptr int, cell byte, gasLeft uint64) {
			fmt.Fprintf(e.stderr, "pos %d %c ptr %d cell %d gas %d\n", pos, cmd, ptr, cell, gasLeft)
		})
	} else {
		prog, err := vm.Compile(code)
		if err != nil {
			return err
		}
		res = prog.Run(tape, input, lim)
	}
	// The failure as a receipt gives it: a code, a position, their text.
	ec, at := chain.VMErrCode(res.Err)
	rc := &proto.Receipt{Status: ec.Status(), ErrCode: ec, FaultAt: at}
	out := runOutcome{Output: res.Output, GasUsed: res.GasUsed, Status: rc.Status.String(), Error: rc.ErrorText(), FaultAt: at}
	if ec != proto.ErrCodeNone {
		out.ErrorCode = ec.String()
	}
	out = out.withText()
	if c.JSON {
		err = e.printJSON(out)
	} else {
		printRun(e, out)
	}
	if err != nil {
		return err
	}
	return runFailed("vm run", out.Status, out.Error)
}
