package chain

import (
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"sort"
	"strconv"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// HeaderVersion is the only block version this code accepts.
const HeaderVersion = 1

// Gas charged for a transaction before any execution: a fixed base (the
// cost of a signature check and two account writes) plus a charge per byte
// of data, which every node stores forever.
const (
	TxGas         = 1000
	TxDataGasByte = 16
)

// Genesis is a chain's genesis: its identity, initial balances and
// consensus parameters. It is the JSON file given to `node --genesis`.
// Amounts are decimal strings, targets 0x-hex.
type Genesis struct {
	ChainID   uint64 `json:"chain_id"`
	Timestamp uint64 `json:"timestamp"` // unix ms
	// Target is the target of the genesis block and of block 1, which
	// anchors ASERT. PowLimit is the easiest target ASERT may reach.
	Target   *hexutil.Big `json:"target"`
	PowLimit *hexutil.Big `json:"pow_limit"`

	BlockIntervalMs int64  `json:"block_interval_ms"`
	HalfLifeMs      int64  `json:"asert_half_life_ms"`
	BlockReward     Amount `json:"block_reward"`
	HalvingInterval uint64 `json:"halving_interval"`
	BlockGasLimit   uint64 `json:"block_gas_limit"`
	MaxBlockBytes   int    `json:"max_block_bytes"`
	MaxTxBytes      int    `json:"max_tx_bytes"`
	MinGasPrice     Amount `json:"min_gas_price"`
	MaxFutureMs     int64  `json:"max_future_ms"`

	Alloc map[common.Address]Amount `json:"alloc"`

	// Checkpoints and MinChainWork (optional, checkpoint.go) are what a
	// starting node knows of the real chain; they do not enter the
	// genesis block.
	Checkpoints  []Checkpoint `json:"checkpoints,omitempty"`
	MinChainWork *hexutil.Big `json:"min_chain_work,omitempty"`
}

// Amount is a uint64 that reads and writes JSON as a decimal string, as the
// API shows amounts (they exceed JavaScript's safe integers).
type Amount uint64

// MarshalJSON writes the amount as a decimal string.
func (a Amount) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatUint(uint64(a), 10) + `"`), nil
}

// UnmarshalJSON reads a decimal string (or a plain JSON number).
func (a *Amount) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("amount %s: want a decimal integer below 2^64", string(b))
	}
	*a = Amount(v)
	return nil
}

// DevnetChainID is the chain id of the built-in devnet.
const DevnetChainID = 1337

// DevnetAlloc is what each dev key holds at devnet genesis.
const DevnetAlloc = 1_000_000_000_000_000

// Devnet returns the built-in devnet genesis: about 2 s blocks from an
// easy start, ten prefunded dev keys (wallet.DevKey).
func Devnet() *Genesis {
	g := &Genesis{
		ChainID:         DevnetChainID,
		Timestamp:       1767225600000, // 2026-01-01T00:00:00Z
		Target:          (*hexutil.Big)(new(big.Int).Lsh(big.NewInt(1), 236)),
		PowLimit:        (*hexutil.Big)(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(1))),
		BlockIntervalMs: 2000,
		HalfLifeMs:      60_000,
		BlockReward:     50_000_000_000,
		HalvingInterval: 210_000,
		BlockGasLimit:   50_000_000,
		MaxBlockBytes:   2 << 20,
		MaxTxBytes:      128 << 10,
		MinGasPrice:     1,
		MaxFutureMs:     15_000,
		Alloc:           map[common.Address]Amount{},
	}
	for i := 0; i < wallet.DevKeys; i++ {
		g.Alloc[wallet.DevAddress(i)] = DevnetAlloc
	}
	return g
}

// LoadGenesis reads and checks a genesis JSON file.
func LoadGenesis(path string) (*Genesis, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	g := new(Genesis)
	if err := json.Unmarshal(b, g); err != nil {
		return nil, fmt.Errorf("genesis %s: %w", path, err)
	}
	if err := g.Check(); err != nil {
		return nil, fmt.Errorf("genesis %s: %w", path, err)
	}
	return g, nil
}

// Check reports the first parameter that makes no sense, as a *RuleError
// with code ErrBadGenesis. The difficulty parameters are ASERTTarget's
// preconditions (asertParamsErr, pow.go), so a genesis that passes can
// never make it panic.
func (g *Genesis) Check() error {
	var target, powLimit *big.Int
	if g.Target != nil {
		target = g.Target.ToInt()
	}
	if g.PowLimit != nil {
		powLimit = g.PowLimit.ToInt()
	}
	if err := asertParamsErr(target, g.BlockIntervalMs, g.HalfLifeMs, powLimit); err != nil {
		return ruleErr(ErrBadGenesis, "%v", err)
	}
	switch {
	case g.BlockGasLimit < TxGas:
		return ruleErr(ErrBadGenesis, "block_gas_limit below one transaction's intrinsic gas")
	case g.MaxTxBytes <= 0 || g.MaxTxBytes > proto.MaxTxSize:
		return ruleErr(ErrBadGenesis, "max_tx_bytes must be in (0, %d]", proto.MaxTxSize)
	case g.MaxBlockBytes <= 0 || g.MaxBlockBytes > proto.MaxBlockSize:
		return ruleErr(ErrBadGenesis, "max_block_bytes must be in (0, %d]", proto.MaxBlockSize)
	case g.MaxFutureMs < 0:
		return ruleErr(ErrBadGenesis, "max_future_ms must not be negative")
	}
	return g.checkCheckpoints()
}

// Reward returns the block reward at height: block_reward halved every
// halving_interval blocks (0 = never), zero after 64 halvings.
func (g *Genesis) Reward(height uint64) uint64 {
	if g.HalvingInterval == 0 {
		return uint64(g.BlockReward)
	}
	n := height / g.HalvingInterval
	if n >= 64 {
		return 0
	}
	return uint64(g.BlockReward) >> n
}

// SortedAlloc returns the allocations in address order, so the genesis
// state is built deterministically.
func (g *Genesis) SortedAlloc() []common.Address {
	addrs := make([]common.Address, 0, len(g.Alloc))
	for a := range g.Alloc {
		addrs = append(addrs, a)
	}
	sort.Slice(addrs, func(i, j int) bool { return addrs[i].Cmp(addrs[j]) < 0 })
	return addrs
}

// String prints the amount in decimal.
func (a Amount) String() string { return strconv.FormatUint(uint64(a), 10) }
