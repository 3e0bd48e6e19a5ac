// Package event defines what a session reports: a closed set of event
// types, one struct per kind, and the [Listener] interface with one method
// per kind.
//
// Every event carries the immutable snapshot it concerns (a
// [conference.Participant], [conference.Me] or [*conference.Conference]), so
// a handler reads consistent data however far the session has moved on;
// [StatisticsUpdated], which a session with media reports every statistics
// tick, carries the figures of that tick instead.
// Events are built once and shared by every subscriber: treat them as
// read-only.
//
// A session delivers events on channels (see session.Session.Subscribe) or
// to a Listener (see [Run] and session.Session.Listen). The last event a
// subscriber receives is always [Closed].
package event
