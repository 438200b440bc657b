// Package miner builds blocks and searches their proof of work.
//
// Assemble (assemble.go) fills a block on a blockchain.Template from candidate
// txs, executing each on the template's state as the chain will; Solve
// (miner.go) grinds the header's nonce on several threads; Miner runs the
// two in a loop on the head, taking txs from a Pool (the mempool) and
// handing what it finds to the Chain interface, which *blockchain.Chain
// implements.
//
// Lifecycle: New starts nothing; Start starts the loop once (a later
// call, or one after Stop, is an error); Stop may be called any number of times and returns
// when every goroutine the miner started (the loop, the hashrate meter,
// each search's watcher, Solve's threads) has ended.
package miner
