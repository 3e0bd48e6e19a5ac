package rtc

import (
	"crypto/rand"
	"fmt"
	"strings"
	"unicode"

	"github.com/pion/webrtc/v4"
)

// slotRecord is one receive section (position ≥ 5), or a subscription
// waiting for AddPublications (position 0).
type slotRecord struct {
	position    int
	kind        webrtc.RTPCodecType
	transceiver *webrtc.RTPTransceiver
	label       string
	trackID     string
	limits      Limits
	owner       *Slot // nil while parked
}

func (r *slotRecord) plan() sectionPlan {
	mid := midOf(r.position)
	if r.owner == nil {
		return sectionPlan{mid: mid, direction: dirInactive, stream: "-", track: mid}
	}
	plan := sectionPlan{mid: mid, direction: dirRecvonly, stream: r.label, track: r.trackID}
	if r.kind == webrtc.RTPCodecTypeVideo {
		plan.tias = max(r.limits.MaxBitrate, 0)
		plan.preferences = preferencesValue(r.limits)
	}

	return plan
}

// Slot is one subscription: a receive section serving the remote stream
// with its label, for one kind. The handle is valid until [Slot.Release];
// the section itself is then parked and may serve a later subscription
// through a new handle. Methods are safe for concurrent use.
type Slot struct {
	c   *Conn
	rec *slotRecord
}

// Subscribe asks the server for the remote stream with this label
// ("conference", "<participantId>#primary" or "<participantId>#secondary")
// and kind, within limits (which matter for video only). It reuses the most
// recently parked slot of the kind, or appends a new section; before
// [Conn.AddPublications] the section is created there. The change is
// offered in the next negotiation round; the server's track then arrives
// through [Handlers.OnTrack] with the slot's mid.
func (c *Conn) Subscribe(label string, kind webrtc.RTPCodecType, limits Limits) (*Slot, error) {
	if err := validLabel(label); err != nil {
		return nil, err
	}
	if kind != webrtc.RTPCodecTypeAudio && kind != webrtc.RTPCodecTypeVideo {
		return nil, fmt.Errorf("%w: kind %s", ErrInvalidArgument, kind)
	}

	c.mu.Lock()
	defer c.mu.Unlock()

	if c.closed.Load() {
		return nil, ErrClosed
	}

	var rec *slotRecord
	if pool := c.parked[kind]; len(pool) > 0 {
		rec = pool[len(pool)-1]
		c.parked[kind] = pool[:len(pool)-1]
	} else {
		rec = &slotRecord{kind: kind}
		if c.pubsAdded {
			if err := c.materialiseLocked(rec); err != nil {
				return nil, err
			}
		} else {
			c.pending = append(c.pending, rec)
		}
	}

	slot := &Slot{c: c, rec: rec}
	rec.owner = slot
	rec.label = label
	rec.trackID = rand.Text()
	rec.limits = limits

	return slot, nil
}

// validLabel keeps labels to one SDP token.
func validLabel(label string) error {
	if label == "" || label == "-" || strings.ContainsFunc(label, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}) {
		return fmt.Errorf("%w: stream label %q", ErrInvalidArgument, label)
	}

	return nil
}

// materialiseLocked creates the receive section of rec at the next
// position.
func (c *Conn) materialiseLocked(rec *slotRecord) error {
	position := 5 + len(c.slots)
	t, err := c.pc.AddTransceiverFromKind(rec.kind,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly})
	if err != nil {
		return fmt.Errorf("%w: add receive slot %d: %w", ErrNegotiation, position, err)
	}
	if err := t.SetMid(midOf(position)); err != nil {
		return fmt.Errorf("%w: set mid %d: %w", ErrNegotiation, position, err)
	}
	rec.position = position
	rec.transceiver = t
	c.slots = append(c.slots, rec)

	return nil
}

// SlotByMid returns the subscription currently served by the section with
// this mid, or nil.
func (c *Conn) SlotByMid(mid string) *Slot {
	c.mu.Lock()
	defer c.mu.Unlock()

	for _, rec := range c.slots {
		if midOf(rec.position) == mid {
			return rec.owner
		}
	}

	return nil
}

// Mid returns the slot's mid, or "" before [Conn.AddPublications] created
// its section.
func (s *Slot) Mid() string {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()

	if s.rec.position == 0 {
		return ""
	}

	return midOf(s.rec.position)
}

// Kind returns the slot's media kind.
func (s *Slot) Kind() webrtc.RTPCodecType { return s.rec.kind }

// Label returns the label of the remote stream the slot serves.
func (s *Slot) Label() string {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()

	return s.rec.label
}

// Limits returns the slot's receive limits.
func (s *Slot) Limits() Limits {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()

	return s.rec.limits
}

// SetLimits changes the receive limits; they are offered in the next
// round (b=TIAS and a=x-preferences, protocol §4.7 item 4).
func (s *Slot) SetLimits(limits Limits) error {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()

	if s.rec.owner != s {
		return ErrSlotReleased
	}
	s.rec.limits = limits

	return nil
}

// Release ends the subscription. Its section is offered inactive from the
// next round on and waits for reuse.
func (s *Slot) Release() error {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()

	if s.rec.owner != s {
		return ErrSlotReleased
	}
	s.rec.owner = nil
	if s.rec.position == 0 {
		for i, rec := range s.c.pending {
			if rec == s.rec {
				s.c.pending = append(s.c.pending[:i], s.c.pending[i+1:]...)

				break
			}
		}

		return nil
	}
	s.c.parked[s.rec.kind] = append(s.c.parked[s.rec.kind], s.rec)

	return nil
}

// Track returns the remote track the server sends on this slot, once
// [Handlers.OnTrack] delivered it, or nil. A slot reused before the
// server's next answer keeps the track it had.
func (s *Slot) Track() (*webrtc.TrackRemote, *webrtc.RTPReceiver) {
	mid := s.Mid()
	if mid == "" {
		return nil, nil
	}
	s.c.remoteMu.Lock()
	defer s.c.remoteMu.Unlock()

	r := s.c.remote[mid]

	return r.track, r.receiver
}
