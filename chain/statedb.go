package chain

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/vm"
)

// StateDB is the state the transition runs on: accounts, contract code
// and tapes, with a journal to revert to (chain/state's State implements
// it over the store). The rules read and write nothing else.
type StateDB interface {
	// Account returns the account at a (all zero if it does not exist).
	Account(a common.Address) (proto.Account, error)
	// SetAccount replaces the account at a, journaling the old value.
	SetAccount(a common.Address, acct proto.Account) error
	// Snapshot returns a mark that RevertTo undoes every later change to.
	Snapshot() int
	RevertTo(mark int)
	// CreateContract makes a a contract with code.
	CreateContract(a common.Address, code []byte) error
	// CodeSize is the length of the code whose hash is h, read without
	// reading the code; CodeByHash is the code.
	CodeSize(h common.Hash) (uint64, error)
	CodeByHash(h common.Hash) ([]byte, error)
	// Program returns the program of the code whose hash is h for a run
	// of gas, calling code only if it is not cached.
	Program(h common.Hash, gas uint64, code func() ([]byte, error)) (*vm.Program, error)
	// TapeSize is the length of a's compact tape, read without reading
	// the tape; LoadTape is the full tape, a copy the VM may change;
	// SetTape stores one (taking it over).
	TapeSize(a common.Address) (uint64, error)
	LoadTape(a common.Address) (*vm.Tape, error)
	SetTape(a common.Address, tape *vm.Tape) error
}

// WorldTape is the address whose tape is the shared world tape that every
// exec runs on (the seed's original model). It holds no key and no code.
var WorldTape = common.Address{}

// AddBalance credits v to a; an overflow is a rule error.
func AddBalance(st StateDB, a common.Address, v uint64) error {
	acct, err := st.Account(a)
	if err != nil {
		return err
	}
	nb, ok := proto.AddU64(acct.Balance, v)
	if !ok {
		return ruleErr(ErrOverflow, "balance of %s + %d overflows", a, v)
	}
	acct.Balance = nb
	return st.SetAccount(a, acct)
}

// SubBalance debits v from a; too little is a rule error.
func SubBalance(st StateDB, a common.Address, v uint64) error {
	acct, err := st.Account(a)
	if err != nil {
		return err
	}
	nb, ok := proto.SubU64(acct.Balance, v)
	if !ok {
		return ruleErr(ErrInsufficientFunds, "%s holds %d, needs %d", a, acct.Balance, v)
	}
	acct.Balance = nb
	return st.SetAccount(a, acct)
}

// TapeLoadGas is the gas of loading owner's tape (world tape: WorldTape).
func TapeLoadGas(st StateDB, owner common.Address) (uint64, error) { return tapeLoadGas(st, owner) }
