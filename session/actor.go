package session

import (
	"errors"
	"sync"
	"time"

	"github.com/mindsdk/mindgo/conference"
	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/transport"
)

// actorState is everything the actor goroutine owns. No lock guards it:
// only the actor (and Join, before the actor starts) touches it.
type actorState struct {
	state transport.SessionState
	model *conference.Conference
	subs  []*subscriber
	out   []event.Event // events of the current step, published together

	carrier carrier
	media   *mediaState // nil for a signalling-only session
	gen     uint64      // generation of the current carrier; bumped when it is dropped

	reloading bool                     // a reconnect is loading the snapshot
	pending   []transport.Notification // notifications that arrived during the reload
	attempt   int                      // consecutive failed reconnects
	timer     *time.Timer              // pending reconnect

	inflight []*writeCmd // writes waiting for the server's answer
	waiting  []*writeCmd // answered writes waiting for the model to take their value
	replies  []*writeCmd // writes to answer once the step is published
	wg       sync.WaitGroup

	queued int // items in the mailbox before the model existed (protocol §3.5)

	ended bool
}

// Messages of the actor's mailbox besides notes and commands.
type (
	// retryMsg: the recovery delay of generation gen is over.
	retryMsg struct{ gen uint64 }
	// reloadDone: a reconnect of generation gen finished.
	reloadDone struct {
		gen  uint64
		c    carrier
		conf transport.Conference
		err  error
	}
	// writeDone: a write's request finished.
	writeDone struct{ w *writeCmd }
	// holdExpired: a waiting write waited too long for its value.
	holdExpired struct{ w *writeCmd }
	// subscribeCmd registers a subscriber; reply is closed once it is.
	subscribeCmd struct {
		sub   *subscriber
		reply chan struct{}
	}
	// unsubscribeCmd ends a subscription without a final event.
	unsubscribeCmd struct{ sub *subscriber }
)

// run is the actor. It starts with whatever arrived while joining (the
// notifications queued before the model existed, protocol §3.5).
func (s *Session) run() {
	defer close(s.done)

	var buf []any
	for {
		buf = s.box.take(buf)
		if s.a.queued > 0 {
			buf = s.coalesceQueued(buf, s.a.queued)
			s.a.queued = 0
		}
		for _, m := range buf {
			s.handle(m)
			if s.a.ended {
				return
			}
		}

		select {
		case <-s.quit:
			s.terminate(ErrClosed, nil)
			return
		case <-s.box.ready:
		}
	}
}

// coalesceQueued drops, among the first n items, every notification of
// the conference or of a participant that a later one of those items
// describes again. These notifications arrived before the snapshot was
// read; each carries the complete resource, and the last one for a
// resource is at least as new as the snapshot, so replaying only that one
// neither takes the model back to an older value nor reports a change
// twice. Messages and everything else are kept, in order.
func (s *Session) coalesceQueued(items []any, n int) []any {
	n = min(n, len(items))
	last := make(map[string]int, n)
	for i, m := range items[:n] {
		if loc, ok := s.queuedResource(m); ok {
			last[loc] = i
		}
	}
	out := make([]any, 0, len(items))
	for i, m := range items {
		if loc, ok := s.queuedResource(m); ok && i < n && last[loc] != i {
			continue
		}
		out = append(out, m)
	}

	return out
}

func (s *Session) queuedResource(m any) (string, bool) {
	nt, ok := m.(note)
	if !ok || nt.kind != noteMessage || nt.msg.CloseCode != 0 {
		return "", false
	}
	return s.resourceOf(nt.msg.Notification)
}

func (s *Session) handle(m any) {
	switch m := m.(type) {
	case note:
		s.onNote(m)
	case *writeCmd:
		s.startWrite(m)
	case writeDone:
		s.finishWrite(m.w)
	case holdExpired:
		s.releaseHeld(m.w)
	case subscribeCmd:
		s.a.subs = append(s.a.subs, m.sub)
		close(m.reply)
	case unsubscribeCmd:
		s.unsubscribe(m.sub)
	case retryMsg:
		s.onRetry(m)
	case reloadDone:
		s.onReload(m)
	default:
		s.handleMedia(m)
	}
	s.afterStep()
	s.flush()
}

func (s *Session) onNote(n note) {
	if n.gen != s.a.gen {
		return // from a carrier that was already dropped (Q11)
	}
	if code := n.terminalCode(); code != 0 {
		s.onCloseCode(code)
		return
	}

	switch n.kind {
	case noteMalformed:
		s.log.Warn("skipping unreadable notification", "err", n.err)
	case noteFailed:
		s.fail(n.err)
	case noteMedia:
		s.onMediaNote(n)
	case noteMessage:
		if s.a.reloading {
			s.a.pending = append(s.a.pending, n.msg.Notification) // Q9
			return
		}
		s.apply(n.msg.Notification)
	}
}

func (s *Session) onCloseCode(code int) {
	if code == transport.CloseConferenceEnded {
		s.endConference()
		return
	}
	s.expel()
}

func (s *Session) endConference() {
	s.flush()
	s.terminate(ErrConferenceEnded, event.ConferenceEnded{Conference: s.a.model})
}

func (s *Session) expel() {
	s.flush()
	s.terminate(ErrExpelled, event.MeExpelled{Me: s.a.model.Me()})
}

// emit queues an event of the current step.
func (s *Session) emit(e event.Event) { s.a.out = append(s.a.out, e) }

// flush publishes the model, then hands the step's events to every
// subscriber and answers the writes the step completed, so that a handler
// or a caller reading the session sees at least the state its event or
// its write produced. Each event value is shared by all subscribers.
func (s *Session) flush() {
	s.publish()
	for i, e := range s.a.out {
		s.deliver(e)
		s.a.out[i] = nil
	}
	s.a.out = s.a.out[:0]

	for i, w := range s.a.replies {
		w.reply <- nil
		s.a.replies[i] = nil
	}
	s.a.replies = s.a.replies[:0]
}

// deliver never blocks: a subscriber whose buffer is full is ended with
// ErrOverflow in the slot kept free for that.
func (s *Session) deliver(e event.Event) {
	keep := s.a.subs[:0]
	for _, sub := range s.a.subs {
		if len(sub.ch) >= sub.bound {
			sub.ch <- event.Closed{Reason: ErrOverflow}
			close(sub.ch)
			s.log.Warn("subscriber fell behind; subscription ended", "bound", sub.bound)
			continue
		}
		sub.ch <- e
		keep = append(keep, sub)
	}
	clear(s.a.subs[len(keep):])
	s.a.subs = keep
}

func (s *Session) unsubscribe(sub *subscriber) {
	for i, x := range s.a.subs {
		if x == sub {
			close(sub.ch)
			s.a.subs = append(s.a.subs[:i], s.a.subs[i+1:]...)
			return
		}
	}
}

func (s *Session) setState(st transport.SessionState) {
	if s.a.state == st {
		return
	}
	prev := s.a.state
	s.a.state = st
	s.log.Info("state changed", "state", st.String(), "previous", prev.String())
	s.emit(event.StateChanged{State: st, Previous: prev})
}

// terminate ends the session for reason: it stops everything the session
// runs first, then reports final (if any) and event.Closed to every
// subscriber, so that the final events describe a session that is already
// closed (quirk Q2).
func (s *Session) terminate(reason error, final event.Event) {
	s.a.ended = true
	s.cancel(reason)
	if s.a.timer != nil {
		s.a.timer.Stop()
	}
	if s.a.carrier != nil {
		_ = s.a.carrier.Close()
		s.a.carrier = nil
	}
	s.stopMediaConn()
	s.a.wg.Wait()
	s.closeMedia(reason)

	s.reason = reason
	s.a.state = transport.StateClosed
	s.publish()

	// Answer whatever is still in the mailbox; later senders see done.
	for _, m := range s.box.take(nil) {
		s.discard(m, reason)
	}
	for _, w := range s.a.inflight {
		w.reply <- closedError(reason)
	}
	s.a.inflight = nil
	// The server took these changes, but the model never showed them.
	for _, w := range s.a.waiting {
		w.hold.Stop()
		w.reply <- closedError(reason)
	}
	s.a.waiting = nil

	if final != nil {
		s.deliver(final)
	}
	for _, sub := range s.a.subs {
		sub.ch <- event.Closed{Reason: reason}
		close(sub.ch)
	}
	s.a.subs = nil

	if errors.Is(reason, ErrClosed) {
		s.log.Info("session closed")
	} else {
		s.log.Info("session ended by the server", "reason", reason)
	}
}

// discard answers a message that arrived too late for the actor.
func (s *Session) discard(m any, reason error) {
	switch m := m.(type) {
	case *writeCmd:
		m.reply <- closedError(reason)
	case writeDone:
		// Still in inflight; answered there.
	case subscribeCmd:
		m.sub.ch <- event.Closed{Reason: reason}
		close(m.sub.ch)
		close(m.reply)
	case reloadDone:
		if m.c != nil {
			_ = m.c.Close()
		}
	default:
		discardMedia(m, reason)
	}
}
