package proof

import (
	"bytes"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/tinychain/tinychain/proto"
)

// TapeCells is a contract tape's length; a compact tape is at most this.
const TapeCells = 30000

// MaxAccountProofSize bounds an account proof's encoding: a header, an
// account, 256 siblings, a leaf and a whole compact tape, with room for
// RLP's prefixes.
const MaxAccountProofSize = 48 << 10

// AccountProof proves one account's record, or its absence, at one block.
// Its JSON and RLP forms are the protocol's, field for field.
type AccountProof struct {
	Address common.Address `json:"address"`
	// Header is the canonical encoding of the block header whose
	// state_root the proof leads to.
	Header hexutil.Bytes `json:"header"`
	// Account is the account's canonical encoding, empty when absent.
	Account hexutil.Bytes `json:"account"`
	Proof   SMT           `json:"proof"`
	// Tape is empty, or the account's whole compact tape (cells up to the
	// last non-zero one), checked against its tape_hash.
	Tape hexutil.Bytes `json:"tape"`
}

// Encode returns the proof's wire form (RLP).
func (p *AccountProof) Encode() []byte { return mustEncode(p) }

// DecodeAccountProof decodes an account proof's wire form, bounded by
// MaxAccountProofSize and canonical.
func DecodeAccountProof(b []byte) (*AccountProof, error) {
	p := new(AccountProof)
	if err := decode(b, p, MaxAccountProofSize); err != nil {
		return nil, err
	}
	return p, nil
}

// VerifyAccount checks p for address a and returns the account (nil when
// absent) and the hash of the header it was proven against. When p holds a
// tape, it is the account's: H(tape) = tape_hash.
func VerifyAccount(p *AccountProof, a common.Address) (*proto.Account, common.Hash, error) {
	if p.Address != a {
		return nil, common.Hash{}, fmt.Errorf("%w: proof is for %s, not %s", ErrInvalid, p.Address, a)
	}
	hdr, err := proto.DecodeHeader(p.Header)
	if err != nil {
		return nil, common.Hash{}, fmt.Errorf("%w: header: %v", ErrInvalid, err)
	}
	var acct *proto.Account
	var value common.Hash
	if len(p.Account) > 0 {
		if acct, err = proto.DecodeAccount(p.Account); err != nil {
			return nil, common.Hash{}, fmt.Errorf("%w: account: %v", ErrInvalid, err)
		}
		if acct.IsEmpty() {
			return nil, common.Hash{}, fmt.Errorf("%w: an all-zero account is absent, not stored", ErrInvalid)
		}
		value = crypto.Keccak256Hash(p.Account)
	}
	term, err := VerifySMT(hdr.StateRoot, crypto.Keccak256Hash(a[:]), value, &p.Proof)
	if err != nil {
		return nil, common.Hash{}, err
	}
	if (term == KeyLeaf) != (acct != nil) {
		return nil, common.Hash{}, fmt.Errorf("%w: presence does not match the account", ErrInvalid)
	}
	if err := checkTape(acct, p.Tape); err != nil {
		return nil, common.Hash{}, err
	}
	return acct, hdr.Hash(), nil
}

// VerifyAccountAt is VerifyAccount for a proof that must be against the
// block whose hash is block (one the caller trusts).
func VerifyAccountAt(p *AccountProof, a common.Address, block common.Hash) (*proto.Account, error) {
	acct, h, err := VerifyAccount(p, a)
	if err == nil && h != block {
		err = fmt.Errorf("%w: proof is against block %s, not %s", ErrInvalid, h, block)
	}
	return acct, err
}

// checkTape checks a compact tape given with the account.
func checkTape(acct *proto.Account, tape []byte) error {
	if len(tape) == 0 {
		return nil
	}
	switch {
	case acct == nil:
		return fmt.Errorf("%w: a tape for an absent account", ErrInvalid)
	case len(tape) > TapeCells:
		return fmt.Errorf("%w: tape of %d cells", ErrInvalid, len(tape))
	case tape[len(tape)-1] == 0:
		return fmt.Errorf("%w: tape not compact (a trailing zero cell)", ErrInvalid)
	case crypto.Keccak256Hash(tape) != acct.TapeHash:
		return fmt.Errorf("%w: tape does not hash to the account's tape_hash", ErrInvalid)
	}
	return nil
}

func mustEncode(v any) []byte {
	b, err := rlp.EncodeToBytes(v)
	if err != nil {
		panic(fmt.Sprintf("proof: encode %T: %v", v, err))
	}
	return b
}

// decode decodes b into v after bounding its size, and requires b to be the
// canonical encoding of the result.
func decode(b []byte, v any, max int) error {
	if len(b) > max {
		return fmt.Errorf("%w: %d bytes, more than %d", ErrInvalid, len(b), max)
	}
	if err := rlp.DecodeBytes(b, v); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if re, err := rlp.EncodeToBytes(v); err != nil || !bytes.Equal(re, b) {
		return fmt.Errorf("%w: not the canonical encoding", ErrInvalid)
	}
	return nil
}
