package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tinychain/tinychain/vm"
	"github.com/tinychain/tinychain/zk"
)

// zkCmds are the vm subcommands that make and check zero-knowledge proofs
// of runs (package zk), embedded in vmCmd.
type zkCmds struct {
	Setup  vmSetupCmd  `cmd:"" help:"Make the zk proving and verifying keys with fresh randomness; print the verifying keys' hashes."`
	Prove  vmProveCmd  `cmd:"" help:"Run Brainfuck and prove the run: writes the public statement and a proof as JSON."`
	Verify vmVerifyCmd `cmd:"" help:"Verify a proof file: exit 0 when it is valid."`
}

type vmSetupCmd struct {
	Keys  string `help:"Key directory." default:"${datadir}/zk" type:"path"`
	Sizes []int  `help:"Circuit sizes by name (10, 12, 13, 14, 16, 17: about 1.2, 5, 10, 20, 69 and 150 thousand steps; 17 needs ~15 GiB of RAM)." default:"10,12,13,14"`
}

func (c *vmSetupCmd) Run(e *env) error {
	for _, l := range c.Sizes {
		s := zk.NewSize(l)
		if _, err := (&zk.Statement{LogSteps: l}).Size(); err != nil {
			return usageErrorf("--sizes %d: %v", l, err)
		}
		start := time.Now()
		k, err := zk.Setup(s)
		if err != nil {
			return err
		}
		h, err := k.Write(c.Keys)
		if err != nil {
			return err
		}
		e.printf("size %s: %d steps, %d constraints, setup %d ms\n  verifying key %s\n  sha256 %s\n",
			s, s.Steps-1, k.CS.GetNbConstraints(), time.Since(start).Milliseconds(), zk.VKFile(c.Keys, s), hexutil.Encode(h))
	}
	e.printf("give verifiers the verifying key's sha256 to check the file they are sent against\n")
	return nil
}

type vmProveCmd struct {
	File      string `arg:"" help:"Code file, or - for stdin." type:"existingfile|-"`
	Input     string `help:"Input as a string." xor:"input"`
	InputFile string `help:"Input from a file." xor:"input" type:"existingfile"`
	TapeIn    string `help:"The tape before the run: a file of its cells (raw bytes, or 0x-hex as the API's /tape gives it)." type:"existingfile"`
	TapeOut   string `help:"Write the tape after the run (compact, raw bytes) to this file."`
	Gas       uint64 `help:"Gas limit." default:"12000000"`
	Call      bool   `help:"Charge the chain's load gas of a call first: 1 per byte of the code and of the stored tape."`
	Keys      string `help:"Key directory (tinychain vm setup)." default:"${datadir}/zk" type:"path"`
	Out       string `short:"o" required:"" help:"Proof file to write."`
}

func (c *vmProveCmd) Run(e *env) error {
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
	tape, err := readTape(c.TapeIn)
	if err != nil {
		return err
	}
	lim := vm.Limits{Gas: c.Gas}
	if c.Call {
		lim.LoadGas = uint64(len(code)*vm.GasCodeByte + len(tape.Compact())*vm.GasTapeByte)
	}
	start := time.Now()
	run, err := zk.Trace(code, tape, input, lim)
	if err != nil {
		return err
	}
	size, err := zk.Fit(run)
	if err != nil {
		return err
	}
	keys, err := zk.LoadKeys(c.Keys, size)
	if err != nil {
		return err
	}
	loaded := time.Now()
	proof, err := zk.Prove(keys, run)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(proof, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.Out, append(b, '\n'), 0o644); err != nil {
		return err
	}
	if c.TapeOut != "" {
		if err := os.WriteFile(c.TapeOut, run.TapeOut.Compact(), 0o644); err != nil {
			return err
		}
	}
	st := proof.Statement
	e.printf("proved %d steps at size %s: status %s, gas used %d, output %d bytes\n", len(run.Steps), size, st.Status, st.GasUsed, len(st.Output))
	e.printf("keys loaded in %d ms, proved in %d ms; wrote %s\n", loaded.Sub(start).Milliseconds(), time.Since(loaded).Milliseconds(), c.Out)
	return nil
}

// readTape reads a tape file: raw cells, or 0x-hex; "" is the zero tape.
func readTape(path string) (*vm.Tape, error) {
	if path == "" {
		return new(vm.Tape), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if t := strings.TrimSpace(string(b)); strings.HasPrefix(t, "0x") {
		if b, err = hexutil.Decode(t); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return vm.LoadTape(b)
}

type vmVerifyCmd struct {
	Proof string `arg:"" help:"Proof file (tinychain vm prove)." type:"existingfile"`
	VK    string `name:"vk" help:"Verifying key to trust (default: the key directory's key for the proof's size)." type:"existingfile"`
	Keys  string `help:"Key directory." default:"${datadir}/zk" type:"path"`
	Code  string `help:"Also check that the statement's code hash is this code's." type:"existingfile"`
	JSON  bool   `name:"json" help:"Print {valid, ms, vk_hash, statement}."`
}

func (c *vmVerifyCmd) Run(e *env) error {
	b, err := os.ReadFile(c.Proof)
	if err != nil {
		return err
	}
	var p zk.ProofFile
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("%s: %w", c.Proof, err)
	}
	size, err := p.Statement.Size()
	if err != nil {
		return err
	}
	vkPath := c.VK
	if vkPath == "" {
		vkPath = zk.VKFile(c.Keys, size)
	}
	vk, err := zk.LoadVK(vkPath)
	if err != nil {
		return err
	}
	vh, err := zk.VKHash(vk)
	if err != nil {
		return err
	}
	if c.Code != "" {
		code, err := os.ReadFile(c.Code)
		if err != nil {
			return err
		}
		if h, err := zk.CodeHash(code, size); err != nil || !bytes.Equal(h, p.Statement.CodeHash) {
			return fmt.Errorf("the statement's code hash is not %s's at size %s", filepath.Base(c.Code), size)
		}
	}
	start := time.Now()
	err = zk.Verify(vk, &p)
	ms := float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		if !bytes.Equal(vh, p.VKHash) {
			err = fmt.Errorf("%w (the proof was made for verifying key %s, %s is %s)", err, p.VKHash, vkPath, hexutil.Encode(vh))
		}
		return err
	}
	if c.JSON {
		return e.printJSON(map[string]any{"valid": true, "ms": ms, "vk_hash": hexutil.Bytes(vh), "statement": p.Statement})
	}
	st := p.Statement
	e.printf("valid proof (%.1f ms) against verifying key %s\n", ms, hexutil.Encode(vh))
	e.printf("code %s, input %d bytes, output %q, gas used %d of %d, status %s\n", st.CodeHash, len(st.Input), []byte(st.Output), st.GasUsed, st.GasLimit, st.Status)
	return nil
}
