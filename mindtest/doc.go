// Package mindtest is an in-process reference server for the Mind API,
// meant for tests, demos and local development, in the spirit of
// net/http/httptest.
//
// [NewServer] starts a real HTTP server on a loopback port. It speaks the
// participant API the SDK uses (conference snapshot, rename, recording,
// participant changes, messages), the application API of protocol §13
// (create and end conferences, create and expel participants, messages and
// recording as the application), and WebSocket notification channels
// (protocol §12) for participants and for the application, and WebRTC
// (protocol §4, §10.4–§10.6): POST / answers SDP offers on loopback, each
// participant's data channel is one of its notification channels (it
// carries notifications and the close codes 4000 and 4001), and RTP is
// forwarded between participants. Tokens and
// roles are enforced, presence is tracked, and every change of a
// conference is serialised together with its notifications, so every
// receiver sees the same order and a snapshot (R1) reflects every
// notification queued to its caller before it.
//
// Besides HTTP, the server has a Go API for tests: create conferences and
// participants, act as the application ([Conference.Rename],
// [Conference.Expel], [Conference.End], ...), inspect what happened
// ([Server.Requests], [Conference.Notifications],
// [Conference.MessagesToApplication], [Conference.SDPLog],
// [Conference.DistortionReports]) and inject faults
// ([Server.FailNext], [Server.DelayNext], [Conference.DropTransport],
// [Conference.CloseDataChannel], [Conference.SendRaw]).
//
// # Status codes
//
// 400 for a malformed body or an invalid value (unknown role, language or
// layout, an empty or overlong name, an overlong message, an unknown
// target participant or message recipient, a path that names no
// resource), 401 for a missing or invalid token, 403 when the caller's
// role forbids the operation, 404 only when the conference has ended or
// the calling participant was expelled, 405 for a method a resource does not have, 409 for a
// well-formed SDP offer that cannot be applied (wrong m-section layout),
// 413 for a body over 1 MiB, 501 for SDP offers when the server runs with
// [Options.SignallingOnly], 503 for requests racing [Server.Close].
// Error bodies are {"error": "<reason>"}. Every response allows any
// origin (CORS), and preflights need no token.
//
// # Choices where the protocol leaves room
//
//   - Names are at most [MaxNameLength] bytes and message texts at most
//     [MaxMessageLength] bytes, so that every notification fits in one
//     data channel message. The Go helpers [Server.CreateConference] and
//     [Conference.CreateParticipant] accept empty names for convenience;
//     the HTTP API does not.
//   - A conference-wide message is not echoed to its sender.
//   - The application's WebSocket receives every notification any
//     participant receives (private messages between participants
//     included) and the messages sent to the application; the
//     application's own messages are not echoed to it.
//   - A participant may hold several notification channels at once; it is
//     online while any of them is open, and each gets every notification.
//   - A receiver that falls 16,384 notifications behind is dropped like a
//     failed connection; its client reconnects and reloads the model.
//
// # Limitations
//
// The server keeps everything in memory, serves a single application and
// keeps every request for [Server.Requests] until it closes. It records
// nothing: GET /recording answers a small placeholder file.
//
// Media is loopback only (127.0.0.1 candidates) and mixes nothing. The
// "conference" stream is a selector, not a mix: each receiver gets the
// primary audio and video of one participant, the online speaker,
// presenter or moderator with the highest priority that publishes that
// kind (ties go to the one that came online first; nobody gets their own
// audio). The choice is made again when roles, priorities, presence or
// media change, and at least every 250 ms. Like the output of a real MCU,
// a receive slot's conference video keeps one codec: once the slot has
// carried a source, only publishers sending that same codec are
// candidates (the next one in the order above, or nothing when none
// does), so an H.264 speaker is not forwarded into a slot that started
// with VP8.
//
// Media flags follow each accepted offer (positions 1–4) and are set
// before the answer is returned. A participant that publishes and then
// loses its peer connection has its flags cleared even if a WebSocket
// keeps it online.
//
// A client connection's data channel starts queueing notifications when
// its first offer is answered and delivers them once it opens, so
// nothing committed after the client saw its channel open is missed; the
// participant counts as online from the moment the server sees the
// channel open. When a participant replaces its peer connection (a new
// first offer), the old connection is closed without a close code and the
// participant stays online until the new channel opens or fails.
package mindtest
