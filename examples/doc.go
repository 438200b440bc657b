// Package examples holds small Brainfuck contracts (the .bf files) and the
// tests that deploy and call each of them on a real node. It has no code
// of its own.
package examples
