package mindtest

import (
	"log/slog"
	"time"
)

// Options configures a [Server]. The zero value, or a nil *Options, gives
// the defaults.
type Options struct {
	// Addr is the listen address. Default "127.0.0.1:0" (a free loopback
	// port).
	Addr string
	// Logger receives the server's logs. Nil means silent.
	Logger *slog.Logger
	// PingInterval is how often the server pings each notification
	// WebSocket. Default 15s.
	PingInterval time.Duration
	// PongTimeout is how long a WebSocket may leave a ping unanswered
	// before the server drops it (as a failure, without a close code).
	// Default 45s.
	PongTimeout time.Duration
	// ExpelGrace is how long the server waits, after sending the close code
	// 4000 or 4001, before it closes a participant's transports. Default
	// 500ms.
	ExpelGrace time.Duration
	// SignallingOnly turns WebRTC off: POST / (SDP) answers 501 and
	// notification channels are WebSockets only. By default the server
	// answers offers with its own loopback media engine.
	SignallingOnly bool
}

const (
	defaultAddr         = "127.0.0.1:0"
	defaultPingInterval = 15 * time.Second
	defaultPongTimeout  = 45 * time.Second
	defaultExpelGrace   = 500 * time.Millisecond

	// maxBodyBytes caps every request body; larger bodies get 413.
	maxBodyBytes = 1 << 20
	// outboxLimit caps the notifications queued for one receiver. A
	// receiver that falls this far behind is dropped (it reconnects and
	// reloads the model), so a stalled client cannot grow memory forever.
	outboxLimit = 1 << 14
)

// withDefaults returns a copy of o with every zero field set to its
// default.
func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.Addr == "" {
		r.Addr = defaultAddr
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	if r.PingInterval <= 0 {
		r.PingInterval = defaultPingInterval
	}
	if r.PongTimeout <= 0 {
		r.PongTimeout = defaultPongTimeout
	}
	if r.ExpelGrace <= 0 {
		r.ExpelGrace = defaultExpelGrace
	}

	return r
}
