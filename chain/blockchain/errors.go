package blockchain

import (
	"fmt"

	"github.com/tinychain/tinychain/chain"
)

// ruleErr is a broken consensus rule found by the block tree (a block's
// height, its state transition, an invalid ancestor).
func ruleErr(c chain.ErrorCode, format string, args ...any) error {
	return &chain.RuleError{Code: c, Detail: fmt.Sprintf(format, args...)}
}
