package rtc

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/pion/webrtc/v4"
)

// gatherer releases the first offer (protocol §4.4): when ICE gathering
// completes, or when every desired candidate type has been seen; with no
// desired type, the first candidate of any kind is enough.
type gatherer struct {
	mu      sync.Mutex
	missing map[webrtc.ICECandidateType]bool
	ready   chan struct{}
	closed  bool
}

func newGatherer(desired []webrtc.ICECandidateType) *gatherer {
	g := &gatherer{missing: make(map[webrtc.ICECandidateType]bool), ready: make(chan struct{})}
	for _, t := range desired {
		g.missing[t] = true
	}

	return g
}

// add is pion's OnICECandidate handler; nil marks the end of gathering.
func (g *gatherer) add(candidate *webrtc.ICECandidate) {
	g.mu.Lock()
	defer g.mu.Unlock()

	if g.closed {
		return
	}
	if candidate != nil {
		delete(g.missing, candidate.Typ)
		if len(g.missing) > 0 {
			return
		}
	}
	g.closed = true
	close(g.ready)
}

// Offer is one negotiation round's offer.
type Offer struct {
	// SDP is the offer to send to the server (R2, protocol §2.4): host
	// candidates removed and, except in the first offer, munged as
	// protocol §4.7 requires.
	SDP string
	// Local is the description applied with SetLocalDescription, as pion
	// generated it (with candidates). Useful for diagnostics.
	Local string
	// Initial is true for the first offer of the connection, which has
	// only the data channel section.
	Initial bool
}

// CreateOffer creates the next offer, applies it locally and returns the
// copy to send. The first offer of a connection waits (bounded by ctx) for
// the candidates protocol §4.4 asks for; later offers do not wait.
//
// Calling CreateOffer again before ApplyAnswer (a retry after a timed-out
// request, protocol §4.5) returns the offer still waiting for its answer:
// pion v4 can neither replace nor roll back a local offer. Changes made
// since then are offered in the round after the answer.
func (c *Conn) CreateOffer(ctx context.Context) (Offer, error) {
	c.mu.Lock()
	if c.closed.Load() {
		c.mu.Unlock()

		return Offer{}, ErrClosed
	}
	initial := !c.answered
	plans := c.planLocked()
	switch {
	case c.awaiting && c.pendingOffer.SDP != "":
		// pion v4 can neither set a second local offer nor roll one back,
		// so a retry resends the offer that is still waiting.
		pending := c.pendingOffer
		c.mu.Unlock()

		return pending, nil
	case c.awaiting:
		// The previous call gave up before its offer was built.
		plans = c.lastPlans
	default:
		offer, err := c.pc.CreateOffer(nil)
		if err == nil {
			err = c.pc.SetLocalDescription(offer)
		}
		if err != nil {
			c.mu.Unlock()

			return Offer{}, fmt.Errorf("%w: local offer: %w", ErrNegotiation, err)
		}
		c.awaiting = true
		c.lastPlans = plans
	}
	c.mu.Unlock()

	if initial {
		select {
		case <-c.gathering.ready:
		case <-ctx.Done():
			return Offer{}, fmt.Errorf("wait for ICE candidates: %w", context.Cause(ctx))
		case <-c.done:
			return Offer{}, ErrClosed
		}
	}

	local := c.pc.LocalDescription()
	if local == nil {
		return Offer{}, fmt.Errorf("%w: no local description", ErrNegotiation)
	}
	if initial {
		plans = nil
	}
	sent, err := mungeOffer(local.SDP, plans)
	if err != nil {
		return Offer{}, err
	}
	result := Offer{SDP: sent, Local: local.SDP, Initial: initial}
	c.mu.Lock()
	if c.awaiting {
		c.pendingOffer = result
	}
	c.mu.Unlock()

	return result, nil
}

// ApplyAnswer applies the server's answer to the latest offer. An error
// is a connection failure for the owner (protocol §4.10).
func (c *Conn) ApplyAnswer(answer string) error {
	c.mu.Lock()
	defer c.mu.Unlock()

	if c.closed.Load() {
		return ErrClosed
	}
	if !c.awaiting {
		return ErrNoOffer
	}
	if answer == "" {
		return fmt.Errorf("%w: empty answer", ErrAnswerRejected)
	}
	err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrAnswerRejected, err)
	}
	c.awaiting = false
	c.answered = true
	c.pendingOffer = Offer{}

	c.goLiveLocked()

	// pion stops the receiver of a section answered inactive; forget the
	// tracks of parked slots so Slot.Track does not return a dead one.
	c.remoteMu.Lock()
	for _, plan := range c.lastPlans {
		if plan.direction == dirInactive {
			delete(c.remote, plan.mid)
		}
	}
	c.remoteMu.Unlock()

	return nil
}

// planLocked describes every media section after the data channel as
// the server must see it.
func (c *Conn) planLocked() []sectionPlan {
	if !c.pubsAdded {
		return nil
	}
	plans := make([]sectionPlan, 0, 4+len(c.slots))
	for _, s := range c.pubSections {
		plans = append(plans, s.plan())
	}
	for _, s := range c.slots {
		plans = append(plans, s.plan())
	}

	return plans
}

func midOf(position int) string { return strconv.Itoa(position) }

// goLiveLocked lets the publication encodings that the answered offer
// declared as sent carry media, and keeps the others detached.
func (c *Conn) goLiveLocked() {
	if !c.pubsAdded {
		return
	}
	for _, section := range c.pubSections {
		mid := midOf(section.position)
		var plan *sectionPlan
		for i := range c.lastPlans {
			if c.lastPlans[i].mid == mid {
				plan = &c.lastPlans[i]

				break
			}
		}
		for _, r := range section.relays {
			live := plan != nil && plan.direction == dirSendonly &&
				(plan.simulcast == nil || slices.Contains(plan.simulcast, r.rid))
			if err := r.setLive(live); err != nil {
				c.logger.Warn("publication track not attached", "mid", mid, "rid", r.rid, "err", err)
			}
		}
	}
}
