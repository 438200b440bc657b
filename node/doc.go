// Package node wires a tinychain node together: the chain (block tree,
// state, fork choice), the mempool, the miner and the HTTP API, with one
// lifecycle (New, Start, Close). It owns configuration and the API's JSON
// shapes; it holds no consensus logic of its own.
//
// The HTTP API (DESIGN.md) answers JSON on /v1: status, blocks, txs,
// accounts and the mempool. Errors are 4xx/5xx with {"error": "...",
// "code": "<rule>"}; request bodies are bounded.
package node
