package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mindsdk/mindgo/conference"
	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/transport"
	"github.com/mindsdk/mindgo/transport/rest"
)

// lastID numbers the sessions of this process (protocol §5.1).
var lastID atomic.Uint64 //nolint:gochecknoglobals // the protocol asks for one counter per process

// Session is one participation of the local participant in a conference.
// All methods are safe for concurrent use, also from event handlers. A
// Session must be closed with [Session.Close] unless the server ended it
// (see [Session.Done]).
type Session struct {
	id    uint64
	uri   transport.ConferenceURI
	token string
	opts  Options
	log   *slog.Logger
	rest  *rest.Client

	box  *mailbox
	snap atomic.Pointer[snapshot]

	// ctx bounds every request and dial the session makes after Join; it
	// is cancelled, with the reason, when the session ends.
	ctx    context.Context //nolint:containedctx // the session's lifetime, not a request's
	cancel context.CancelCauseFunc

	quit     chan struct{} // closed by Close
	quitOnce sync.Once
	done     chan struct{} // closed when the actor has finished
	reason   error         // why the session ended; written before done closes

	lmu        sync.Mutex // guards listeners and listenDone
	listeners  []*listenerRun
	listenDone bool

	// Owned by the actor goroutine (and by Join before the actor starts).
	a actorState
}

// snapshot is what readers see: replaced as a whole, never modified.
type snapshot struct {
	state transport.SessionState
	conf  *conference.Conference
}

// Join joins the conference at conferenceURI with a participant token and
// returns once the model of the conference is loaded.
//
// The URI is checked first (ErrMalformedURI), then the token (a token
// with characters an HTTP header cannot carry, such as CR, LF or NUL, is
// ErrInvalidValue); no network is used if either is bad. If ctx ends or
// any step fails, Join returns the error and leaves nothing behind: no
// goroutine, no connection, no later reconnect. A refusal by the server is
// a *StatusError matching ErrUnauthorized, ErrForbidden or ErrNotFound; if
// the server reports while joining that the conference has ended or the
// participant was expelled, the error matches ErrConferenceEnded or
// ErrExpelled. ctx only bounds the join; it has no effect on the session
// once Join has returned.
func Join(ctx context.Context, conferenceURI, participantToken string, opts *Options) (*Session, error) {
	uri, err := transport.ParseConferenceURI(conferenceURI)
	if err != nil {
		return nil, err
	}
	if err := rest.CheckToken(participantToken); err != nil {
		return nil, fmt.Errorf("mind: join: %w", err)
	}
	o := opts.withDefaults()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	var med *mediaState
	if !o.SignallingOnly {
		if med, err = newMediaState(&o); err != nil {
			return nil, err
		}
		if o.dial == nil {
			o.dial = dialMedia
		}
	}
	s := newSession(uri, participantToken, o)
	s.a.media = med
	if err := s.join(ctx); err != nil {
		s.log.Debug("join failed", "err", err)
		return nil, err
	}

	return s, nil
}

func newSession(uri transport.ConferenceURI, token string, o Options) *Session {
	id := lastID.Add(1)
	s := &Session{
		id:    id,
		uri:   uri,
		token: token,
		opts:  o,
		log:   o.Logger.With("session", id),
		rest:  &rest.Client{URI: uri, Token: token, SDK: o.SDKHeader, HTTP: o.HTTPClient},
		box:   newMailbox(),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	if s.opts.dial == nil {
		s.opts.dial = dialWebSocket
	}
	s.ctx, s.cancel = context.WithCancelCause(context.Background())
	s.a.state = transport.StateNormal

	return s
}

// join runs the join sequence of protocol §12.3 on the caller's goroutine;
// the actor starts only when it has succeeded.
func (s *Session) join(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			s.cancel(err)
		}
	}()

	s.a.gen = 1
	c, err := s.dialCarrier(ctx, s.a.gen)
	if err != nil {
		return fmt.Errorf("mind: join: open notification channel: %w", err)
	}

	conf, err := s.rest.Conference(ctx)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			// The server may be telling on the notification channel why.
			s.awaitTerminal(ctx, 500*time.Millisecond)
		}
		_ = c.Close()
		if reason := s.joinTerminal(); reason != nil {
			return reason
		}
		return fmt.Errorf("mind: join: read conference: %w", err)
	}
	if len(conf.Participants) == 0 {
		_ = c.Close()
		return fmt.Errorf("mind: join: %w: conference read without participants", transport.ErrMalformedMessage)
	}

	// Anything that ended the carrier before the model existed fails the
	// join instead of starting a session that is already over (Q24).
	if reason := s.joinTerminal(); reason != nil {
		_ = c.Close()
		return reason
	}

	s.a.carrier = c
	s.a.model = conference.New(s.uri.ApplicationID, conf)
	s.publish()
	s.box.find(func(any) bool { s.a.queued++; return false })
	if s.opts.Listener != nil {
		sub := s.newSubscriber()
		s.a.subs = append(s.a.subs, sub)
		s.startListener(sub.ch, s.opts.Listener)
	}

	go s.run()

	return nil
}

func (s *Session) dialCarrier(ctx context.Context, gen uint64) (carrier, error) {
	return s.opts.dial(ctx, s, func(n note) {
		n.gen = gen
		s.box.put(n)
	})
}

// joinTerminal looks for a close code or a failure that the carrier
// reported while joining and returns the error Join should return.
func (s *Session) joinTerminal() error {
	var reason error
	s.box.find(func(m any) bool {
		n, ok := m.(note)
		if !ok {
			return false
		}
		switch {
		case n.terminalCode() == transport.CloseConferenceEnded:
			reason = ErrConferenceEnded
		case n.terminalCode() == transport.CloseExpelled:
			reason = ErrExpelled
		case n.kind == noteFailed:
			reason = fmt.Errorf("mind: join: notification channel lost: %w", n.err)
		default:
			return false
		}
		return true
	})

	return reason
}

// awaitTerminal waits up to d for the carrier to report its end.
func (s *Session) awaitTerminal(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()

	for s.joinTerminal() == nil {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			return
		case <-s.box.ready:
			// Re-arm for the next check; join owns the mailbox until the
			// actor starts.
		}
	}
}

// ID returns the session's process-local number. Sessions are numbered
// from 1 in the order they are created; a Join that fails after checking
// the URI also uses up a number.
func (s *Session) ID() uint64 { return s.id }

// State returns the current state: normal, lagging, failed, or closed once
// the session has ended.
func (s *Session) State() transport.SessionState { return s.snap.Load().state }

// Conference returns the current snapshot of the conference model. It never
// changes; after a change the session publishes a new one. After the
// session ended it returns the last model.
func (s *Session) Conference() *conference.Conference { return s.snap.Load().conf }

// Done returns a channel that is closed when the session has ended, by
// Close or by the server.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err returns nil while the session runs and, once [Session.Done] is
// closed, why it ended: ErrClosed, ErrConferenceEnded or ErrExpelled.
func (s *Session) Err() error {
	select {
	case <-s.done:
		return s.reason
	default:
		return nil
	}
}

// Close ends the session. It returns when every goroutine of the session
// has finished and every subscriber has received event.Closed and seen its
// channel closed. It is idempotent, may be called concurrently, and may be
// called from an event handler. Called from a handler, it does not wait
// for the listeners (the calling one cannot finish before the handler
// returns, and two handlers closing at once would wait for each other);
// each of them ends right after its current handler. Close sends no
// request: the server learns from the closed connection.
func (s *Session) Close() error {
	s.quitOnce.Do(func() { close(s.quit) })
	<-s.done

	s.lmu.Lock()
	s.listenDone = true
	runs := slices.Clone(s.listeners)
	s.lmu.Unlock()

	self := goroutineID()
	for _, r := range runs {
		if r.gid.Load() == self {
			return nil
		}
	}
	for _, r := range runs {
		<-r.done
	}

	return nil
}

func (s *Session) publish() {
	old := s.snap.Load()
	if old != nil && old.state == s.a.state && old.conf == s.a.model {
		return
	}
	s.snap.Store(&snapshot{state: s.a.state, conf: s.a.model})
}

// closedErr is what a method returns once the session has ended.
func (s *Session) closedErr() error { return closedError(s.reason) }

// subscriber is one subscription: a channel whose buffer is the bounded
// queue of undelivered events, plus one slot kept free for the final
// event.Closed.
type subscriber struct {
	ch    chan event.Event
	bound int
}

func (s *Session) newSubscriber() *subscriber {
	return &subscriber{ch: make(chan event.Event, s.opts.EventBuffer+1), bound: s.opts.EventBuffer}
}
