// Package conference holds the model a session keeps of its conference:
// the conference itself, the local participant ([Me]) and the remote
// participants that are online.
//
// Every value in this package is immutable once built. A session publishes
// a new [*Conference] after each change instead of editing the old one, so
// a snapshot obtained from a session or carried by an event can be read
// from any goroutine without locks and never changes under the reader. The
// With* methods return a changed copy and leave the receiver untouched.
//
// Roles, languages, layouts and media flags are the wire types of package
// transport, aliased here so that callers need one import.
package conference
