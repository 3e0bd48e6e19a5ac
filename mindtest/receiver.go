package mindtest

import (
	"context"
	"sync"
	"time"
)

// A sink is the transport end of one notification channel: a WebSocket
// today, a WebRTC data channel once media is plugged in. Its methods are
// called by the receiver's writer goroutine only, except abort, which may
// be called from any goroutine at any time and more than once.
type sink interface {
	// write sends one text message, honouring ctx.
	write(ctx context.Context, text string) error
	// closeWith ends the channel with a close code (4000 or 4001, or a
	// protocol error status), allowing grace for it to reach the peer.
	closeWith(code int, grace time.Duration)
	// abort closes the channel at once, without a close code. The peer
	// sees a failure.
	abort()
}

// receiver is one open notification channel of a participant (or of the
// application when pid is ""). Notifications are queued in its outbox
// under the conference lock and written by the receiver's own goroutine,
// so a slow peer never holds up the conference.
type receiver struct {
	pid  string // participant ID; "" for the application
	kind string // "websocket" or "datachannel", for logs

	mu      sync.Mutex
	queue   []outItem
	ending  bool // a close code is queued; nothing more is accepted
	aborted bool
	snk     sink // set once the writer runs
	wake    chan struct{}
}

// outItem is one queued text, or a close code when code is not 0.
type outItem struct {
	text string
	code int
}

func newReceiver(pid, kind string) *receiver {
	return &receiver{pid: pid, kind: kind, wake: make(chan struct{}, 1)}
}

// send queues text. It reports false when the receiver no longer accepts
// messages; a receiver whose queue overflows is aborted.
func (r *receiver) send(text string) bool {
	r.mu.Lock()
	if r.ending || r.aborted {
		r.mu.Unlock()
		return false
	}
	if len(r.queue) >= outboxLimit {
		r.mu.Unlock()
		r.abort()
		return false
	}
	r.queue = append(r.queue, outItem{text: text})
	r.mu.Unlock()
	r.signal()

	return true
}

// terminate queues a close code after everything already queued.
func (r *receiver) terminate(code int) {
	r.mu.Lock()
	if r.ending || r.aborted {
		r.mu.Unlock()
		return
	}
	r.ending = true
	r.queue = append(r.queue, outItem{code: code})
	r.mu.Unlock()
	r.signal()
}

// abort drops the channel at once; queued messages are lost.
func (r *receiver) abort() {
	r.mu.Lock()
	r.aborted = true
	r.queue = nil
	s := r.snk
	r.mu.Unlock()
	r.signal()
	if s != nil {
		s.abort()
	}
}

func (r *receiver) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// run is the writer loop: it writes queued items to s until a close code
// is written, the receiver is aborted, a write fails or ctx ends. Every
// exit except a close code aborts s. Writes have no deadline of their
// own: a peer that stops reading is found by the keepalive or by the
// queue limit, and abort unblocks the write.
func (r *receiver) run(ctx context.Context, s sink, grace time.Duration) {
	r.mu.Lock()
	r.snk = s
	r.mu.Unlock()

	for {
		it, ok := r.next(ctx)
		if !ok {
			s.abort()
			return
		}
		if it.code != 0 {
			s.closeWith(it.code, grace)
			return
		}

		if err := s.write(ctx, it.text); err != nil {
			s.abort()
			return
		}
	}
}

// next waits for the next item. It reports false when the receiver was
// aborted or ctx ended.
func (r *receiver) next(ctx context.Context) (outItem, bool) {
	for {
		r.mu.Lock()
		if r.aborted {
			r.mu.Unlock()
			return outItem{}, false
		}
		if len(r.queue) > 0 {
			it := r.queue[0]
			r.queue[0] = outItem{}
			r.queue = r.queue[1:]
			r.mu.Unlock()

			return it, true
		}
		r.mu.Unlock()

		select {
		case <-r.wake:
		case <-ctx.Done():
			return outItem{}, false
		}
	}
}
