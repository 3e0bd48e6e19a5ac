package stats

import (
	"math"
	"time"
)

// None is the value of the textual fields of [Session] before a transport is
// selected and after the session closed.
const None = "none"

// Session describes the transport the session uses: the candidate pair its
// ICE agent selected (protocol §6.2).
type Session struct {
	// Timestamp is when these figures were taken.
	Timestamp time.Time
	// Protocol is the local candidate's transport, "udp" or "tcp", or None.
	Protocol string
	// LocalAddress and LocalPort are the local candidate's, or None and 0.
	LocalAddress string
	LocalPort    int
	// RemoteAddress and RemotePort are the remote candidate's, or None and 0.
	RemoteAddress string
	RemotePort    int
}

// NoSession returns the session statistics of a session without a selected
// transport, stamped with t.
func NoSession(t time.Time) Session {
	return Session{Timestamp: t, Protocol: None, LocalAddress: None, RemoteAddress: None}
}

// Audio holds the published audio figures of one media stream (protocol
// §6.4). The zero value (apart from Timestamp) means "nothing measured".
type Audio struct {
	Timestamp time.Time
	// RTT is the round-trip time in milliseconds (1 when unknown but the
	// stream has an audio track).
	RTT int
	// Bitrate in bits per second.
	Bitrate int
	// Delay is the jitter-buffer delay of received audio in milliseconds;
	// always 0 for audio that is sent.
	Delay int
	// Losses is the percentage of packets lost during the interval.
	Losses int
	// Level is the audio level, 0 to 100.
	Level int
	// Rate is the number of audio samples per second.
	Rate int
}

// Video holds the published video figures of one media stream (protocol
// §6.5).
type Video struct {
	Timestamp time.Time
	// RTT is the round-trip time in milliseconds (1 when unknown but the
	// stream has a video track).
	RTT int
	// Bitrate in bits per second, all simulcast layers together.
	Bitrate int
	// Delay in milliseconds: the send delay of sent video, the
	// jitter-buffer delay of received video.
	Delay int
	// Losses is the percentage of packets lost during the interval.
	Losses int
	// Width and Height in pixels of the largest layer that carried a frame
	// during the interval (sent video) or of the received frames.
	Width  int
	Height int
	// Rate is the frame rate in frames per second.
	Rate int
}

// whole truncates v toward zero; NaN and infinities give 0.
func whole(v float64) int {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	if v > math.MaxInt32 || v < math.MinInt32 {
		return 0
	}
	return int(v)
}

// ratio returns a/b, or 0 when b is 0 (whole turns the rest into 0).
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// rttMillis applies the round-trip rules of protocol §6.3: the selected
// pair's figure first, then (sent streams only) the remote-inbound one, and
// 1 instead of 0 when the stream has a track of that kind.
func rttMillis(pairRTT, remoteRTT float64, local, hasTrack bool) int {
	ms := whole(pairRTT * 1000)
	if ms == 0 && local {
		ms = whole(remoteRTT * 1000)
	}
	if ms == 0 && hasTrack {
		ms = 1
	}
	return ms
}

// delta returns cur-prev for cumulative counters, or 0 when the counter went
// backwards (a restarted source).
func delta(cur, prev uint64) float64 {
	if cur < prev {
		return 0
	}
	return float64(cur - prev)
}

// deltaF is delta for cumulative floating-point counters.
func deltaF(cur, prev float64) float64 {
	if cur < prev {
		return 0
	}
	return cur - prev
}
