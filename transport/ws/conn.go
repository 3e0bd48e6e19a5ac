package ws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/mindsdk/mindgo/transport"
	"github.com/mindsdk/mindgo/transport/rest"
)

// Defaults of [Options].
const (
	DefaultPingInterval = 15 * time.Second
	DefaultPongTimeout  = 30 * time.Second
	DefaultReadLimit    = 4 << 20
)

// Errors reported in failure events.
var (
	// ErrKeepalive: the server did not answer a ping in time.
	ErrKeepalive = errors.New("mind: websocket keepalive failed")
	// ErrBinaryFrame: the server sent a binary frame (protocol §12.2).
	ErrBinaryFrame = errors.New("mind: websocket binary frame")
	// ErrClosedByServer: the server closed the connection with a status
	// other than a close code of the protocol.
	ErrClosedByServer = errors.New("mind: websocket closed by server")
)

// Options configures [Dial]. The zero value and nil are valid.
type Options struct {
	// HTTPClient performs the handshake; nil means http.DefaultClient.
	HTTPClient *http.Client
	// SDK is the value of the Mind-SDK header of the handshake; empty
	// sends none.
	SDK string
	// PingInterval is the time between two keepalive pings; zero means
	// [DefaultPingInterval], negative disables pings.
	PingInterval time.Duration
	// PongTimeout is how long a ping may wait for its pong; zero means
	// [DefaultPongTimeout].
	PongTimeout time.Duration
	// ReadLimit bounds the size of one frame; zero means [DefaultReadLimit].
	ReadLimit int64
}

// Kind says what an [Event] reports.
type Kind int

// The kinds of event.
const (
	// Message: a notification, or a close code sent as text.
	Message Kind = iota + 1
	// Malformed: a text frame that is not a notification; the connection
	// stays up and the frame is to be skipped (protocol §3.1).
	Malformed
	// Ended: the server closed with a protocol close code (terminal).
	Ended
	// Failed: the connection is lost (terminal).
	Failed
)

// Event is what a [Conn] reports to its owner.
type Event struct {
	// Kind says which of the other fields is set.
	Kind Kind
	// Message is set for Message.
	Message transport.ChannelMessage
	// CloseCode is transport.CloseConferenceEnded or transport.CloseExpelled
	// for Ended.
	CloseCode int
	// Err is set for Malformed and Failed.
	Err error
}

// Conn is an open notification WebSocket. It owns one goroutine, the
// reader, plus a short-lived one while a keepalive ping waits for its pong
// (pings are started by a timer, so an idle Conn costs one goroutine).
// [Conn.Close] stops and waits for both.
type Conn struct {
	ws      *websocket.Conn
	deliver func(Event)
	opts    Options

	terminal sync.Once
	wg       sync.WaitGroup

	mu      sync.Mutex // guards timer and the start of pings against Close
	closing atomic.Bool
	timer   *time.Timer
}

// Dial opens the notification WebSocket at url (see
// transport.ConferenceURI.WebSocketURL) with token as bearer token and
// starts reading. deliver is called from the Conn's goroutines, in order,
// and must not block. A refused handshake returns a *rest.StatusError
// (matching rest.ErrUnauthorized, rest.ErrNotFound, ...).
func Dial(ctx context.Context, url, token string, opts *Options, deliver func(Event)) (*Conn, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.PingInterval == 0 {
		o.PingInterval = DefaultPingInterval
	}
	if o.PongTimeout <= 0 {
		o.PongTimeout = DefaultPongTimeout
	}
	if o.ReadLimit <= 0 {
		o.ReadLimit = DefaultReadLimit
	}

	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	if o.SDK != "" {
		h.Set("Mind-SDK", o.SDK)
	}
	c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: o.HTTPClient, HTTPHeader: h})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, &rest.StatusError{Method: http.MethodGet, Path: "/ (websocket)", Code: resp.StatusCode}
		}
		return nil, fmt.Errorf("mind: dial websocket: %w", err)
	}
	c.SetReadLimit(o.ReadLimit)

	conn := &Conn{ws: c, deliver: deliver, opts: o}
	conn.wg.Add(1)
	go conn.read()
	conn.schedulePing()

	return conn, nil
}

// Close closes the connection without a close handshake and waits for the
// Conn's goroutines. No event is delivered once Close has been called. It
// is safe to call more than once.
func (c *Conn) Close() error {
	c.mu.Lock()
	already := c.closing.Swap(true)
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()
	if already {
		c.wg.Wait()
		return nil
	}

	err := c.ws.CloseNow()
	c.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}

	return err
}

func (c *Conn) read() {
	defer c.wg.Done()

	for {
		typ, b, err := c.ws.Read(context.Background())
		if err != nil {
			c.end(err)
			return
		}
		if typ != websocket.MessageText {
			c.fail(ErrBinaryFrame)
			return
		}

		m, err := transport.ParseChannelMessage(b)
		if err != nil {
			c.emit(Event{Kind: Malformed, Err: err})
			continue
		}
		c.emit(Event{Kind: Message, Message: m})
	}
}

// end reports why reading stopped.
func (c *Conn) end(err error) {
	switch code := websocket.CloseStatus(err); code {
	case transport.CloseConferenceEnded, transport.CloseExpelled:
		c.once(Event{Kind: Ended, CloseCode: int(code)})
	case -1:
		c.once(Event{Kind: Failed, Err: fmt.Errorf("mind: read websocket: %w", err)})
	default:
		c.once(Event{Kind: Failed, Err: fmt.Errorf("%w: status %d", ErrClosedByServer, code)})
	}
}

func (c *Conn) fail(err error) {
	c.once(Event{Kind: Failed, Err: err})
	_ = c.ws.CloseNow()
}

func (c *Conn) emit(e Event) {
	if !c.closing.Load() {
		c.deliver(e)
	}
}

func (c *Conn) once(e Event) {
	c.terminal.Do(func() { c.emit(e) })
}

// schedulePing arms the timer of the next keepalive ping.
func (c *Conn) schedulePing() {
	if c.opts.PingInterval <= 0 {
		return
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closing.Load() {
		c.timer = time.AfterFunc(c.opts.PingInterval, c.ping)
	}
}

// ping runs on the timer's goroutine: one ping, then the next timer.
func (c *Conn) ping() {
	c.mu.Lock()
	if c.closing.Load() {
		c.mu.Unlock()
		return
	}
	c.wg.Add(1)
	c.mu.Unlock()
	defer c.wg.Done()

	ctx, cancel := context.WithTimeout(context.Background(), c.opts.PongTimeout)
	err := c.ws.Ping(ctx)
	cancel()
	if err != nil {
		if !c.closing.Load() {
			c.fail(fmt.Errorf("%w: %v", ErrKeepalive, err))
		}
		return
	}
	c.schedulePing()
}
