package session

import (
	"time"

	"github.com/mindsdk/mindgo/transport"
)

// A write's answer and the notification of the same change travel on two
// channels, so the answer often arrives first. Once an answer has put a
// value into the model, notifications about that resource that are still
// on their way are older than the change: they must not put the previous
// value back. An expectation protects one field until the notification
// carrying the written value arrives (notifications come in commit order,
// so that one is the change itself). A snapshot after a reconnect replaces
// every expectation, and an expectation that is never met lapses after
// expectTTL so that a server that stays silent cannot freeze a field.

// expectTTL bounds how long an expectation protects its field.
const expectTTL = 30 * time.Second

type field int

const (
	fieldName field = iota + 1
	fieldPriority
	fieldLanguage
	fieldRole
	fieldRecording
)

// expectKey names a field: id is a participant ID, or "" for the
// conference.
type expectKey struct {
	id    string
	field field
}

type expectation struct {
	value any
	at    time.Time
}

// expect protects a field whose value an answer just changed.
func (s *Session) expect(id string, f field, value any) {
	if s.a.expect == nil {
		s.a.expect = make(map[expectKey]expectation)
	}
	s.a.expect[expectKey{id, f}] = expectation{value: value, at: time.Now()}
}

// expected returns the value a notification may set for a field: its own
// when it carries the expected value (which meets the expectation) or when
// nothing is expected, otherwise current, the model's value.
func expected[T comparable](s *Session, id string, f field, incoming, current T) T {
	k := expectKey{id, f}
	e, ok := s.a.expect[k]
	if !ok {
		return incoming
	}
	if v, _ := e.value.(T); v == incoming || time.Since(e.at) > expectTTL {
		delete(s.a.expect, k)
		return incoming
	}

	return current
}

// guardConference rewrites the fields of a conference notification that
// an answer has already moved past.
func (s *Session) guardConference(c *transport.Conference) {
	if len(s.a.expect) == 0 {
		return
	}
	c.Name = expected(s, "", fieldName, c.Name, s.a.model.Name())
	c.Recording.Started = expected(s, "", fieldRecording, c.Recording.Started, s.a.model.Recording())
}

// guardParticipant does the same for a participant notification; cur is
// the participant's current name, priority, language and role.
func (s *Session) guardParticipant(p *transport.Participant, name string, priority float64,
	language transport.Language, role transport.Role,
) {
	if len(s.a.expect) == 0 {
		return
	}
	p.Name = expected(s, p.ID, fieldName, p.Name, name)
	p.Priority = expected(s, p.ID, fieldPriority, p.Priority, priority)
	p.Language = expected(s, p.ID, fieldLanguage, p.Language, language)
	p.Role = expected(s, p.ID, fieldRole, p.Role, role)
}

// forget drops the expectations of one participant, or all of them when
// id is "*".
func (s *Session) forget(id string) {
	for k := range s.a.expect {
		if id == "*" || k.id == id {
			delete(s.a.expect, k)
		}
	}
}
