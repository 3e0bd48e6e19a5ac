package session

import (
	"bytes"
	"runtime"
	"strconv"
	"sync/atomic"

	"github.com/mindsdk/mindgo/event"
)

// Subscribe returns a channel that receives every event published from now
// on, in order, and a function that ends the subscription.
//
// The channel's buffer is the subscriber's queue: it holds up to
// Options.EventBuffer undelivered events. A subscriber that lets it fill up
// is dropped: it receives event.Closed{Reason: ErrOverflow} and its channel
// is closed, while the session and other subscribers go on. When the
// session ends, the channel receives event.Closed with the reason and is
// closed. Calling the cancel function closes the channel without a Closed
// event (events already buffered stay readable); it may be called more
// than once. On a closed session the channel holds only event.Closed.
func (s *Session) Subscribe() (<-chan event.Event, func()) {
	sub := s.newSubscriber()
	reply := make(chan struct{})
	s.box.put(subscribeCmd{sub: sub, reply: reply})

	select {
	case <-reply:
	case <-s.done:
		select {
		case <-reply: // handled (registered or finished) by the actor
		default:
			sub.ch <- event.Closed{Reason: s.reason}
			close(sub.ch)
		}
	}

	var once atomic.Bool
	cancel := func() {
		if once.CompareAndSwap(false, true) {
			s.box.put(unsubscribeCmd{sub: sub})
		}
	}

	return sub.ch, cancel
}

// Listen calls l for every event published from now on, on a goroutine of
// the session, one event at a time and in order, ending with OnClosed.
// Handlers may call any method of the session, Close included. A handler
// that blocks holds up only its own listener; if it falls
// Options.EventBuffer events behind, it gets OnClosed with ErrOverflow.
// The returned function stops the listener (without OnClosed) after the
// events already queued. Events queued before the session ended are still
// handed to the listener after Close, then OnClosed; Close waits for that
// unless it is called from a handler.
func (s *Session) Listen(l event.Listener) (cancel func()) {
	ch, cancel := s.Subscribe()

	s.lmu.Lock()
	if s.listenDone {
		s.lmu.Unlock()
		event.Run(ch, l) // the session is closed: only event.Closed is left
		return cancel
	}
	s.startListener(ch, l)
	s.lmu.Unlock()

	return cancel
}

// listenerRun is one listener goroutine.
type listenerRun struct {
	gid  atomic.Uint64 // its goroutine ID, so Close can tell when it runs inside it
	done chan struct{}
}

// startListener starts the goroutine of a listener; lmu must be held, or
// the session not yet returned by Join.
func (s *Session) startListener(ch <-chan event.Event, l event.Listener) {
	r := &listenerRun{done: make(chan struct{})}
	s.listeners = append(s.listeners, r)
	go func() {
		defer close(r.done)

		r.gid.Store(goroutineID())
		event.Run(ch, l)
	}()
}

// goroutineID returns the ID of the calling goroutine. It is used only by
// Close, to avoid waiting for the listener goroutine it is called from.
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)

	return id
}
