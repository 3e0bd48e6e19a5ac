package session

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/mindsdk/mindgo/event"
)

// Version is the version of this SDK, sent in the Mind-SDK header.
const Version = "0.1.0"

// DefaultEventBuffer is the default of [Options.EventBuffer].
const DefaultEventBuffer = 1024

// Options configures [Join]. A nil *Options means all defaults; Join never
// modifies the value it is given.
type Options struct {
	// SignallingOnly asks for a session without media: notifications come
	// over a WebSocket (protocol §12). The default (false) joins with a
	// WebRTC peer connection whose data channel carries the notifications
	// (protocol §4), configured by Media.
	SignallingOnly bool

	// Media configures the peer connection of a session with media.
	Media MediaOptions

	// HTTPClient performs every request and the WebSocket handshake.
	// Default: http.DefaultClient. Each request also gets its own 10 s
	// timeout (protocol §1.4).
	HTTPClient *http.Client

	// ICEServers are kept for sessions with media; a signalling-only
	// session does not use them. Default: none.
	ICEServers ICEServers

	// Logger receives the session's diagnostics, with a "session"
	// attribute. Tokens are never logged. Default: nil, which logs nothing.
	Logger *slog.Logger

	// EventBuffer is how many undelivered events one subscriber may hold
	// before its subscription ends with ErrOverflow. Each subscription
	// reserves this many slots (16 bytes each) up front. Default (zero or
	// negative): DefaultEventBuffer.
	EventBuffer int

	// SDKHeader is the value of the Mind-SDK header. Default: "Mind Go SDK "
	// followed by Version.
	SDKHeader string

	// Listener, if not nil, is subscribed before the session starts, so it
	// sees every event, including those caused by notifications that
	// arrived while joining. It runs like one given to Session.Listen.
	// Default: none.
	Listener event.Listener

	// Hooks for tests of this package; unexported so the API stays small.
	backoff     func(attempt int) time.Duration
	dial        dialFunc
	holdTimeout time.Duration
}

// ICEServers are the STUN and TURN servers a session with media would use.
type ICEServers struct {
	// STUN is a STUN URL, e.g. "stun:stun.example.com:3478". Default: none.
	STUN string
	// TURN is a TURN URL. Default: none.
	TURN string
	// TURNUsername is the TURN user name.
	TURNUsername string
	// TURNPassword is the TURN password.
	TURNPassword string
}

func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.EventBuffer <= 0 {
		c.EventBuffer = DefaultEventBuffer
	}
	if c.SDKHeader == "" {
		c.SDKHeader = "Mind Go SDK " + Version
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.backoff == nil {
		c.backoff = recoveryDelay
	}
	if c.holdTimeout <= 0 {
		c.holdTimeout = defaultHoldTimeout
	}

	return c
}

// recoveryDelay is the wait before reconnect attempt n (0-based) after a
// lost connection: 0, 1, 2, ... 10 s, then 10 s forever (protocol §5.4).
func recoveryDelay(attempt int) time.Duration {
	return time.Duration(min(attempt, 10)) * time.Second
}
