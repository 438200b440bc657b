package main

import (
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tinychain/tinychain/proto"
)

// runOutcome is the one shape in which eval, vm run and a receipt (call,
// exec, deploy, tx) show what a run did; with --json eval and vm run print
// it as it is (the same fields as POST /v1/eval answers).
type runOutcome struct {
	Output     hexutil.Bytes `json:"output"`
	OutputText string        `json:"output_text,omitempty"` // Output as text, when it is printable
	GasUsed    uint64        `json:"gas_used"`
	Status     string        `json:"status"`
	Error      string        `json:"error"`
	ErrorCode  string        `json:"error_code,omitempty"`
	FaultAt    uint64        `json:"fault_at"`
}

// withText fills in OutputText (and turns a nil Output into 0x).
func (r runOutcome) withText() runOutcome {
	if r.Output == nil {
		r.Output = hexutil.Bytes{}
	}
	r.OutputText = ""
	if printable(r.Output) {
		r.OutputText = string(r.Output)
	}
	return r
}

// printable reports whether b reads as text: non-empty UTF-8 of printable
// characters, spaces, tabs and line breaks.
func printable(b []byte) bool {
	if len(b) == 0 || !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if !unicode.IsPrint(r) && r != '\n' && r != '\t' && r != '\r' {
			return false
		}
	}
	return true
}

// printRun prints a run's outcome: status and gas, the output in hex with
// the text it reads as (quoted, when printable), and why it failed.
func printRun(e *env, r runOutcome) {
	r = r.withText()
	e.printf("status    %s\n", r.Status)
	e.printf("gas used  %d\n", r.GasUsed)
	switch {
	case len(r.Output) == 0:
		e.printf("output    none\n")
	case r.OutputText != "":
		e.printf("output    %s %s\n", r.Output, strconv.Quote(r.OutputText))
	default:
		e.printf("output    %s\n", r.Output)
	}
	if r.Error != "" {
		e.printf("error     %s\n", r.Error)
	}
}

// runFailed is exit status 3 for a run that did not succeed.
func runFailed(what, status, reason string) error {
	if status == proto.StatusOK.String() {
		return nil
	}
	msg := fmt.Sprintf("%s: %s", what, status)
	if reason != "" {
		msg += ": " + reason
	}
	return &exitErr{exitRunFailed, fmt.Errorf("%s", msg)}
}
