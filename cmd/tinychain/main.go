// Command tinychain is the tinychain node and its command-line client:
// `tinychain node` runs a node; the other commands talk to one over its
// HTTP API (--rpc), manage keys (wallet) or run Brainfuck locally (vm run).
//
// Exit status: 0 on success; 1 on an error, with a one-line reason on
// stderr; 2 on a usage error; 3 when a transaction waited for with --wait
// was included but its execution failed.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/alecthomas/kong"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes.
const (
	exitError    = 1
	exitUsage    = 2
	exitTxFailed = 3
)

// cli is the whole command line.
type cli struct {
	Node    nodeCmd          `cmd:"" help:"Run a node."`
	Wallet  walletCmd        `cmd:"" help:"Manage keys in the keystore."`
	Send    sendCmd          `cmd:"" help:"Send a transfer."`
	Status  statusCmd        `cmd:"" help:"Show the node's status."`
	Block   blockCmd         `cmd:"" help:"Show a block (default: the head)."`
	Tx      txCmd            `cmd:"" help:"Show a transaction and its receipt."`
	Balance balanceCmd       `cmd:"" help:"Show an account's balance and nonce."`
	Peers   peersCmd         `cmd:"" help:"Show the connected peers."`
	Deploy  deployCmd        `cmd:"" help:"Deploy a Brainfuck contract."`
	Call    callCmd          `cmd:"" help:"Call a contract with an input."`
	Exec    execCmd          `cmd:"" help:"Run code on the shared world tape."`
	Eval    evalCmd          `cmd:"" help:"Dry-run code or a call on the head state."`
	VM      vmCmd            `cmd:"" name:"vm" help:"Run Brainfuck locally, without a node."`
	Version kong.VersionFlag `help:"Print the version."`
}

// exitErr carries an exit code other than exitError.
type exitErr struct {
	code int
	err  error
}

func (e *exitErr) Error() string { return e.err.Error() }

func main() {
	var c cli
	parser, err := kong.New(&c,
		kong.Name("tinychain"),
		kong.Description("A small, complete proof-of-work blockchain node with Brainfuck smart contracts."),
		kong.Vars{"version": version, "datadir": defaultDataDir()},
		kong.Exit(func(code int) {
			if code != 0 {
				code = exitUsage
			}
			os.Exit(code)
		}),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tinychain:", err)
		os.Exit(exitError)
	}
	ctx, err := parser.Parse(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "tinychain:", err)
		os.Exit(exitUsage)
	}
	if err := ctx.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "tinychain:", err)
		var ee *exitErr
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(exitError)
	}
}
