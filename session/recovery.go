package session

import (
	"errors"
	"fmt"
	"time"

	"github.com/mindsdk/mindgo/transport"
)

// fail handles the loss of the carrier (protocol §5.3): drop it, forget
// what it queued, enter failed and schedule a reconnect.
func (s *Session) fail(err error) {
	s.log.Warn("notification channel lost", "err", err)
	s.dropCarrier()
	s.setState(transport.StateFailed)
	s.scheduleRetry()
}

// dropCarrier closes the current carrier, if any, and moves to a new
// generation so that anything the old one still reports is ignored.
func (s *Session) dropCarrier() {
	if s.a.carrier != nil {
		_ = s.a.carrier.Close()
		s.a.carrier = nil
	}
	s.a.gen++
	s.resetConn()
	s.a.reloading = false
	s.a.pending = nil
}

// scheduleRetry waits the recovery delay of protocol §5.4 before the next
// attempt. The timer only posts to the mailbox; Close stops it.
func (s *Session) scheduleRetry() {
	d := s.opts.backoff(s.a.attempt)
	s.a.attempt++
	gen := s.a.gen
	s.log.Debug("reconnect scheduled", "delay", d, "attempt", s.a.attempt)

	if d <= 0 {
		s.box.put(retryMsg{gen: gen})
		return
	}
	s.a.timer = time.AfterFunc(d, func() { s.box.put(retryMsg{gen: gen}) })
}

// onRetry starts a reconnect: open a new carrier, then read the whole
// conference, on a goroutine of the session. Notifications of the new
// carrier are held back until the snapshot is reconciled (Q9).
func (s *Session) onRetry(m retryMsg) {
	if m.gen != s.a.gen || s.a.reloading {
		return
	}
	s.a.reloading = true
	s.a.pending = nil

	gen := s.a.gen
	s.a.wg.Add(1)
	go func() {
		defer s.a.wg.Done()

		r := reloadDone{gen: gen}
		r.c, r.err = s.dialCarrier(s.ctx, gen)
		if r.err == nil {
			r.conf, r.err = s.rest.Conference(s.ctx)
		}
		s.box.put(r)
	}()
}

// onReload finishes a reconnect. On success the snapshot is reconciled
// with the model (protocol §3.6), the held-back notifications are applied,
// the writes waiting for their value complete and the session is normal
// again. A 404 means the session is gone for
// good; any other error schedules the next attempt (Q7: always through a
// brand-new carrier).
func (s *Session) onReload(r reloadDone) {
	if r.gen != s.a.gen {
		if r.c != nil {
			_ = r.c.Close()
		}
		return
	}

	if r.err == nil && len(r.conf.Participants) == 0 {
		r.err = fmt.Errorf("%w: conference read without participants", transport.ErrMalformedMessage)
	}
	if r.err != nil {
		if r.c != nil {
			_ = r.c.Close()
		}
		if errors.Is(r.err, ErrNotFound) {
			s.expel()
			return
		}
		s.log.Warn("reconnect failed", "err", r.err)
		s.dropCarrier()
		s.scheduleRetry()
		return
	}

	s.a.carrier = r.c
	s.a.reloading = false
	pending := s.a.pending
	s.a.pending = nil

	// Notifications carry complete resources, and every change made after
	// the new carrier opened is among them, so for a resource they name the
	// last one is at least as new as the snapshot. Such resources are left
	// out of the reconciliation and brought forward by the notifications
	// alone: a resource the model already had goes through each notified
	// change in order, a participant it did not have is taken at its last
	// notified state. The model never goes back to an older value and no
	// change is reported twice.
	named := make(map[string]int, len(pending)) // location -> index of its last notification
	for i, n := range pending {
		if loc, ok := s.resourceOf(n); ok {
			named[loc] = i
		}
	}
	known := make(map[string]bool, len(named))
	for loc := range named {
		known[loc] = s.has(loc)
	}
	s.reconcile(r.conf, named)
	for i, n := range pending {
		if loc, ok := s.resourceOf(n); ok && !known[loc] && named[loc] != i {
			continue
		}
		s.apply(n)
		if s.a.ended {
			return
		}
	}

	s.a.attempt = 0
	s.completeWaiting()
	s.setState(transport.StateNormal)
}

// resourceOf returns the location of the conference or participant that a
// notification describes, with the participant alias "me" resolved, and
// false for messages and locations the session ignores.
func (s *Session) resourceOf(n transport.Notification) (string, bool) {
	kind, id := transport.ParseLocation(n.Location)
	switch kind {
	case transport.LocationIsConference:
		return transport.LocationConference, true
	case transport.LocationIsParticipant:
		if id == "me" {
			id = s.a.model.Me().ID
		}
		return transport.ParticipantLocation(id), true
	default:
		return "", false
	}
}

// has reports whether the model holds the resource at loc, a location
// returned by resourceOf.
func (s *Session) has(loc string) bool {
	if loc == transport.LocationConference {
		return true
	}
	_, id := transport.ParseLocation(loc)
	if id == s.a.model.Me().ID {
		return true
	}
	_, ok := s.a.model.Participant(id)
	return ok
}

// reconcile brings the model in line with a fresh snapshot, reporting the
// differences as the notifications that would have caused them (protocol
// §3.6). Resources at the locations in skip are left as they are.
func (s *Session) reconcile(c transport.Conference, skip map[string]int) {
	if _, ok := skip[transport.LocationConference]; !ok {
		s.updateConference(c.Name, c.Recording.Started)
	}
	skipped := func(id string) bool {
		_, ok := skip[transport.ParticipantLocation(id)]
		return ok
	}

	online := make(map[string]bool, len(c.Participants))
	for _, p := range c.Participants {
		if p.Online {
			online[p.ID] = true
		}
	}

	remote := s.a.model.Participants()
	for i := len(remote) - 1; i >= 0; i-- {
		if id := remote[i].ID; !online[id] && !skipped(id) {
			s.removeParticipant(id)
		}
	}

	me := s.a.model.Me().ID
	for i, p := range c.Participants {
		switch {
		case i == 0 || p.ID == me:
			if !skipped(me) {
				s.updateMe(p)
			}
		case p.Online && !skipped(p.ID):
			s.upsertParticipant(p)
		}
	}
}
