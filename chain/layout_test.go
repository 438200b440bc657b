package chain_test

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/tinychain/tinychain/"

// TestImportsPointOneWay pins the layout's import graph (README, Layout):
// the rules reach neither the state's implementation nor the store, nor
// any package of the block tree, the pool or the miner; the state and
// the Merkle tree reach neither the rules nor the store (they read and
// write through smt.Reader and smt.Writer); the store reaches no package
// of ours; the block tree neither the pool nor the miner; the pool and the
// miner not each other; nothing under chain/ reaches the network or the
// node; and chain/store is the only package of the module that imports
// LevelDB.
func TestImportsPointOneWay(t *testing.T) {
	for _, tc := range []struct {
		pkg        string
		transitive []string // packages it must not reach ("x/..." : x and below)
	}{
		{"chain", []string{"chain/state", "chain/store", "chain/blockchain", "chain/mempool", "chain/miner", "gossip/...", "node/..."}},
		{"chain/state", []string{"chain", "chain/store", "chain/blockchain", "gossip/...", "node/..."}},
		{"chain/smt", []string{"chain", "chain/state", "chain/store", "chain/blockchain", "gossip/...", "node/..."}},
		{"chain/store", []string{"..."}}, // no package of ours
		{"chain/blockchain", []string{"chain/mempool", "chain/miner", "gossip/...", "node/..."}},
		{"chain/mempool", []string{"chain/miner", "gossip/...", "node/..."}},
		{"chain/miner", []string{"chain/mempool", "gossip/...", "node/..."}},
	} {
		_, all := imports(t, module+tc.pkg, map[string]bool{})
		for _, bad := range tc.transitive {
			for dep := range all {
				if matches(dep, bad) {
					t.Errorf("%s reaches %s", tc.pkg, dep)
				}
			}
		}
	}
	for _, pkg := range modulePackages(t) {
		direct, _ := imports(t, pkg, map[string]bool{})
		for _, dep := range direct {
			if under(dep, "github.com/syndtr/goleveldb") && pkg != module+"chain/store" {
				t.Errorf("%s imports %s: only chain/store may", pkg, dep)
			}
		}
	}
}

// modulePackages lists every package of the module (non-test files).
func modulePackages(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if name := d.Name(); path != ".." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
			return filepath.SkipDir
		}
		if _, err := build.ImportDir(path, 0); err != nil {
			return nil // no Go files (or only tests): not a package
		}
		rel, err := filepath.Rel("..", path)
		if err != nil {
			return err
		}
		if rel != "." {
			out = append(out, module+filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 10 {
		t.Fatalf("found only %d packages: %v", len(out), out)
	}
	return out
}

// matches reports whether pkg is the module's package pattern ("x" or
// "x/...", "..." for all of the module).
func matches(pkg, pattern string) bool {
	if pattern == "..." {
		return strings.HasPrefix(pkg, module)
	}
	if p, ok := strings.CutSuffix(pattern, "/..."); ok {
		return under(pkg, module+p)
	}
	return pkg == module+pattern
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
