package session

import (
	"context"
	"fmt"
	"io"
	"math"

	"github.com/mindsdk/mindgo/conference"
	"github.com/mindsdk/mindgo/transport"
)

type writeKind int

const (
	writeRename writeKind = iota + 1
	writeRecordingStart
	writeRecordingStop
	writeParticipant
	writeMessage
)

// writeCmd is one change requested through the API. The actor starts its
// request on a goroutine of the session, applies the server's answer to the
// model and replies.
type writeCmd struct {
	ctx   context.Context //nolint:containedctx // the caller's request, carried to the goroutine doing it
	kind  writeKind
	id    string // participant, for writeParticipant
	name  string // for writeRename
	patch transport.ParticipantPatch
	msg   transport.MessageRequest
	reply chan error // capacity 1

	// Set by the request goroutine before it posts writeDone.
	conf transport.Conference
	part transport.Participant
	err  error

	// seen is set by the actor when a notification already brought the
	// requested value into the model, so the answer must not apply it a
	// second time over a newer value (Q6).
	seen bool
}

func (w *writeCmd) confirmedByConference(c transport.Conference) bool {
	switch w.kind {
	case writeRename:
		return c.Name == w.name
	case writeRecordingStart:
		return c.Recording.Started
	case writeRecordingStop:
		return !c.Recording.Started
	default:
		return false
	}
}

func (w *writeCmd) confirmedByParticipant(p transport.Participant) bool {
	if w.kind != writeParticipant || w.id != p.ID {
		return false
	}
	pt := w.patch
	switch {
	case pt.Name != nil:
		return *pt.Name == p.Name
	case pt.Priority != nil:
		return *pt.Priority == p.Priority
	case pt.Language != nil:
		return *pt.Language == p.Language
	case pt.Role != nil:
		return *pt.Role == p.Role
	default:
		return false
	}
}

// markSeen flags the writes that a notification confirms.
func (s *Session) markSeen(match func(*writeCmd) bool) {
	for _, w := range s.a.inflight {
		if match(w) {
			w.seen = true
		}
	}
}

// write submits w and waits for the actor's reply, ctx or the end of the
// session.
func (s *Session) write(ctx context.Context, w *writeCmd) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case <-s.done:
		return s.closedErr()
	default:
	}

	w.ctx = ctx
	w.reply = make(chan error, 1)
	s.box.put(w)

	select {
	case err := <-w.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		select {
		case err := <-w.reply:
			return err
		default:
			return s.closedErr()
		}
	}
}

func (s *Session) startWrite(w *writeCmd) {
	s.a.inflight = append(s.a.inflight, w)
	s.a.wg.Add(1)
	go func() {
		defer s.a.wg.Done()

		ctx, cancel := context.WithCancelCause(w.ctx)
		stop := context.AfterFunc(s.ctx, func() { cancel(ErrClosed) })
		s.request(ctx, w)
		stop()
		cancel(nil)
		s.box.put(writeDone{w: w})
	}()
}

// request runs on a goroutine of the session.
func (s *Session) request(ctx context.Context, w *writeCmd) {
	switch w.kind {
	case writeRename:
		w.conf, w.err = s.rest.RenameConference(ctx, w.name)
	case writeRecordingStart:
		w.err = s.rest.StartRecording(ctx)
	case writeRecordingStop:
		w.err = s.rest.StopRecording(ctx)
	case writeParticipant:
		w.part, w.err = s.rest.UpdateParticipant(ctx, w.id, w.patch)
	case writeMessage:
		w.err = s.rest.SendMessage(ctx, w.msg)
	}
}

// finishWrite applies a confirmed change, unless a notification already
// did, and replies. A failed write never ends the session: a 404 here says
// that the target does not exist (quirk Q1 fixed).
func (s *Session) finishWrite(w *writeCmd) {
	for i, x := range s.a.inflight {
		if x == w {
			s.a.inflight = append(s.a.inflight[:i], s.a.inflight[i+1:]...)
			break
		}
	}
	if w.err != nil {
		w.reply <- w.err
		return
	}

	if !w.seen {
		switch w.kind {
		case writeRename:
			s.answerConference(fieldName, w.conf.Name, s.a.model.Recording())
		case writeRecordingStart:
			s.answerConference(fieldRecording, s.a.model.Name(), true)
		case writeRecordingStop:
			s.answerConference(fieldRecording, s.a.model.Name(), false)
		case writeParticipant:
			s.applyAnswer(w)
		}
	}
	s.flush()
	w.reply <- nil
}

// answerConference applies a conference answer and, if it changed the
// model, protects the field from older notifications.
func (s *Session) answerConference(f field, name string, recording bool) {
	before := s.a.model
	s.updateConference(name, recording)
	switch {
	case f == fieldName && before.Name() != name:
		s.expect("", fieldName, name)
	case f == fieldRecording && before.Recording() != recording:
		s.expect("", fieldRecording, recording)
	}
}

// applyAnswer copies the one changed field of an R6 answer into the model
// and, if that changed it, protects the field from older notifications.
func (s *Session) applyAnswer(w *writeCmd) {
	p, pt := w.part, w.patch
	var f field
	var v any
	switch {
	case pt.Name != nil:
		f, v = fieldName, p.Name
	case pt.Priority != nil:
		f, v = fieldPriority, p.Priority
	case pt.Language != nil:
		f, v = fieldLanguage, p.Language
	case pt.Role != nil:
		f, v = fieldRole, p.Role
	default:
		return
	}

	if me := s.a.model.Me(); me.ID == w.id {
		nm := me
		setField(&nm.Name, &nm.Priority, &nm.Language, &nm.Role, f, p)
		if nm != me {
			s.setMe(me, nm)
			s.expect(w.id, f, v)
		}
		return
	}

	old, ok := s.a.model.Participant(w.id)
	if !ok {
		return
	}
	np := old
	setField(&np.Name, &np.Priority, &np.Language, &np.Role, f, p)
	if np != old {
		s.setParticipant(old, np)
		s.expect(w.id, f, v)
	}
}

// setField copies field f of p into the given destinations.
func setField(name *string, priority *float64, language *transport.Language, role *transport.Role,
	f field, p transport.Participant,
) {
	switch f {
	case fieldName:
		*name = p.Name
	case fieldPriority:
		*priority = p.Priority
	case fieldLanguage:
		*language = p.Language
	case fieldRole:
		*role = p.Role
	}
}

// SetConferenceName renames the conference (moderators only). When it
// returns nil the model has the new name.
func (s *Session) SetConferenceName(ctx context.Context, name string) error {
	return s.write(ctx, &writeCmd{kind: writeRename, name: name})
}

// StartRecording starts recording the conference (moderators only).
func (s *Session) StartRecording(ctx context.Context) error {
	return s.write(ctx, &writeCmd{kind: writeRecordingStart})
}

// StopRecording stops recording the conference (moderators only).
func (s *Session) StopRecording(ctx context.Context) error {
	return s.write(ctx, &writeCmd{kind: writeRecordingStop})
}

// DownloadRecording opens the conference's recording (moderators only).
// The token goes in the Authorization header, never in the URL. The caller
// must close the stream; ctx bounds the whole download, and the stream
// stays readable after the session is closed.
func (s *Session) DownloadRecording(ctx context.Context) (io.ReadCloser, error) {
	select {
	case <-s.done:
		return nil, s.closedErr()
	default:
	}

	return s.rest.Recording(ctx)
}

// SetName renames the participant id, which may be the local participant
// (anyone may rename themselves; renaming others is for moderators).
func (s *Session) SetName(ctx context.Context, id, name string) error {
	return s.patchParticipant(ctx, id, transport.ParticipantPatch{Name: &name})
}

// SetPriority sets the layout priority of the participant id (moderators
// only). The priority must be a finite number.
func (s *Session) SetPriority(ctx context.Context, id string, priority float64) error {
	if math.IsNaN(priority) || math.IsInf(priority, 0) {
		return fmt.Errorf("%w: priority must be finite", ErrInvalidValue)
	}
	return s.patchParticipant(ctx, id, transport.ParticipantPatch{Priority: &priority})
}

// SetLanguage sets the language of the participant id (moderators only).
func (s *Session) SetLanguage(ctx context.Context, id string, language conference.Language) error {
	if !language.Valid() {
		return fmt.Errorf("%w: language %q", ErrInvalidValue, language)
	}
	return s.patchParticipant(ctx, id, transport.ParticipantPatch{Language: &language})
}

// SetRole sets the role of the participant id (moderators only).
func (s *Session) SetRole(ctx context.Context, id string, role conference.Role) error {
	if !role.Valid() {
		return fmt.Errorf("%w: role %q", ErrInvalidValue, role)
	}
	return s.patchParticipant(ctx, id, transport.ParticipantPatch{Role: &role})
}

// SetMyName renames the local participant.
func (s *Session) SetMyName(ctx context.Context, name string) error {
	return s.SetName(ctx, s.Conference().Me().ID, name)
}

// SetMyPriority sets the local participant's priority (moderators only).
func (s *Session) SetMyPriority(ctx context.Context, priority float64) error {
	return s.SetPriority(ctx, s.Conference().Me().ID, priority)
}

// SetMyLanguage sets the local participant's language (moderators only).
func (s *Session) SetMyLanguage(ctx context.Context, language conference.Language) error {
	return s.SetLanguage(ctx, s.Conference().Me().ID, language)
}

// SetMyRole sets the local participant's role (moderators only).
func (s *Session) SetMyRole(ctx context.Context, role conference.Role) error {
	return s.SetRole(ctx, s.Conference().Me().ID, role)
}

func (s *Session) patchParticipant(ctx context.Context, id string, patch transport.ParticipantPatch) error {
	if !transport.IsUUID(id) {
		return fmt.Errorf("%w: participant id is not a lowercase UUID", ErrInvalidValue)
	}
	return s.write(ctx, &writeCmd{kind: writeParticipant, id: id, patch: patch})
}

// SendMessageToApplication sends text to the server part of the
// application only.
func (s *Session) SendMessageToApplication(ctx context.Context, text string) error {
	return s.send(ctx, s.uri.ApplicationID, text)
}

// SendMessageToParticipant sends text to the participant id only.
func (s *Session) SendMessageToParticipant(ctx context.Context, id, text string) error {
	if !transport.IsUUID(id) {
		return fmt.Errorf("%w: participant id is not a lowercase UUID", ErrInvalidValue)
	}
	return s.send(ctx, id, text)
}

// SendMessageToAll sends text to the application and every participant.
func (s *Session) SendMessageToAll(ctx context.Context, text string) error {
	return s.send(ctx, s.uri.ConferenceID, text)
}

func (s *Session) send(ctx context.Context, to, text string) error {
	msg := transport.MessageRequest{SendTo: to, Text: text, Persistent: false}
	return s.write(ctx, &writeCmd{kind: writeMessage, msg: msg})
}
