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
	s.releaseAllHeld() // their notifications are lost with the carrier
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
// with the model (protocol §3.6), the held-back notifications are applied
// and the session is normal again. A 404 means the session is gone for
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
	s.reconcile(r.conf)

	pending := s.a.pending
	s.a.pending = nil
	for _, n := range pending {
		s.apply(n)
		if s.a.ended {
			return
		}
	}

	s.a.attempt = 0
	s.setState(transport.StateNormal)
}

// reconcile brings the model in line with a fresh snapshot, reporting the
// differences as the notifications that would have caused them.
func (s *Session) reconcile(c transport.Conference) {
	s.updateConference(c.Name, c.Recording.Started)

	online := make(map[string]bool, len(c.Participants))
	for _, p := range c.Participants {
		if p.Online {
			online[p.ID] = true
		}
	}

	remote := s.a.model.Participants()
	for i := len(remote) - 1; i >= 0; i-- {
		if !online[remote[i].ID] {
			s.removeParticipant(remote[i].ID)
		}
	}

	me := s.a.model.Me().ID
	for i, p := range c.Participants {
		switch {
		case i == 0 || p.ID == me:
			s.updateMe(p)
		case p.Online:
			s.upsertParticipant(p)
		}
	}
}
