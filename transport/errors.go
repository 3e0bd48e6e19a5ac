package transport

import "errors"

// Errors reported by the decoders and validators of this package. They are
// wrapped with detail; test for them with errors.Is.
var (
	// ErrMalformedURI: a conference URI does not match protocol §1.1.
	ErrMalformedURI = errors.New("mind: conference URI is malformed")
	// ErrInvalidValue: an enumeration value or a field is not valid.
	ErrInvalidValue = errors.New("mind: invalid value")
	// ErrMalformedMessage: bytes from the network are not a valid resource
	// or notification.
	ErrMalformedMessage = errors.New("mind: malformed message")
)
