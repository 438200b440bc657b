package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/alecthomas/kong"
)

// maxConfigBytes bounds the config file node --config reads.
const maxConfigBytes = 1 << 20

// tomlConfig loads `node --config FILE`: a TOML table whose keys are the
// node's flag names without the dashes in front (mine = true,
// mine-threads = 2, bootstrap = ["/ip4/..."]). A flag given on the command
// line overrides the file; a key that names no flag is an error.
func tomlConfig(r io.Reader) (kong.Resolver, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxConfigBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("config file over %d bytes", maxConfigBytes)
	}
	values := map[string]any{}
	if _, err := toml.Decode(string(data), &values); err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	return &tomlResolver{values: values}, nil
}

type tomlResolver struct{ values map[string]any }

// Validate reports keys that name no flag of the node command (or name
// --config itself).
func (r *tomlResolver) Validate(app *kong.Application) error {
	flags := map[string]bool{}
	for _, cmd := range app.Children {
		if cmd.Name != "node" {
			continue
		}
		for _, f := range cmd.Flags {
			flags[f.Name] = f.Name != "config"
		}
	}
	var bad []string
	for k := range r.values {
		if !flags[k] {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("config file: no node flag is named %s", strings.Join(bad, ", "))
	}
	return nil
}

func (r *tomlResolver) Resolve(_ *kong.Context, _ *kong.Path, flag *kong.Flag) (any, error) {
	if flag.Name == "config" {
		return nil, nil
	}
	return r.values[flag.Name], nil
}
