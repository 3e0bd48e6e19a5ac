package session

import (
	"errors"
	"fmt"

	"github.com/mindsdk/mindgo/transport"
	"github.com/mindsdk/mindgo/transport/rest"
)

// Errors of this package. Test for them with errors.Is; a rejected request
// is also a [*StatusError] (errors.As).
var (
	// ErrMalformedURI: the conference URI does not have the form of
	// protocol §1.1. Join reports it before touching the network.
	ErrMalformedURI = transport.ErrMalformedURI
	// ErrInvalidValue: an argument is not a valid role, language or
	// priority.
	ErrInvalidValue = transport.ErrInvalidValue
	// ErrUnauthorized: the server rejected the token (401).
	ErrUnauthorized = rest.ErrUnauthorized
	// ErrForbidden: the local participant's role does not allow the
	// operation (403).
	ErrForbidden = rest.ErrForbidden
	// ErrNotFound: the server answered 404. During Join it means the
	// conference or the participant does not exist; on a write, the target
	// does not exist. Once joined, a 404 on the conference read means the
	// local participant was expelled (see ErrExpelled).
	ErrNotFound = rest.ErrNotFound
	// ErrTimeout: a request did not complete within its 10 s timeout.
	ErrTimeout = rest.ErrTimeout
	// ErrExpelled: the local participant was removed from the conference.
	ErrExpelled = errors.New("mind: expelled from the conference")
	// ErrConferenceEnded: the application ended the conference.
	ErrConferenceEnded = errors.New("mind: conference ended")
	// ErrClosed: the session is closed. Errors returned after the server
	// ended the session also match the reason (ErrExpelled,
	// ErrConferenceEnded).
	ErrClosed = errors.New("mind: session closed")
	// ErrOverflow: a subscriber fell [Options.EventBuffer] events behind; its
	// subscription ended with this reason.
	ErrOverflow = errors.New("mind: subscriber fell too far behind")
	// ErrMediaUnavailable: kept for compatibility; Join no longer returns
	// it, since sessions with media exist.
	ErrMediaUnavailable = errors.New("mind: media sessions are not available yet (set Options.SignallingOnly)")
)

// StatusError is a request the server answered with a non-2xx status. It
// names the method and the path relative to the conference, never the
// token.
type StatusError = rest.StatusError

// closedError returns the error methods report once the session ended for
// reason.
func closedError(reason error) error {
	if reason == nil || errors.Is(reason, ErrClosed) {
		return ErrClosed
	}
	return fmt.Errorf("%w: %w", ErrClosed, reason)
}
