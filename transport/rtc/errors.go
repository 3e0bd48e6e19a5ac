package rtc

import "errors"

// Errors returned or reported by this package. They are wrapped with
// detail; test for them with errors.Is.
var (
	// ErrClosed is returned by every method of a closed [Conn].
	ErrClosed = errors.New("rtc: connection closed")
	// ErrConnectionFailed is reported through [Handlers.OnFailed] when the
	// peer connection state becomes failed.
	ErrConnectionFailed = errors.New("rtc: peer connection failed")
	// ErrDataChannelClosed is reported through [Handlers.OnFailed] when the
	// data channel closes while the connection is supposed to be alive.
	ErrDataChannelClosed = errors.New("rtc: data channel closed unexpectedly")
	// ErrDataChannelNotOpen is returned by [Conn.Send] before the data
	// channel opened.
	ErrDataChannelNotOpen = errors.New("rtc: data channel not open")
	// ErrNegotiation wraps a failure of pion while creating or applying a
	// local offer.
	ErrNegotiation = errors.New("rtc: negotiation failed")
	// ErrAnswerRejected wraps a failure to apply the server's answer.
	ErrAnswerRejected = errors.New("rtc: answer rejected")
	// ErrNoOffer is returned by [Conn.ApplyAnswer] when no offer is
	// waiting for an answer.
	ErrNoOffer = errors.New("rtc: no offer waiting for an answer")
	// ErrInvalidTrack is returned when a track given for publishing has the
	// wrong kind, a bad or repeated RID, or too many layers.
	ErrInvalidTrack = errors.New("rtc: invalid track")
	// ErrInvalidArgument is returned for any other bad argument.
	ErrInvalidArgument = errors.New("rtc: invalid argument")
	// ErrSlotReleased is returned by the methods of a [Slot] after its
	// release.
	ErrSlotReleased = errors.New("rtc: slot released")
	// ErrMalformedSDP is returned by the offer munger when the SDP does not
	// have the sections the connection expects.
	ErrMalformedSDP = errors.New("rtc: malformed SDP")
)
