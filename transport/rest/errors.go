package rest

import (
	"errors"
	"fmt"
	"net/http"
)

// Errors matched by the status errors of this package, and the timeout.
var (
	// ErrUnauthorized: the server answered 401 (missing or invalid token).
	ErrUnauthorized = errors.New("mind: unauthorized")
	// ErrForbidden: the server answered 403 (the role does not allow it).
	ErrForbidden = errors.New("mind: forbidden")
	// ErrNotFound: the server answered 404 (the conference or the caller no
	// longer exists).
	ErrNotFound = errors.New("mind: not found")
	// ErrTimeout: the request did not complete within its timeout.
	ErrTimeout = errors.New("mind: request timed out")
)

// StatusError is a non-2xx answer of the server. Path is relative to the
// conference base URI, without query; neither carries a token.
type StatusError struct {
	// Method is the HTTP method of the request.
	Method string
	// Path is the request path relative to the conference, e.g. "/" or
	// "/participants/<id>".
	Path string
	// Code is the HTTP status code.
	Code int
}

// Error describes the failed request.
func (e *StatusError) Error() string {
	return fmt.Sprintf("mind: %s %s: status %d %s", e.Method, e.Path, e.Code, http.StatusText(e.Code))
}

// Unwrap returns the sentinel that matches the status code, if any.
func (e *StatusError) Unwrap() error {
	switch e.Code {
	case http.StatusUnauthorized:
		return ErrUnauthorized
	case http.StatusForbidden:
		return ErrForbidden
	case http.StatusNotFound:
		return ErrNotFound
	default:
		return nil
	}
}
