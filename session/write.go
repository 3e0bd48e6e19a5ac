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
	// hold bounds the wait for the notification once the answer is in.
	hold *time.Timer
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

// defaultHoldTimeout bounds how long a write waits for the notification
// of its change after the server's answer.
const defaultHoldTimeout = 5 * time.Second

// finishWrite handles the server's answer to a write. A failed write never
// ends the session: a 404 here says that the target does not exist (quirk
// Q1 fixed).
//
// The answer and the notification of the same change travel on different
// connections, and notifications of earlier changes may still be on their
// way when the answer arrives. Applying the answer at once would let those
// older notifications put old values back, so, while the notification
// channel is up, the write is held until the notification carrying its
// value has been applied: the model then follows the server's order, each
// change fires its event exactly once (Q6), and the caller still sees its
// change in the model when the call returns. Without a healthy channel, or
// if that notification does not come within a few seconds, the answer itself
// is applied.
func (s *Session) finishWrite(w *writeCmd) {
	s.a.inflight = remove(s.a.inflight, w)
	if w.err != nil {
		w.reply <- w.err
		return
	}

	switch {
	case w.seen || !s.answerChanges(w):
		s.a.replies = append(s.a.replies, w)
	case s.a.carrier != nil && s.a.state == transport.StateNormal && !s.a.reloading:
		s.a.held = append(s.a.held, w)
		w.hold = time.AfterFunc(s.opts.holdTimeout, func() { s.box.put(holdExpired{w: w}) })
	default:
		s.applyAnswer(w)
		s.a.replies = append(s.a.replies, w)
	}
}

// markSeen records that a notification brought the value of these writes
// into the model: pending ones need not apply their answer, held ones are
// complete once the step is published.
func (s *Session) markSeen(match func(*writeCmd) bool) {
	for _, w := range s.a.inflight {
		if match(w) {
			w.seen = true
		}
	}
	for i := 0; i < len(s.a.held); i++ {
		if w := s.a.held[i]; match(w) {
			w.hold.Stop()
			s.a.held = append(s.a.held[:i], s.a.held[i+1:]...)
			s.a.replies = append(s.a.replies, w)
			i--
		}
	}
}

// releaseHeld applies the answer of a held write whose notification did
// not come in time.
func (s *Session) releaseHeld(w *writeCmd) {
	if !slices.Contains(s.a.held, w) {
		return
	}
	s.a.held = remove(s.a.held, w)
	s.log.Debug("no notification for a confirmed change; applying the answer")
	s.applyAnswer(w)
	s.a.replies = append(s.a.replies, w)
}

// releaseAllHeld applies the answers of every held write.
func (s *Session) releaseAllHeld() {
	held := s.a.held
	s.a.held = nil
	for _, w := range held {
		w.hold.Stop()
		s.applyAnswer(w)
		s.a.replies = append(s.a.replies, w)
	}
}

func remove(ws []*writeCmd, w *writeCmd) []*writeCmd {
	if i := slices.Index(ws, w); i >= 0 {
		return slices.Delete(ws, i, i+1)
	}
	return ws
}

// answerChanges reports whether applying the answer of w would change the
// model.
func (s *Session) answerChanges(w *writeCmd) bool {
	m := s.a.model
	switch w.kind {
	case writeRename:
		return w.conf.Name != m.Name()
	case writeRecordingStart:
		return !m.Recording()
	case writeRecordingStop:
		return m.Recording()
	case writeParticipant:
		return s.answered(w) != nil
	default:
		return false
	}
}

// answered returns the function that applies the one changed field of an
// R6 answer, or nil when the target is unknown or already has that value.
func (s *Session) answered(w *writeCmd) func() {
	p, pt := w.part, w.patch
	set := func(name *string, priority *float64, language *transport.Language, role *transport.Role) {
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
		if nm == me {
			return nil
		}
		return func() { s.setMe(me, nm) }
	}

	old, ok := s.a.model.Participant(w.id)
	if !ok {
		return nil
	}
	np := old
	set(&np.Name, &np.Priority, &np.Language, &np.Role)
	if np == old {
		return nil
	}

	return func() { s.setParticipant(old, np) }
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
		if apply := s.answered(w); apply != nil {
			apply()
		}
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
