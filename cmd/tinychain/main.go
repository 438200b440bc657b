// Command tinychain is the tinychain node and its command-line client:
// `tinychain node` runs a node; the other commands talk to one over its
// HTTP API (--rpc), manage keys (wallet) or run Brainfuck locally (vm run).
//
// Exit status: 0 on success; 1 on an error, with a one-line reason on
// stderr; 2 on a usage error (a bad flag, argument or address); 3 when a
// run failed: a tx waited for with --wait was included but its execution
// ran out of gas or faulted, or an eval or vm run did.
//
// All wiring is in Main (ParseFlags, Run, Close), so that the tests run
// the whole command line in process; main only adds the process: its
// arguments, standard streams, signals and exit status.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"
)

// Exit codes.
const (
	exitOK        = 0
	exitError     = 1
	exitUsage     = 2
	exitRunFailed = 3
)

// cli is the command table: one line per command.
type cli struct {
	Node    nodeCmd    `cmd:"" help:"Run a node."`
	Light   lightCmd   `cmd:"" help:"Run a header-only light node that verifies full nodes' answers."`
	Wallet  walletCmd  `cmd:"" help:"Manage keys in the keystore."`
	Send    sendCmd    `cmd:"" help:"Send a transfer."`
	Status  statusCmd  `cmd:"" help:"Show the node's status."`
	Block   blockCmd   `cmd:"" help:"Show a block: head (the default), a height or a hash."`
	Tx      txCmd      `cmd:"" help:"Show a transaction (by hash, or --from and --nonce) and its receipt."`
	Balance balanceCmd `cmd:"" help:"Show an account's balance and nonce."`
	Account accountCmd `cmd:"" help:"Show an account: balance, nonce, code, tape and recent txs."`
	Mempool mempoolCmd `cmd:"" help:"Show the pending txs, in the order a miner takes them."`
	Gas     gasCmd     `cmd:"" help:"Show the gas prices paid in recent blocks."`
	Peers   peersCmd   `cmd:"" help:"Show the connected peers."`
	Watch   watchCmd   `cmd:"" help:"Follow new heads and txs until interrupted."`
	Deploy  deployCmd  `cmd:"" help:"Deploy a Brainfuck contract."`
	Call    callCmd    `cmd:"" help:"Call a contract with an input."`
	Exec    execCmd    `cmd:"" help:"Run code on the shared world tape."`
	Eval    evalCmd    `cmd:"" help:"Dry-run code or a call on the head state."`
	VM      vmCmd      `cmd:"" name:"vm" help:"Run Brainfuck locally, without a node."`
	Version versionCmd `cmd:"" help:"Print the version and the commit it was built from."`

	VersionFlag kong.VersionFlag `name:"version" help:"Print the version."`
}

// env is what a command runs with: its context (cancelled by Ctrl-C) and
// its standard streams. Commands write only through it.
type env struct {
	ctx            context.Context
	stdin          io.Reader
	stdout, stderr io.Writer
	// onClose collects what a long-running command (node) opened, for
	// Main.Close.
	onClose func(func() error)
}

// printJSON writes v as one indented JSON document; `<`, `>` and `&`
// stay as they are (the output is for people and programs, not HTML).
func (e *env) printJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func (e *env) printf(format string, args ...any) { fmt.Fprintf(e.stdout, format, args...) }

// exitErr carries an exit code other than exitError.
type exitErr struct {
	code int
	err  error
}

func (e *exitErr) Error() string { return e.err.Error() }
func (e *exitErr) Unwrap() error { return e.err }

// usageErrorf is a usage error: exit status 2.
func usageErrorf(format string, args ...any) error {
	return &exitErr{exitUsage, fmt.Errorf(format, args...)}
}

// usage marks err, if any, as a usage error.
func usage(err error) error {
	if err == nil {
		return nil
	}
	return &exitErr{exitUsage, err}
}

// exitCode is the exit status err calls for.
func exitCode(err error) int {
	var ee *exitErr
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	}
	return exitError
}

// Main is the program: ParseFlags reads the command line, Run runs the
// command, Close releases what it opened.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer

	cli     cli
	kctx    *kong.Context
	closers []func() error
}

// NewMain returns a Main on the given streams.
func NewMain(stdin io.Reader, stdout, stderr io.Writer) *Main {
	return &Main{Stdin: stdin, Stdout: stdout, Stderr: stderr}
}

// kongExit is how kong's exit (after --help or --version) unwinds
// ParseFlags without ending the process.
type kongExit struct{ code int }

// errHelp says ParseFlags printed help or the version: nothing to run;
// errUsagePrinted that it printed usage for a mistake, which says enough.
var (
	errHelp         = errors.New("help printed")
	errUsagePrinted = errors.New("usage printed")
)

// ParseFlags parses args (without the program name).
func (m *Main) ParseFlags(ctx context.Context, args []string) (err error) {
	parser, err := kong.New(&m.cli,
		kong.Name("tinychain"),
		kong.Description("A small, complete proof-of-work blockchain node with Brainfuck smart contracts."),
		kong.Vars{"version": versionString(), "datadir": defaultDataDir()},
		kong.Writers(m.Stdout, m.Stderr),
		kong.Configuration(tomlConfig),
		kong.Exit(func(code int) { panic(kongExit{code}) }),
	)
	if err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			ke, ok := r.(kongExit)
			if !ok {
				panic(r)
			}
			err = errHelp
			if ke.code != 0 {
				err = usage(errUsagePrinted)
			}
		}
	}()
	m.kctx, err = parser.Parse(args)
	return usage(err)
}

// Run runs the parsed command; a long-running one (node) returns when ctx
// is cancelled.
func (m *Main) Run(ctx context.Context) error {
	e := &env{ctx: ctx, stdin: m.Stdin, stdout: m.Stdout, stderr: m.Stderr,
		onClose: func(f func() error) { m.closers = append(m.closers, f) }}
	return m.kctx.Run(e)
}

// Close releases what Run opened, last first. It is safe to call twice.
func (m *Main) Close() error {
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	m.closers = nil
	return errors.Join(errs...)
}

// run is the whole program, callable in process: it returns the exit
// status and writes a one-line reason for a failure on stderr.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 { // no command: the help, on stderr, as a usage error
		NewMain(stdin, stderr, stderr).ParseFlags(ctx, []string{"--help"})
		return exitUsage
	}
	m := NewMain(stdin, stdout, stderr)
	err := m.ParseFlags(ctx, args)
	if errors.Is(err, errHelp) {
		return exitOK
	}
	if err == nil {
		err = m.Run(ctx)
		if cerr := m.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil && !errors.Is(err, errUsagePrinted) {
		fmt.Fprintln(stderr, "tinychain:", err)
	}
	return exitCode(err)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
