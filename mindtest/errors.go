package mindtest

import "errors"

// Errors returned by the Go API of the server. They are wrapped with
// detail; test for them with errors.Is.
var (
	// ErrNotFound: no conference or participant with that ID.
	ErrNotFound = errors.New("mindtest: not found")
	// ErrInvalid: a value is not acceptable (empty name, unknown role,
	// language or layout, unknown recipient, ...).
	ErrInvalid = errors.New("mindtest: invalid value")
	// ErrEnded: the conference has ended.
	ErrEnded = errors.New("mindtest: conference ended")
	// ErrOffline: the participant has no open notification channel.
	ErrOffline = errors.New("mindtest: participant offline")
	// ErrClosed: the server has been closed.
	ErrClosed = errors.New("mindtest: server closed")
)

// Errors used between the model and the HTTP layer only.
var (
	// errForbidden: the caller's role does not allow the operation (403).
	errForbidden = errors.New("mindtest: forbidden")
	// errGone: the calling participant has been expelled (404).
	errGone = errors.New("mindtest: participant gone")
)
