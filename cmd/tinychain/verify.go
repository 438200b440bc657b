package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/chain/proof"
	"github.com/tinychain/tinychain/light"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
)

// verifyFlags are balance --verify's: the answer is checked here, against
// headers checked here, and the node is trusted for nothing.
type verifyFlags struct {
	Verify        bool   `help:"Check the answer instead of trusting the node: fetch its headers and an account proof and verify both here (needs a full node)."`
	Genesis       string `help:"With --verify: the genesis the headers must start from: 'devnet' or a JSON file." default:"devnet"`
	Datadir       string `help:"With --verify: the checked headers are kept in <datadir>/verify, so that a later run fetches only new ones." default:"${datadir}" type:"path"`
	Confirmations uint64 `help:"With --verify: blocks on top of the header the proof is checked against (under 128, the nodes' proof window)." default:"6"`
	MaxHeaders    uint64 `name:"max-headers" help:"With --verify: the most headers one run fetches (about 430 bytes each); a longer way to the node's head ends the run, and the next one goes on from where it stopped." default:"100000"`
}

// verifiedAccount is what balance --verify prints with --json.
type verifiedAccount struct {
	*node.Account
	VerifiedHeight uint64      `json:"verified_height"`
	VerifiedBlock  common.Hash `json:"verified_block"`
}

// verifyBalance answers balance --verify: it brings the header store in
// <datadir>/verify up to the node's head (headers checked as a light node
// checks them), takes the header --confirmations deep on its best chain,
// and checks the node's proof of a against it.
//
// Cost: at most --max-headers headers (GET /v1/headers, at most
// node.MaxHeadersAnswer bytes a request), then one proof (at most
// node.MaxProofAnswer bytes); the store grows by about 300 bytes a header.
func (c *balanceCmd) verifyBalance(ctx context.Context, cl *node.Client, a common.Address) (*verifiedAccount, error) {
	if c.Confirmations >= blockchain.ProofWindow {
		return nil, usageErrorf("--confirmations %d: full nodes prove only the last %d blocks", c.Confirmations, blockchain.ProofWindow)
	}
	g, _, err := loadGenesis(c.Genesis)
	if err != nil {
		return nil, usage(err)
	}
	if err := sameChain(ctx, cl, g, c.Genesis); err != nil {
		return nil, err
	}
	s, err := light.Open(filepath.Join(c.Datadir, "verify"), g)
	if err != nil {
		return nil, fmt.Errorf("header store %s: %w", filepath.Join(c.Datadir, "verify"), err)
	}
	defer s.Close()
	if err := syncHeaders(ctx, cl, s, c.MaxHeaders); err != nil {
		return nil, err
	}
	_, height, work := s.Tip()
	if work.Cmp(g.MinWork()) < 0 {
		return nil, fmt.Errorf("the node's headers end at height %d with work %s, below the genesis's min_chain_work %s: not the real chain, or it is still syncing",
			height, work, g.MinWork())
	}
	at, ok, err := s.Confirmed(c.Confirmations)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("the chain is %d blocks long, not %d deep yet (--confirmations)", height, c.Confirmations)
	}
	acct, err := checkAccountProof(ctx, cl, a, at)
	if err != nil {
		return nil, err
	}
	return &verifiedAccount{Account: acct, VerifiedHeight: at.Height, VerifiedBlock: at.Hash()}, nil
}

// sameChain checks that the node is on g's chain: its chain id and
// genesis hash.
func sameChain(ctx context.Context, cl *node.Client, g *chain.Genesis, spec string) error {
	st, err := cl.Status(ctx)
	if err != nil {
		return err
	}
	gen, err := blockchain.GenesisBlock(g)
	if err != nil {
		return err
	}
	if st.ChainID != g.ChainID || st.Genesis != gen.Hash() {
		return fmt.Errorf("the node is on chain %d with genesis %s, not %d with genesis %s (--genesis %s)",
			st.ChainID, st.Genesis, g.ChainID, gen.Hash(), spec)
	}
	return nil
}

// syncHeaders adds the node's main chain to s from s's tip on, checking
// each header (light.Store.Add: chain.CheckHeaderOnly and the genesis's
// checkpoints), at most max headers. When the node's chain left ours
// below our tip, it steps back 1, 2, 4, ... blocks until the node's
// headers join ours. A header that fails a check is the node's fault.
func syncHeaders(ctx context.Context, cl *node.Client, s *light.Store, max uint64) error {
	_, after, _ := s.Tip()
	var fetched, back uint64 = 0, 1
	for fetched < max {
		limit := min(uint64(node.MaxHeaders), max-fetched)
		hs, err := cl.Headers(ctx, after, int(limit))
		if node.IsNotFound(err) {
			return fmt.Errorf("--verify needs a full node, which serves GET /v1/headers (a light node's answers are verified already): %w", err)
		}
		if err != nil {
			return fmt.Errorf("fetching headers: %w", err)
		}
		fetched += uint64(len(hs.Headers))
		next, joined, err := addHeaders(s, hs.Headers, after)
		switch {
		case err != nil:
			return err
		case !joined && after == 0:
			return errors.New("the node's block 1 is not a child of our genesis")
		case !joined:
			after -= min(after, back)
			back *= 2
			continue
		case uint64(len(hs.Headers)) < limit, next < after+uint64(len(hs.Headers)):
			return nil // the node's head, or a header from our future
		}
		after = next
	}
	_, tip, _ := s.Tip()
	return fmt.Errorf("fetched --max-headers %d headers and the node has more (checked up to height %d): run again to go on, or raise --max-headers", max, tip)
}

// addHeaders checks and adds hs, the node's headers after height after,
// and returns the height of the last one. joined is false when the first
// one's parent is not ours (the node's chain forks below).
func addHeaders(s *light.Store, hs []hexutil.Bytes, after uint64) (last uint64, joined bool, err error) {
	last = after
	now := uint64(time.Now().UnixMilli())
	for i, b := range hs {
		h, err := proto.DecodeHeader(b)
		if err != nil {
			return 0, false, fmt.Errorf("the node's header after height %d: %w", last, err)
		}
		if h.Height != last+1 {
			return 0, false, fmt.Errorf("the node's header at height %d follows height %d", h.Height, last)
		}
		switch err := s.Add(h, now); {
		case err == nil, errors.Is(err, light.ErrKnown):
		case errors.Is(err, light.ErrUnknownParent) && i == 0:
			return 0, false, nil
		case errors.Is(err, chain.ErrTimeTooNew):
			return last, true, nil // the node's clock is ahead: stop here
		default:
			return 0, false, fmt.Errorf("the node's header %d %s fails the checks: %w", h.Height, h.Hash(), err)
		}
		last = h.Height
	}
	return last, true, nil
}

// checkAccountProof fetches the node's proof of a at block at and
// verifies it (chain/proof), and that what the node says beside the proof
// agrees with what it proves.
func checkAccountProof(ctx context.Context, cl *node.Client, a common.Address, at *proto.Header) (*node.Account, error) {
	ans, err := cl.AccountProof(ctx, a, at.Height)
	if err != nil {
		return nil, fmt.Errorf("fetching the proof at block %d: %w", at.Height, err)
	}
	p, err := proof.DecodeAccountProof(ans.Raw)
	if err != nil {
		return nil, fmt.Errorf("the node's proof: %w", err)
	}
	acct, err := proof.VerifyAccountAt(p, a, at.Hash())
	if err != nil {
		return nil, fmt.Errorf("the node's proof does not verify against block %d %s: %w", at.Height, at.Hash(), err)
	}
	out := &node.Account{Address: a}
	if acct != nil {
		out.Balance, out.Nonce, out.PendingNonce = chain.Amount(acct.Balance), acct.Nonce, acct.Nonce
		if acct.IsContract() {
			ch := acct.CodeHash
			out.IsContract, out.CodeHash = true, &ch
		}
	}
	said := ans.Exists == (acct != nil) && ans.BlockHeight == at.Height && ans.BlockHash == at.Hash() &&
		(acct == nil || ans.Account != nil && ans.Account.Balance == out.Balance && ans.Account.Nonce == out.Nonce)
	if !said {
		return nil, fmt.Errorf("the node's answer says %s, its proof proves %s at block %d %s: it does not agree with itself",
			describeAnswer(ans), describeAccount(acct), at.Height, at.Hash())
	}
	return out, nil
}

func describeAnswer(ans *node.AccountProof) string {
	if !ans.Exists || ans.Account == nil {
		return fmt.Sprintf("no account at block %d %s", ans.BlockHeight, ans.BlockHash)
	}
	return fmt.Sprintf("balance %s nonce %d at block %d %s", ans.Account.Balance.String(), ans.Account.Nonce, ans.BlockHeight, ans.BlockHash)
}

func describeAccount(acct *proto.Account) string {
	if acct == nil {
		return "no account"
	}
	return fmt.Sprintf("balance %s nonce %d", chain.Amount(acct.Balance).String(), acct.Nonce)
}
