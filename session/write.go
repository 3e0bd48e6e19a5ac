package session

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

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
// request on a goroutine of the session and replies once the server has
// answered and the model agrees with the answer.
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

	// Owned by the actor.
	//
	// seen lists the values the target field of the model has held since
	// the request was sent, the value at that moment included.
	seen []any
	// answer is the value the server answered with; last is the field's
	// value while the write waits for it, and moved says that the field
	// changed to something else meanwhile.
	answer any
	last   any
	moved  bool
	// hold bounds the wait for the model to take the answer.
	hold *time.Timer
}

// field returns the current value of the model field that w changes, and
// false when w changes no field of the model or its target is not in it.
func (s *Session) field(w *writeCmd) (any, bool) {
	m := s.a.model
	switch w.kind {
	case writeRename:
		return m.Name(), true
	case writeRecordingStart, writeRecordingStop:
		return m.Recording(), true
	case writeParticipant:
		var name string
		var priority float64
		var language transport.Language
		var role transport.Role
		if me := m.Me(); me.ID == w.id {
			name, priority, language, role = me.Name, me.Priority, me.Language, me.Role
		} else if p, ok := m.Participant(w.id); ok {
			name, priority, language, role = p.Name, p.Priority, p.Language, p.Role
		} else {
			return nil, false
		}
		return pick(w.patch, name, priority, language, role)
	default:
		return nil, false
	}
}

// answerValue returns the value of the changed field in the server's
// answer to w.
func (w *writeCmd) answerValue() (any, bool) {
	switch w.kind {
	case writeRename:
		return w.conf.Name, true
	case writeRecordingStart:
		return true, true
	case writeRecordingStop:
		return false, true
	case writeParticipant:
		p := w.part
		return pick(w.patch, p.Name, p.Priority, p.Language, p.Role)
	default:
		return nil, false
	}
}

// pick returns the one field a participant patch sets.
func pick(pt transport.ParticipantPatch, name string, priority float64,
	language transport.Language, role transport.Role,
) (any, bool) {
	switch {
	case pt.Name != nil:
		return name, true
	case pt.Priority != nil:
		return priority, true
	case pt.Language != nil:
		return language, true
	case pt.Role != nil:
		return role, true
	default:
		return nil, false
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
	if v, ok := s.field(w); ok {
		w.seen = append(w.seen, v)
	}
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

// defaultHoldTimeout bounds how long a write waits for the model to take
// the value of the server's answer.
const defaultHoldTimeout = 5 * time.Second

// finishWrite handles the server's answer to a write. A failed write never
// ends the session: a 404 here says that the target does not exist (quirk
// Q1 fixed), and nothing of a failed or unreadable answer is applied.
//
// Notifications are what moves the model; the answer only says which value
// the server took. The answer and the notification of the same change
// travel on different connections, in either order, and notifications of
// other changes may overtake the answer or be overtaken by it. So:
//
//   - if the model's field has held the answered value at some point since
//     the request was sent, the write is complete: either its notification
//     was already applied, or the server had nothing to change (such a
//     write gets no notification at all), and anything applied since is
//     newer or will be followed by the write's own notification;
//   - otherwise the notification that brings the value is still on its way,
//     and the write completes when the model takes the value (one event,
//     fired by that notification, Q6), when a reload has reconciled the
//     model with the server, or with ErrClosed when the session ends.
//
// For a server that never notifies, a write still waiting after the hold
// timeout applies its answer, unless the field changed meanwhile (then the
// notifications are trusted and the answer is dropped).
//
// Known shortcoming: the protocol has no sequence numbers, so a write of
// the value the model already shows cannot tell "the server had nothing to
// do" from "an older change is still being notified and this write will
// be notified after it". It completes at once; in the second case the
// model briefly shows the older value until the write's own notification
// arrives. Likewise a write completed by a reload may return just before
// its own notification, when that notification is still in flight on the
// new channel.
func (s *Session) finishWrite(w *writeCmd) {
	s.a.inflight = remove(s.a.inflight, w)
	if w.err != nil {
		w.reply <- w.err
		return
	}

	v, ok := w.answerValue()
	cur, known := s.field(w)
	if !ok || !known || slices.Contains(w.seen, v) {
		s.a.replies = append(s.a.replies, w)
		return
	}
	w.answer, w.last = v, cur
	s.a.waiting = append(s.a.waiting, w)
	w.hold = time.AfterFunc(s.opts.holdTimeout, func() { s.box.put(holdExpired{w: w}) })
}

// track runs after every change of the model: it records the new values in
// the writes in flight and completes the waiting writes whose answer the
// model now shows. A waiting write whose target left the model is complete
// too: there is nothing left to wait for.
func (s *Session) track() {
	for _, w := range s.a.inflight {
		if v, ok := s.field(w); ok && !slices.Contains(w.seen, v) {
			w.seen = append(w.seen, v)
		}
	}
	for i := 0; i < len(s.a.waiting); i++ {
		w := s.a.waiting[i]
		v, ok := s.field(w)
		switch {
		case ok && v == w.last:
			continue
		case ok && v != w.answer:
			w.last, w.moved = v, true
			continue
		}
		w.hold.Stop()
		s.a.waiting = slices.Delete(s.a.waiting, i, i+1)
		s.a.replies = append(s.a.replies, w)
		i--
	}
}

// releaseHeld ends the wait of a write whose value the model did not take
// within the hold timeout.
func (s *Session) releaseHeld(w *writeCmd) {
	if !slices.Contains(s.a.waiting, w) {
		return
	}
	s.a.waiting = remove(s.a.waiting, w)
	s.a.replies = append(s.a.replies, w)
	if w.moved {
		s.log.Debug("no notification brought the answered value, but the field changed since; keeping the model")
		return
	}
	s.log.Debug("no notification brought the answered value; applying the answer")
	s.applyAnswer(w)
}

// completeWaiting completes every waiting write without applying anything:
// a reload has just brought the model in line with the server, which holds
// these writes' values or newer ones.
func (s *Session) completeWaiting() {
	for _, w := range s.a.waiting {
		w.hold.Stop()
		s.a.replies = append(s.a.replies, w)
	}
	clear(s.a.waiting)
	s.a.waiting = s.a.waiting[:0]
}

func remove(ws []*writeCmd, w *writeCmd) []*writeCmd {
	if i := slices.Index(ws, w); i >= 0 {
		return slices.Delete(ws, i, i+1)
	}
	return ws
}

// applyAnswer puts the value of w's answer into the model.
func (s *Session) applyAnswer(w *writeCmd) {
	switch w.kind {
	case writeRename:
		s.updateConference(w.conf.Name, s.a.model.Recording())
	case writeRecordingStart:
		s.updateConference(s.a.model.Name(), true)
	case writeRecordingStop:
		s.updateConference(s.a.model.Name(), false)
	case writeParticipant:
		set := func(name *string, priority *float64, language *transport.Language, role *transport.Role) {
			p, pt := w.part, w.patch
			switch {
			case pt.Name != nil:
				*name = p.Name
			case pt.Priority != nil:
				*priority = p.Priority
			case pt.Language != nil:
				*language = p.Language
			case pt.Role != nil:
				*role = p.Role
			}
		}
		if me := s.a.model.Me(); me.ID == w.id {
			nm := me
			set(&nm.Name, &nm.Priority, &nm.Language, &nm.Role)
			s.setMe(me, nm)
			return
		}
		if old, ok := s.a.model.Participant(w.id); ok {
			np := old
			set(&np.Name, &np.Priority, &np.Language, &np.Role)
			s.setParticipant(old, np)
		}
	}
}

// SetConferenceName renames the conference (moderators only). When it
// returns nil the server has taken the name, and the model has it unless a
// newer change has replaced it since.
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
