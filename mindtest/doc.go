// Package mindtest is an in-process reference server for the Mind API,
// meant for tests, demos and local development, in the spirit of
// net/http/httptest.
//
// [NewServer] starts a real HTTP server on a loopback port. It speaks the
// participant API the SDK uses (conference snapshot, rename, recording,
// participant changes, messages), the application API of protocol §13
// (create and end conferences, create and expel participants, messages and
// recording as the application), and WebSocket notification channels
// (protocol §12) for participants and for the application. Tokens and
// roles are enforced, presence is tracked, and every change of a
// conference is serialised together with its notifications, so every
// receiver sees the same order.
//
// Besides HTTP, the server has a Go API for tests: create conferences and
// participants, act as the application ([Conference.Rename],
// [Conference.Expel], [Conference.End], ...), inspect what happened
// ([Server.Requests], [Conference.Notifications],
// [Conference.MessagesToApplication]) and inject faults
// ([Server.FailNext], [Server.DelayNext], [Conference.DropTransport],
// [Conference.SendRaw]).
//
// Limitations: the server keeps everything in memory and serves a single
// application. It records nothing: GET /recording answers a small
// placeholder file. SDP negotiation (POST /) answers 501 until a media
// engine is plugged in (see media.go).
package mindtest
