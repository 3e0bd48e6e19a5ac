package media

import "errors"

// Errors reported by this package. They are wrapped with detail; test for
// them with errors.Is.
var (
	// ErrInvalidMedia: a file or a stream of bytes is truncated, corrupt or
	// not in the container it was opened as.
	ErrInvalidMedia = errors.New("media: invalid media")
	// ErrUnsupportedCodec: the media is well formed but uses a codec or a
	// codec profile this package does not send or record.
	ErrUnsupportedCodec = errors.New("media: unsupported codec")
	// ErrTooLarge: an input is larger than a file source accepts.
	ErrTooLarge = errors.New("media: input too large")
	// ErrInvalidArgument: a function was called with a value it cannot use
	// (a nil writer, a bad option, an inconsistent stream).
	ErrInvalidArgument = errors.New("media: invalid argument")
	// ErrClosed: a sink was used after Close.
	ErrClosed = errors.New("media: sink closed")
)

var errBadVP8Keyframe = errors.New("VP8 keyframe without start code")

var errOggChecksum = errors.New("page checksum mismatch")
