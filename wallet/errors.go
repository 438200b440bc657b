package wallet

import (
	"errors"
	"fmt"
)

// Signature errors. Each wraps ErrInvalidSig, so callers that only need
// "bad signature" test errors.Is(err, ErrInvalidSig).
var (
	// ErrInvalidSig: the signature is not a valid low-S secp256k1
	// signature of the hash. Every other signature error wraps it.
	ErrInvalidSig = errors.New("invalid signature")
	// ErrInvalidV: the recovery id V is not 0 or 1.
	ErrInvalidV = fmt.Errorf("%w: recovery id V not 0 or 1", ErrInvalidSig)
	// ErrInvalidR: R is zero or not below the curve order N.
	ErrInvalidR = fmt.Errorf("%w: R out of range", ErrInvalidSig)
	// ErrInvalidS: S is zero or not below the curve order N.
	ErrInvalidS = fmt.Errorf("%w: S out of range", ErrInvalidSig)
	// ErrHighS: S is above N/2. Its low-S twin (N-S, V^1) is the only
	// accepted form: signatures are not malleable.
	ErrHighS = fmt.Errorf("%w: high S (malleable form)", ErrInvalidSig)
	// ErrRecover: the values are in range but no public key recovers from
	// them (R is not the x coordinate of a curve point).
	ErrRecover = fmt.Errorf("%w: public key does not recover", ErrInvalidSig)
)

// Key and address errors.
var (
	// ErrInvalidAddress: not "0x" followed by 40 hex digits.
	ErrInvalidAddress = errors.New("invalid address")
	// ErrBadChecksum: a mixed-case address whose EIP-55 checksum is wrong
	// (a typo). It wraps ErrInvalidAddress.
	ErrBadChecksum = fmt.Errorf("%w: bad EIP-55 checksum", ErrInvalidAddress)
	// ErrInvalidKey: not a secp256k1 private key (64 hex digits, 0 < k < N).
	ErrInvalidKey = errors.New("invalid private key")
)

// Keystore and password errors.
var (
	// ErrNoAccount: no key file in the keystore holds this address.
	ErrNoAccount = errors.New("no such account in keystore")
	// ErrAccountExists: the keystore already holds a key file for this
	// address (returned by Import).
	ErrAccountExists = errors.New("account already exists in keystore")
	// ErrWrongPassword: the key file does not decrypt with this password.
	ErrWrongPassword = errors.New("wrong password")
	// ErrNoPassword: no password file was given and stdin is not a
	// terminal to ask on.
	ErrNoPassword = errors.New("no password: use --password-file")
	// ErrPasswordMismatch: the password and its confirmation differ.
	ErrPasswordMismatch = errors.New("passwords do not match")
)
