package chain_test

import (
	"go/build"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/tinychain/tinychain/"

// TestImportsPointOneWay pins the layout's import graph (README, Layout):
// the rules reach no package of the block tree, the pool or the miner; the
// block tree neither the pool nor the miner; the pool and the miner not
// each other and not LevelDB directly (only through the block tree); and
// nothing under chain/ reaches the network or the node.
func TestImportsPointOneWay(t *testing.T) {
	for _, tc := range []struct {
		pkg        string
		transitive []string // packages it must not reach
		direct     []string // packages it must not import itself
	}{
		{"chain", []string{"chain/blockchain", "chain/mempool", "chain/miner", "gossip", "node"}, nil},
		{"chain/blockchain", []string{"chain/mempool", "chain/miner", "gossip", "node"}, nil},
		{"chain/mempool", []string{"chain/miner", "gossip", "node"}, []string{"github.com/syndtr/goleveldb"}},
		{"chain/miner", []string{"chain/mempool", "gossip", "node"}, []string{"github.com/syndtr/goleveldb"}},
		// The proof verifier stands alone: no LevelDB, no libp2p, no rules.
		{"chain/proof", []string{"chain", "chain/smt", "chain/blockchain", "gossip", "node",
			"github.com/syndtr/goleveldb", "github.com/libp2p"}, nil},
	} {
		direct, all := imports(t, module+tc.pkg, map[string]bool{})
		for _, bad := range tc.transitive {
			for dep := range all {
				if under(dep, module+bad) || under(dep, bad) {
					t.Errorf("%s reaches %s", tc.pkg, dep)
				}
			}
		}
		for _, bad := range tc.direct {
			for _, dep := range direct {
				if under(dep, bad) {
					t.Errorf("%s imports %s", tc.pkg, dep)
				}
			}
		}
	}
}

func under(pkg, root string) bool { return pkg == root || strings.HasPrefix(pkg, root+"/") }

// imports returns pkg's own imports (non-test files) and adds its
// transitive ones to all, following only this module's packages (no
// other module imports ours).
func imports(t *testing.T, pkg string, all map[string]bool) ([]string, map[string]bool) {
	t.Helper()
	p, err := build.ImportDir(filepath.Join("..", strings.TrimPrefix(pkg, module)), 0)
	if err != nil {
		t.Fatalf("%s: %v", pkg, err)
	}
	for _, imp := range p.Imports {
		if !all[imp] {
			all[imp] = true
			if strings.HasPrefix(imp, module) {
				imports(t, imp, all)
			}
		}
	}
	return p.Imports, all
}
