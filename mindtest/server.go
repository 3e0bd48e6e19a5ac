package mindtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mindsdk/mindgo/transport"
)

// Server is a reference Mind API server listening on a loopback port. It
// serves one application. Create it with [NewServer] and stop it with
// [Server.Close]. Its methods are safe for concurrent use.
type Server struct {
	opts     Options
	log      *slog.Logger
	appID    string
	appToken string
	url      string
	ln       net.Listener
	hs       *http.Server
	media    mediaEngine

	// ctx ends when the server closes; WebSocket goroutines and delayed
	// requests watch it.
	ctx    context.Context
	cancel context.CancelFunc

	// mu guards the fields below. It may be taken while a conference lock
	// is held, never the other way round.
	mu       sync.Mutex
	closed   bool
	confs    map[string]*Conference
	tokens   map[string]tokenEntry
	inflight sync.WaitGroup // handlers and their goroutines; Add under mu
	closeErr error

	faults faults
	record recorder
	// sockets counts the WebSocket handlers still running.
	sockets atomic.Int32
}

// tokenEntry says whose participant token this is.
type tokenEntry struct {
	conf *Conference
	pid  string
}

// NewServer starts a server on opts.Addr (default a free port on
// 127.0.0.1). A nil opts gives the defaults.
func NewServer(opts *Options) (*Server, error) {
	o := opts.withDefaults()
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("mindtest: listen: %w", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts:     o,
		log:      o.Logger,
		appID:    newUUID(),
		appToken: newToken(),
		url:      "http://" + ln.Addr().String(),
		ln:       ln,
		media:    noMedia{},
		ctx:      ctx,
		cancel:   cancel,
		confs:    make(map[string]*Conference),
		tokens:   make(map[string]tokenEntry),
	}
	if !o.SignallingOnly {
		m, err := newSFUMedia(s)
		if err != nil {
			cancel()
			_ = ln.Close()
			return nil, err
		}
		s.media = m
	}
	s.hs = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(o.Logger.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}

	s.inflight.Add(1)
	go func() {
		defer s.inflight.Done()
		if err := s.hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("mindtest: serve", "err", err)
		}
	}()
	s.log.Info("mindtest: listening", "url", s.url, "application", s.appID)

	return s, nil
}

// URL returns the server's base URL, "http://127.0.0.1:PORT".
func (s *Server) URL() string { return s.url }

// ApplicationID returns the ID of the server's application.
func (s *Server) ApplicationID() string { return s.appID }

// ApplicationToken returns the application token (the credential of the
// application API and of the application's WebSocket).
func (s *Server) ApplicationToken() string { return s.appToken }

// Close stops the server: it drops every notification channel, stops
// serving, and waits for every goroutine it started. It is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.inflight.Wait()
		return s.closeErr
	}
	s.closed = true
	confs := make([]*Conference, 0, len(s.confs))
	for _, c := range s.confs {
		confs = append(confs, c)
	}
	s.mu.Unlock()

	s.cancel()
	for _, c := range confs {
		c.dropAll()
	}

	// A test server does not drain: closing every connection at once
	// ends handlers that wait on a client (a half-sent body, a connection
	// never used) instead of waiting for net/http's idle timeouts.
	err := s.hs.Close()
	err = errors.Join(err, s.media.close())
	s.inflight.Wait()

	s.mu.Lock()
	s.closeErr = err
	s.mu.Unlock()

	return err
}

// enter registers a goroutine that must end before Close returns. It
// fails once the server is closing.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()

	if s.closed {
		return false
	}
	s.inflight.Add(1)

	return true
}

func (s *Server) leave() { s.inflight.Done() }

// CreateConference creates a conference as the application does with A1.
// An empty layout means mosaic. An empty name is allowed here, as a
// convenience for tests; the HTTP API (A1) refuses it.
func (s *Server) CreateConference(name string, layout transport.Layout) (*Conference, error) {
	if layout == "" {
		layout = transport.LayoutMosaic
	}
	if !layout.Valid() {
		return nil, fmt.Errorf("%w: unknown layout", ErrInvalid)
	}
	c := newConference(s, name, layout)

	s.mu.Lock()
	defer s.mu.Unlock()

	if s.closed {
		return nil, ErrClosed
	}
	s.confs[c.id] = c

	return c, nil
}

// Conference returns the conference with that ID, ended ones included.
func (s *Server) Conference(id string) (*Conference, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	c, ok := s.confs[id]
	return c, ok
}

// registerToken records a new participant token.
func (s *Server) registerToken(token string, c *Conference, pid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	if s.closed {
		return ErrClosed
	}
	s.tokens[token] = tokenEntry{conf: c, pid: pid}

	return nil
}

// lookupToken resolves a participant token.
func (s *Server) lookupToken(token string) (tokenEntry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	e, ok := s.tokens[token]
	return e, ok
}
