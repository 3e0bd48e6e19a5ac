package mindtest

import (
	"context"
	"errors"
)

// This file is where WebRTC media plugs into the server. The signalling
// server works without it (Options.SignallingOnly): POST / (R2) then
// answers 501.
//
// The media engine (sfuMedia in media_sfu.go, built on
// mindtest/internal/sfu) implements mediaEngine and is installed in
// Server.media by NewServer. To carry notifications
// over a participant's data channel it wraps the channel in a sink, makes
// a receiver with newReceiver(pid, "datachannel"), registers it with
// Conference.attach when the channel opens (which brings the participant
// online), runs receiver.run in a goroutine the engine owns, and calls
// Conference.detach when the channel or its peer connection closes. Media
// flags derived from the offer go to Conference.setMedia.

// errNoMedia is returned by the engine when SDP is not supported.
var errNoMedia = errors.New("mindtest: media is not available in this server")

// mediaEngine is the media side of the server.
type mediaEngine interface {
	// answer negotiates an SDP offer of participant pid and returns the
	// answer. Errors wrapping ErrInvalid become 400, errNoMedia 501,
	// anything else 409.
	answer(ctx context.Context, c *Conference, pid, offer string) (string, error)
	// participantGone is called (with the conference lock held, so it must
	// not block or call back into c) after pid was expelled: close its
	// peer connection once the close code had time to arrive.
	participantGone(c *Conference, pid string)
	// conferenceEnded is called like participantGone for a whole
	// conference.
	conferenceEnded(c *Conference)
	// dropTransport closes pid's peer connection abruptly (a fault).
	dropTransport(c *Conference, pid string)
	// closeDataChannel closes only pid's data channel, without a close
	// code (a fault). It fails with ErrOffline when there is none.
	closeDataChannel(c *Conference, pid string) error
	// reselect is called (with the conference lock held, so it must not
	// block or call back into c) when something the conference-stream
	// selector looks at changed: roles, priorities, presence, media flags.
	reselect(c *Conference)
	// close stops everything the engine started and waits for it.
	close() error
}

// noMedia is the engine of a signalling-only server.
type noMedia struct{}

func (noMedia) answer(context.Context, *Conference, string, string) (string, error) {
	return "", errNoMedia
}
func (noMedia) participantGone(*Conference, string) {}
func (noMedia) conferenceEnded(*Conference)         {}
func (noMedia) dropTransport(*Conference, string)   {}
func (noMedia) closeDataChannel(*Conference, string) error {
	return ErrOffline
}
func (noMedia) reselect(*Conference) {}
func (noMedia) close() error         { return nil }
