//go:build race

package node_test

// raceEnabled: the race detector slows everything several times, so the
// load test runs a smaller load under it.
const raceEnabled = true
