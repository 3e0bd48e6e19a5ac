package session

import (
	"errors"
	"time"

	"github.com/mindsdk/mindgo/transport"
)

// goneGrace is how long a 404 on an offer waits for the close code that
// explains it.
const goneGrace = 500 * time.Millisecond

// requestNegotiation asks for a negotiation round (protocol §4.5): it
// starts one now unless one is in flight, in which case a single follow-up
// covers this and any later request.
func (s *Session) requestNegotiation() {
	m := s.a.media
	if m == nil || m.conn == nil {
		return
	}
	if m.negRunning {
		m.negAgain = true
		return
	}
	s.startRound()
}

// startRound runs one offer/answer round on a goroutine of the session:
// create the offer, post it (R2), apply the answer. The result comes back
// as a note of the current generation.
func (s *Session) startRound() {
	m := s.a.media
	m.negRunning, m.negAgain = true, false
	s.launchRound()
}

// launchRound starts the goroutine of a round.
func (s *Session) launchRound() {
	m := s.a.media
	m.launched++
	mc, gen, timeout, round := m.conn, s.a.gen, m.opts.SDPTimeout, m.launched

	s.a.wg.Add(1)
	go func() {
		defer s.a.wg.Done()

		err := func() error {
			offer, err := mc.conn.CreateOffer(mc.ctx)
			if err != nil {
				return err
			}
			answer, err := s.rest.Negotiate(mc.ctx, offer.SDP, timeout)
			if err != nil {
				return err
			}
			return mc.conn.ApplyAnswer(answer)
		}()
		s.box.put(note{gen: gen, kind: noteMedia, media: negDone{mc: mc, round: round, err: err}})
	}()
}

// onNegDone finishes a round. Success runs the pending follow-up, or ends
// lagging; a timed-out offer with the data channel open makes the session
// lagging and is sent again after a short pause; a 404 means the session
// is gone (quirk Q1); any other error is a connection failure (§5.3).
func (s *Session) onNegDone(d negDone) {
	m := s.a.media
	if d.mc != m.conn {
		return
	}
	m.negRunning = false

	switch {
	case d.err == nil:
		s.bindSlots(d.round)
		if m.negAgain {
			s.startRound()
			return
		}
		if s.a.state == transport.StateLagging {
			s.setState(transport.StateNormal)
		}
	case errors.Is(d.err, ErrTimeout):
		s.log.Warn("offer timed out; retrying", "err", d.err)
		if s.a.state == transport.StateNormal {
			s.setState(transport.StateLagging)
		}
		// The retry can only resend the offer still waiting for its
		// answer (pion cannot roll one back), so a fresh round follows it
		// to carry whatever changed since.
		// The round counts as running during the pause, so requests made
		// meanwhile only mark the follow-up.
		m.negAgain, m.negRunning = true, true
		mc, gen := m.conn, s.a.gen
		m.negTimer = time.AfterFunc(m.opts.LaggingRetry, func() {
			s.box.put(note{gen: gen, kind: noteMedia, media: negRetry{mc: mc}})
		})
	case errors.Is(d.err, ErrNotFound):
		// The session is gone (quirk Q1). The server usually says why on
		// the data channel (4000 or 4001) right before; give that a moment
		// to arrive, then count it as an expulsion.
		s.log.Warn("offer refused with 404: the session is gone")
		gen := s.a.gen
		if m.negTimer != nil {
			m.negTimer.Stop()
		}
		m.negTimer = time.AfterFunc(goneGrace, func() {
			s.box.put(note{gen: gen, kind: noteMedia, media: sessionGone{}})
		})
	default:
		s.fail(d.err)
	}
}

// onNegRetry resends the offer that timed out.
func (s *Session) onNegRetry(mc *mediaConn) {
	m := s.a.media
	m.negTimer = nil
	if mc != m.conn {
		return
	}
	s.launchRound()
}
