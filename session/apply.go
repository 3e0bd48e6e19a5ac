package session

import (
	"github.com/mindsdk/mindgo/conference"
	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/transport"
)

// apply processes one notification with the rules of protocol §3.3. An
// unreadable resource, or one whose id is not the one of its location, is
// logged and skipped. Every change of the model is reported to the writes
// in progress (track).
func (s *Session) apply(n transport.Notification) {
	kind, id := transport.ParseLocation(n.Location)
	switch kind {
	case transport.LocationIsConference:
		s.applyConference(n)
	case transport.LocationIsParticipant:
		s.applyParticipant(n, id)
	case transport.LocationIsMessage:
		if n.Type == transport.Created {
			s.applyMessage(n)
		}
	}
}

func (s *Session) applyConference(n transport.Notification) {
	switch n.Type {
	case transport.Deleted:
		s.endConference()
	case transport.Updated:
		c, err := transport.DecodeConference(n.Resource)
		if err != nil {
			s.log.Warn("skipping notification", "location", n.Location, "err", err)
			return
		}
		s.updateConference(c.Name, c.Recording.Started)
	}
}

func (s *Session) applyParticipant(n transport.Notification, id string) {
	me := s.a.model.Me().ID
	if n.Type == transport.Deleted {
		if id == "me" || id == me {
			s.expel() // Q4: the local participant is never a remote one
			return
		}
		s.removeParticipant(id)
		return
	}
	if n.Type != transport.Created && n.Type != transport.Updated {
		return
	}

	p, err := transport.DecodeParticipant(n.Resource)
	if err != nil {
		s.log.Warn("skipping notification", "location", n.Location, "err", err)
		return
	}
	if id == "me" {
		id = me
	}
	switch p.ID {
	case "":
		p.ID = id
	case id:
	default:
		s.log.Warn("skipping notification whose resource is not at its location", "location", n.Location)
		return
	}

	switch {
	case p.ID == me:
		// Offline for Me is ignored (Q4): presence of the local
		// participant follows its own connection. Me is always known, so
		// a creation changes nothing either (§3.3).
		if p.Online && n.Type == transport.Updated {
			s.updateMe(p)
		}
	case !p.Online:
		if n.Type == transport.Updated {
			s.removeParticipant(p.ID)
		}
	case n.Type == transport.Created:
		if _, known := s.a.model.Participant(p.ID); !known {
			s.upsertParticipant(p)
		}
	default:
		s.upsertParticipant(p)
	}
}

func (s *Session) applyMessage(n transport.Notification) {
	m, err := transport.DecodeMessage(n.Resource)
	if err != nil {
		s.log.Warn("skipping notification", "location", n.Location, "err", err)
		return
	}

	me := s.a.model.Me()
	if m.SentBy == s.uri.ApplicationID {
		s.emit(event.MessageFromApplication{Me: me, Text: m.Text})
		return
	}

	e := event.MessageFromParticipant{Me: me, Text: m.Text, SenderID: m.SentBy}
	if p, ok := s.a.model.Participant(m.SentBy); ok {
		e.Participant = &p
	}
	s.emit(e)
}

// updateConference applies the conference fields of protocol §3.3.
func (s *Session) updateConference(name string, recording bool) {
	if name != s.a.model.Name() {
		s.a.model = s.a.model.WithName(name)
		s.emit(event.ConferenceNameChanged{Conference: s.a.model})
		s.track()
	}
	if recording != s.a.model.Recording() {
		s.a.model = s.a.model.WithRecording(recording)
		if recording {
			s.emit(event.RecordingStarted{Conference: s.a.model})
		} else {
			s.emit(event.RecordingStopped{Conference: s.a.model})
		}
		s.track()
	}
}

// updateMe applies Me's fields (protocol §3.3 steps 1-4); media fields of
// Me's resource are not part of the model.
func (s *Session) updateMe(p transport.Participant) {
	old := s.a.model.Me()
	me := conference.MeFrom(p)
	me.ID = old.ID
	s.setMe(old, me)
}

func (s *Session) setMe(old, me conference.Me) {
	if me == old {
		return
	}
	s.a.model = s.a.model.WithMe(me)
	if me.Name != old.Name {
		s.emit(event.MeNameChanged{Me: me})
	}
	if me.Priority != old.Priority {
		s.emit(event.MePriorityChanged{Me: me})
	}
	if me.Language != old.Language {
		s.emit(event.MeLanguageChanged{Me: me})
	}
	if me.Role != old.Role {
		s.emit(event.MeRoleChanged{Me: me})
	}
	s.track()
}

// upsertParticipant adds an unknown online participant or updates a known
// one field by field.
func (s *Session) upsertParticipant(p transport.Participant) {
	np := conference.ParticipantFrom(p)
	old, known := s.a.model.Participant(np.ID)
	if !known {
		s.a.model = s.a.model.WithParticipant(np)
		s.emit(event.ParticipantJoined{Participant: np})
		s.track()
		return
	}
	s.setParticipant(old, np)
}

// setParticipant stores np over old with one event per changed field, in
// the fixed order of protocol §3.3. Every event carries np.
func (s *Session) setParticipant(old, np conference.Participant) {
	if np == old {
		return
	}
	s.a.model = s.a.model.WithParticipant(np)
	if np.Name != old.Name {
		s.emit(event.ParticipantNameChanged{Participant: np})
	}
	if np.Priority != old.Priority {
		s.emit(event.ParticipantPriorityChanged{Participant: np})
	}
	if np.Language != old.Language {
		s.emit(event.ParticipantLanguageChanged{Participant: np})
	}
	if np.Role != old.Role {
		s.emit(event.ParticipantRoleChanged{Participant: np})
	}
	if np.Media != old.Media {
		s.emit(event.ParticipantMediaChanged{Participant: np})
	}
	if np.SecondaryMedia != old.SecondaryMedia {
		s.emit(event.ParticipantSecondaryMediaChanged{Participant: np})
	}
	s.track()
}

func (s *Session) removeParticipant(id string) {
	p, ok := s.a.model.Participant(id)
	if !ok {
		return
	}
	s.a.model, _ = s.a.model.Without(id)
	s.emit(event.ParticipantExited{Participant: p})
	s.track()
}
