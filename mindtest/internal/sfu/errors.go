package sfu

import (
	"errors"
	"fmt"
)

var (
	// ErrMalformedOffer reports an offer that is not valid SDP or lacks what
	// every offer must carry (o= line, mids, ICE credentials). A handler maps
	// it to HTTP 400.
	ErrMalformedOffer = errors.New("sfu: malformed offer")

	// ErrOfferRejected reports a well-formed offer that cannot be applied:
	// the m-section layout breaks the protocol or pion refuses it. A handler
	// maps it to HTTP 409.
	ErrOfferRejected = errors.New("sfu: offer rejected")

	// ErrClosed is returned by calls on a closed engine or room.
	ErrClosed = errors.New("sfu: closed")

	// ErrNoConnection is returned by calls that need a participant's
	// connection or open data channel when there is none.
	ErrNoConnection = errors.New("sfu: no connection")
)

// OfferError describes why an offer was refused. It wraps
// [ErrMalformedOffer] or [ErrOfferRejected].
type OfferError struct {
	// Kind is ErrMalformedOffer or ErrOfferRejected.
	Kind error
	// Line is the 1-based line of the offer at fault, or 0.
	Line int
	// Reason says what is wrong, without quoting secrets.
	Reason string
	// Err is an underlying error (from pion), if any.
	Err error
}

// Error implements error.
func (e *OfferError) Error() string {
	msg := e.Kind.Error()
	if e.Line > 0 {
		msg += fmt.Sprintf(": line %d", e.Line)
	}
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}

	return msg
}

// Unwrap returns the sentinel and the underlying error.
func (e *OfferError) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}

	return []error{e.Kind}
}

func malformed(line int, format string, args ...any) error {
	return &OfferError{Kind: ErrMalformedOffer, Line: line, Reason: fmt.Sprintf(format, args...)}
}

func rejected(err error, format string, args ...any) error {
	return &OfferError{Kind: ErrOfferRejected, Reason: fmt.Sprintf(format, args...), Err: err}
}
