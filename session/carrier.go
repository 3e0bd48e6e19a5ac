package session

import (
	"context"

	"github.com/mindsdk/mindgo/transport"
	"github.com/mindsdk/mindgo/transport/ws"
)

// carrier is whatever brings notifications to the actor: the WebSocket of
// a signalling-only session today, the WebRTC data channel of a media
// session later. The actor only ever closes it; everything it reads comes
// in as notes through the deliver function given when it was opened.
type carrier interface {
	// Close stops the carrier and waits for its goroutines. No note is
	// delivered after Close returns.
	Close() error
}

// dialFunc opens a carrier. deliver is called in order from the carrier's
// goroutines and never blocks.
type dialFunc func(ctx context.Context, s *Session, deliver func(note)) (carrier, error)

// noteKind says what a note reports.
type noteKind int

const (
	// noteMessage: a notification or a close code sent as a message.
	noteMessage noteKind = iota + 1
	// noteMalformed: an unreadable message, skipped.
	noteMalformed
	// noteEnded: the carrier was closed with a protocol close code.
	noteEnded
	// noteFailed: the carrier is lost.
	noteFailed
	// noteMedia: an event of a media session's connection (media.go).
	noteMedia
)

// note is one report of a carrier. gen is the generation of the carrier
// that produced it, so that reports of a carrier the actor has already
// given up are recognised and dropped (quirk Q11).
type note struct {
	gen  uint64
	kind noteKind
	msg  transport.ChannelMessage
	code int
	err  error
	// media is the event of a noteMedia.
	media any
}

// terminalCode returns the protocol close code a note carries, or 0.
func (n note) terminalCode() int {
	switch {
	case n.kind == noteEnded:
		return n.code
	case n.kind == noteMessage:
		return n.msg.CloseCode
	default:
		return 0
	}
}

// dialWebSocket opens the notification WebSocket of protocol §12.
func dialWebSocket(ctx context.Context, s *Session, deliver func(note)) (carrier, error) {
	opts := &ws.Options{HTTPClient: s.opts.HTTPClient, SDK: s.opts.SDKHeader}

	c, err := ws.Dial(ctx, s.uri.WebSocketURL(), s.token, opts, func(e ws.Event) {
		switch e.Kind {
		case ws.Message:
			deliver(note{kind: noteMessage, msg: e.Message})
		case ws.Malformed:
			deliver(note{kind: noteMalformed, err: e.Err})
		case ws.Ended:
			deliver(note{kind: noteEnded, code: e.CloseCode})
		case ws.Failed:
			deliver(note{kind: noteFailed, err: e.Err})
		}
	})
	if err != nil {
		return nil, err // never a typed nil in the interface
	}

	return c, nil
}
