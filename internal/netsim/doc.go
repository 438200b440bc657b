// Package netsim runs a network of real tinychain nodes on one machine and
// measures it: each node is the tinychain binary in a network namespace of
// its own, whose only link is a TUN device; a user-space router holds the
// other end of every TUN device and carries each IPv4 packet to the
// namespace it is addressed to after its link's delay and jitter, or drops
// it (random loss, a partition, one-way loss). Bandwidth is tbf in each
// namespace, on the TUN device's egress. Both ends run the kernel's own
// TCP, as netem would give.
//
// Run (run.go) builds the namespaces, the genesis and the nodes, starts a tx
// load and, with chaos, faults; it follows every node's /v1/events stream
// (observe.go) to time each block's arrival at each node, and reports
// (report.go) propagation percentiles, the stale rate, reorg depths, tx
// inclusion latency, convergence after the last fault, CPU and RSS per node
// and bytes sent per node per block, with the invariants that broke.
//
// Files: router.go (the delay line), tun.go and ns.go (TUN devices,
// namespaces, dialling into one, cleanup), nodes.go (processes, cgroups),
// observe.go (what the nodes report), txload.go, chaos.go, stats.go
// (percentiles), report.go, run.go.
package netsim
