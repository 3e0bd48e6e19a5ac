// Package session joins a Mind API conference and keeps a live model of it.
//
// [Join] validates the conference URI, opens the notification channel,
// reads the whole conference and returns a [*Session] once its model is
// loaded. From then on the session applies every change the server
// notifies, reports it as an event (package event) and recovers on its own
// from lost connections: it reconnects with the protocol's backoff (0, 1,
// 2, ... 10 s), reloads the conference and reports what changed while it
// was away as ordinary events. The end of the conference and the expulsion
// of the local participant end the session for good.
//
// A session with [Options.SignallingOnly] carries no media: notifications
// travel over a WebSocket (protocol §12), so it costs one TCP connection
// and two goroutines while idle, and a process can hold thousands. It is
// never lagging (that state comes from SDP renegotiations); it is normal,
// failed while it recovers, or closed. Otherwise the session owns a WebRTC
// peer connection whose data channel carries the notifications (protocol
// §4), configured by [Options.Media]. Both kinds share the same actor,
// model, events and recovery.
//
// # Media
//
// A session with media publishes the local participant's streams
// ([Session.SetPrimaryStream], [Session.SetSecondaryStream]) and receives
// remote streams into sinks ([Session.Receive]); the session owns the
// players and, from then on, the sinks, which it closes when a
// subscription ends. Renegotiations are coalesced (one offer in flight, at
// most one pending); an offer that times out with the connection up makes
// the session lagging until a round succeeds. A lost connection is rebuilt
// in place: publications and subscriptions carry on over the new one with
// the same players and sinks. Statistics (protocol §6) are computed every
// tick and reported as event.StatisticsUpdated, and distortion reports go
// to the server on the data channel. Media methods of a signalling-only
// session return ErrSignallingOnly.
//
// # Concurrency
//
// Each session runs one goroutine, its actor, that owns the state, the
// model, the transport and the subscribers. Every method may be called
// from any goroutine, including from inside event handlers. Reads
// ([Session.State], [Session.Conference]) return immutable snapshots
// without waiting for the actor. Writes wait until the server has
// confirmed the change and the model shows it, or until their context
// ends.
//
// # Events
//
// [Session.Subscribe] returns a channel of events; [Session.Listen] and
// [Options.Listener] call an event.Listener on a goroutine of the session.
// Each subscriber receives every event published after it subscribed, in
// the order the actor produced them, ending with event.Closed. A subscriber
// that does not keep up holds at most [Options.EventBuffer] undelivered
// events; when that bound is reached its subscription ends with
// event.Closed{Reason: ErrOverflow} and its channel is closed. Other
// subscribers and the session itself are never slowed down by it.
//
// # Lifecycle
//
// [Session.Close] ends the session: it closes the transport, stops every
// goroutine of the session, delivers event.Closed to every subscriber and
// closes their channels before it returns. It is idempotent and safe to call
// concurrently and from inside handlers.
package session
