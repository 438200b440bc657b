package chain

import "github.com/tinychain/tinychain/proto"

// Header checks without a body: what headers-first sync runs on the
// headers a peer sends before it asks for a single block, so that a peer
// is believed to be ahead only on proof of work it could not fake.

// CheckHeaderOnly runs every check of a header that needs neither its
// transactions nor any state, in this order: version, height > 0, target
// in (0, pow_limit], proof of work, then CheckHeaderContext against ctx
// (height, the ASERT target, timestamp above the median of the last 11,
// at most max_future_ms ahead of nowMs). These are the header checks of
// CheckBlock and ProcessBlock, so a header that passes here fails later
// only on its body or its state transition.
func CheckHeaderOnly(h *proto.Header, ctx HeaderContext, g *Genesis, nowMs uint64) error {
	if err := checkHeaderAlone(h, h.Hash(), g); err != nil {
		return err
	}
	return CheckHeaderContext(h, ctx, g, nowMs)
}

// Child returns the context that a child of h is checked against, h
// having been checked against ctx: the same as the block index builds for
// a stored block (blockNode.headerContext), without storing anything.
func (ctx HeaderContext) Child(h *proto.Header) HeaderContext {
	next := HeaderContext{Parent: h, AnchorTime: ctx.AnchorTime}
	if h.Height == 1 {
		next.AnchorTime = h.Timestamp
	}
	next.PrevTimes = make([]uint64, 0, 11)
	next.PrevTimes = append(next.PrevTimes, h.Timestamp)
	for _, t := range ctx.PrevTimes {
		if len(next.PrevTimes) == 11 {
			break
		}
		next.PrevTimes = append(next.PrevTimes, t)
	}
	return next
}
