package session

import (
	"time"

	"github.com/mindsdk/mindgo/transport/rtc"
)

// Defaults of [MediaOptions].
const (
	DefaultConnectTimeout = 30 * time.Second
	DefaultSDPTimeout     = 10 * time.Second
	DefaultStatsInterval  = time.Second
	DefaultLaggingRetry   = 100 * time.Millisecond
)

// MediaOptions configure the WebRTC side of a session with media. The zero
// value gives the protocol's defaults.
type MediaOptions struct {
	// RTC configures the peer connection: loopback gathering and access to
	// pion's setting engine. Its ICEServers are used together with those
	// of [Options.ICEServers]; its Logger defaults to Options.Logger.
	// Ignored when Engine is set.
	RTC rtc.Config

	// Engine, if not nil, creates the session's peer connections, so that
	// many sessions can share one configuration built with rtc.NewEngine.
	// Options.ICEServers and RTC are then not used. Default: a new engine
	// per session (cheap: about 14 µs and 4 KiB here).
	Engine *rtc.Engine

	// ConnectTimeout bounds the time from creating a peer connection to
	// its data channel opening; past it, the attempt is a connection
	// failure (the join fails, or recovery tries again). Default
	// DefaultConnectTimeout.
	ConnectTimeout time.Duration

	// SDPTimeout bounds each SDP offer request (R2). Once the data channel
	// is open, a timed-out offer makes the session lagging and is retried
	// (protocol §4.5). Default DefaultSDPTimeout, the protocol's 10 s.
	SDPTimeout time.Duration

	// LaggingRetry is the pause before an offer that timed out is sent
	// again (quirk Q22). Default DefaultLaggingRetry.
	LaggingRetry time.Duration

	// StatsInterval is the statistics tick (protocol §6.1). Default
	// DefaultStatsInterval, the protocol's 1 s; tests use shorter ones.
	StatsInterval time.Duration
}

func (m MediaOptions) withDefaults() MediaOptions {
	if m.ConnectTimeout <= 0 {
		m.ConnectTimeout = DefaultConnectTimeout
	}
	if m.SDPTimeout <= 0 {
		m.SDPTimeout = DefaultSDPTimeout
	}
	if m.LaggingRetry <= 0 {
		m.LaggingRetry = DefaultLaggingRetry
	}
	if m.StatsInterval <= 0 {
		m.StatsInterval = DefaultStatsInterval
	}
	return m
}
