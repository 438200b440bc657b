//go:build !unix

package node

// lockDataDir takes no lock where flock is missing: LevelDB's own lock
// on chaindata still refuses a second node, with its own words.
func lockDataDir(dir string) (release func(), err error) { return func() {}, nil }
