// Package rest is a small client for the participant API of the Mind API
// (protocol §2): the detailed conference read, conference and participant
// changes, recording control, text messages and the recording download.
//
// Every request is bound to the caller's context and to a per-request
// timeout (10 s unless configured, protocol §1.4); a request that runs out
// of that time fails with an error wrapping [ErrTimeout]. Failures carry
// typed errors: a non-2xx answer is a [*StatusError] that also matches
// [ErrUnauthorized], [ErrForbidden] or [ErrNotFound] with errors.Is, and a
// 2xx answer that cannot be decoded wraps transport.ErrMalformedMessage.
//
// The participant token travels in the Authorization header only. It never
// appears in a URL, an error string or a log line.
package rest
