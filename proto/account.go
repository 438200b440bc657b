package proto

import "github.com/ethereum/go-ethereum/common"

// Account is the state of one address. An account whose every field is
// zero does not exist: it is deleted from the state, not stored.
type Account struct {
	Nonce    uint64
	Balance  uint64
	CodeHash common.Hash // Keccak-256 of the contract's code; zero for a key's account
	TapeHash common.Hash // Keccak-256 of the contract's compact tape; zero when empty
}

// MaxAccountSize bounds an account's encoding.
const MaxAccountSize = 128

// DecodeAccount decodes an account from its canonical encoding.
func DecodeAccount(b []byte) (*Account, error) {
	a := new(Account)
	if err := decode(b, a, MaxAccountSize, "account"); err != nil {
		return nil, err
	}
	return a, nil
}

// IsEmpty reports whether the account is all zero, i.e. does not exist.
func (a *Account) IsEmpty() bool { return *a == Account{} }

// IsContract reports whether the account holds code.
func (a *Account) IsContract() bool { return a.CodeHash != common.Hash{} }
