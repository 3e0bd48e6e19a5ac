package mindtest

import (
	"context"
	"fmt"
	"slices"

	"github.com/mindsdk/mindgo/transport"
)

// ID returns the conference ID.
func (c *Conference) ID() string { return c.id }

// URI returns the conference URI that participants join:
// URL()+"/"+applicationID+"/"+conferenceID.
func (c *Conference) URI() string { return c.uri }

// CreateParticipant adds a participant as the application does with A5.
// Zero fields take the defaults (role attendee, priority 1, language en).
// Participants of the conference get a created notification.
func (c *Conference) CreateParticipant(req transport.CreateParticipantRequest) (transport.ParticipantWithToken, error) {
	return c.createParticipant(req)
}

// Snapshot returns the conference with every participant, offline ones
// included, in creation order. It works after the conference ended.
func (c *Conference) Snapshot() transport.Conference {
	c.mu.Lock()
	defer c.mu.Unlock()

	dto := c.conferenceDTOLocked()
	dto.Participants = make([]transport.Participant, 0, len(c.order))
	for _, p := range c.order {
		dto.Participants = append(dto.Participants, p.dto)
	}

	return dto
}

// Participant returns the current state of participant id.
func (c *Conference) Participant(id string) (transport.Participant, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()

	p, ok := c.byID[id]
	if !ok {
		return transport.Participant{}, false
	}

	return p.dto, true
}

// Rename changes the conference name as the application.
func (c *Conference) Rename(name string) error {
	_, err := c.rename("", name)
	return err
}

// SetRecording starts or stops the recording as the application.
func (c *Conference) SetRecording(started bool) error {
	_, err := c.setRecording("", started)
	return err
}

// UpdateParticipant changes any subset of a participant's name, priority,
// language and role as the application, and returns the result.
func (c *Conference) UpdateParticipant(id string, patch transport.ParticipantPatch) (transport.Participant, error) {
	return c.updateParticipant("", id, patch)
}

// Expel deletes a participant: it gets close code 4001 and its channels
// close after the grace period; the others get a deleted notification.
func (c *Conference) Expel(id string) error { return c.expel(id) }

// End ends the conference: everyone connected gets close code 4000 and
// every later request on the conference gets 404.
func (c *Conference) End() error { return c.end() }

// SendMessage sends a message as the application to a participant ID or
// to the conference ID (every online participant).
func (c *Conference) SendMessage(sendTo, text string) (transport.Message, error) {
	return c.sendMessage("", transport.MessageRequest{SendTo: sendTo, Text: text})
}

// MessagesToApplication returns the messages the application received
// (sent to its ID or to the whole conference), oldest first.
func (c *Conference) MessagesToApplication() []transport.Message {
	c.mu.Lock()
	defer c.mu.Unlock()

	return slices.Clone(c.toApp)
}

// Notifications returns the texts queued to a participant's notification
// channels so far, in order: notifications, and "4000"/"4001" for close
// codes. Texts sent while it had no channel (open, or a data channel
// still opening) are not included. participantID
// "" gives the application's log. SendRaw texts are not included. The log
// of an expelled participant stays available.
func (c *Conference) Notifications(participantID string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()

	if participantID == "" {
		return slices.Clone(c.appLog)
	}
	if p, ok := c.byID[participantID]; ok {
		return slices.Clone(p.log)
	}
	if p, ok := c.expelled[participantID]; ok {
		return slices.Clone(p.log)
	}

	return nil
}

// Online reports whether a participant has an open notification channel.
func (c *Conference) Online(participantID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()

	p, ok := c.byID[participantID]
	return ok && p.dto.Online
}

// WaitOnline waits until the participant's presence equals online. It
// fails with ErrNotFound if the participant does not exist (or was
// expelled), ErrEnded if the conference ended, or the context's error.
func (c *Conference) WaitOnline(ctx context.Context, participantID string, online bool) error {
	for {
		c.mu.Lock()
		p, ok := c.byID[participantID]
		reached := ok && p.dto.Online == online
		ended := c.ended
		ch := c.changed
		c.mu.Unlock()

		switch {
		case reached:
			return nil
		case ended:
			return ErrEnded
		case !ok:
			return fmt.Errorf("%w: participant", ErrNotFound)
		}

		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("mindtest: waiting for presence: %w", context.Cause(ctx))
		}
	}
}

// DropTransport closes every notification channel of a participant
// abruptly, without a close code, as a network failure would. The
// participant goes offline at once.
func (c *Conference) DropTransport(participantID string) {
	c.mu.Lock()
	p, ok := c.byID[participantID]
	if !ok {
		c.mu.Unlock()
		return
	}
	rs := slices.Concat(p.receivers, p.pending)
	p.receivers, p.pending = nil, nil
	c.goOfflineLocked(p)
	c.mu.Unlock()

	for _, r := range rs {
		r.abort()
	}
	c.srv.media.dropTransport(c, participantID)
}

// SendRaw queues text as is (for example malformed JSON) on every
// notification channel of a participant, in order with its
// notifications. It fails with ErrNotFound or ErrOffline.
func (c *Conference) SendRaw(participantID string, text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()

	p, ok := c.byID[participantID]
	if !ok {
		return fmt.Errorf("%w: participant", ErrNotFound)
	}
	if len(p.receivers) == 0 {
		return ErrOffline
	}
	for _, r := range p.receivers {
		r.send(text)
	}
	for _, r := range p.pending {
		r.send(text)
	}

	return nil
}
