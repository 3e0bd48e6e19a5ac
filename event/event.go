package event

import (
	"github.com/mindsdk/mindgo/conference"
	"github.com/mindsdk/mindgo/transport"
)

// Event is one thing that happened to a session. The set of events is
// closed: every implementation is one of the struct types of this package,
// so a type switch over them can be exhaustive.
type Event interface {
	// Dispatch calls the method of l that handles this kind of event.
	Dispatch(l Listener)

	event()
}

// StateChanged reports a change of the session state (normal, lagging,
// failed). The end of a session is reported by [Closed] instead.
type StateChanged struct {
	// State is the new state.
	State transport.SessionState
	// Previous is the state before the change.
	Previous transport.SessionState
}

// ConferenceNameChanged reports a new conference name.
type ConferenceNameChanged struct {
	// Conference is the model right after the change.
	Conference *conference.Conference
}

// RecordingStarted reports that the conference started being recorded.
type RecordingStarted struct {
	// Conference is the model right after the change.
	Conference *conference.Conference
}

// RecordingStopped reports that the conference stopped being recorded.
type RecordingStopped struct {
	// Conference is the model right after the change.
	Conference *conference.Conference
}

// ConferenceEnded reports that the application ended the conference. The
// session is already closed when it is delivered; [Closed] follows.
type ConferenceEnded struct {
	// Conference is the last model of the conference.
	Conference *conference.Conference
}

// ParticipantJoined reports a remote participant that came online.
type ParticipantJoined struct {
	// Participant is the participant as it joined.
	Participant conference.Participant
}

// ParticipantExited reports a remote participant that went offline or was
// removed from the conference.
type ParticipantExited struct {
	// Participant is the participant as last known.
	Participant conference.Participant
}

// ParticipantNameChanged reports a remote participant's new name.
type ParticipantNameChanged struct {
	// Participant is the participant after the change.
	Participant conference.Participant
}

// ParticipantPriorityChanged reports a remote participant's new priority.
type ParticipantPriorityChanged struct {
	// Participant is the participant after the change.
	Participant conference.Participant
}

// ParticipantLanguageChanged reports a remote participant's new language.
type ParticipantLanguageChanged struct {
	// Participant is the participant after the change.
	Participant conference.Participant
}

// ParticipantRoleChanged reports a remote participant's new role.
type ParticipantRoleChanged struct {
	// Participant is the participant after the change.
	Participant conference.Participant
}

// ParticipantMediaChanged reports that a remote participant started or
// stopped sending audio or video on its primary stream. One event covers a
// change of both flags.
type ParticipantMediaChanged struct {
	// Participant is the participant after the change.
	Participant conference.Participant
}

// ParticipantSecondaryMediaChanged is [ParticipantMediaChanged] for the
// secondary stream.
type ParticipantSecondaryMediaChanged struct {
	// Participant is the participant after the change.
	Participant conference.Participant
}

// MeExpelled reports that the local participant was removed from the
// conference. The session is already closed when it is delivered; [Closed]
// follows.
type MeExpelled struct {
	// Me is the local participant as last known.
	Me conference.Me
}

// MeNameChanged reports a new name of the local participant.
type MeNameChanged struct {
	// Me is the local participant after the change.
	Me conference.Me
}

// MePriorityChanged reports a new priority of the local participant.
type MePriorityChanged struct {
	// Me is the local participant after the change.
	Me conference.Me
}

// MeLanguageChanged reports a new language of the local participant.
type MeLanguageChanged struct {
	// Me is the local participant after the change.
	Me conference.Me
}

// MeRoleChanged reports a new role of the local participant.
type MeRoleChanged struct {
	// Me is the local participant after the change.
	Me conference.Me
}

// MessageFromApplication is a text message that the server part of the
// application sent to the local participant (or to everyone).
type MessageFromApplication struct {
	// Me is the local participant when the message arrived.
	Me conference.Me
	// Text is the message text.
	Text string
}

// MessageFromParticipant is a text message sent by a participant.
type MessageFromParticipant struct {
	// Me is the local participant when the message arrived.
	Me conference.Me
	// Text is the message text.
	Text string
	// SenderID is the ID of the sending participant, always set. It is
	// Me.ID when the server echoes a message of the local participant.
	SenderID string
	// Participant is the sender if it is an online remote participant, and
	// nil otherwise (the sender left, or is not known to this session).
	Participant *conference.Participant
}

// Closed is the last event of every subscription. Reason says why it ended:
// the session was closed by its owner, the conference ended, the local
// participant was expelled, or the subscriber fell too far behind (see
// session.ErrOverflow). Use errors.Is on Reason.
type Closed struct {
	// Reason is why the subscription ended; never nil.
	Reason error
}

func (StateChanged) event()                     {}
func (ConferenceNameChanged) event()            {}
func (RecordingStarted) event()                 {}
func (RecordingStopped) event()                 {}
func (ConferenceEnded) event()                  {}
func (ParticipantJoined) event()                {}
func (ParticipantExited) event()                {}
func (ParticipantNameChanged) event()           {}
func (ParticipantPriorityChanged) event()       {}
func (ParticipantLanguageChanged) event()       {}
func (ParticipantRoleChanged) event()           {}
func (ParticipantMediaChanged) event()          {}
func (ParticipantSecondaryMediaChanged) event() {}
func (MeExpelled) event()                       {}
func (MeNameChanged) event()                    {}
func (MePriorityChanged) event()                {}
func (MeLanguageChanged) event()                {}
func (MeRoleChanged) event()                    {}
func (MessageFromApplication) event()           {}
func (MessageFromParticipant) event()           {}
func (Closed) event()                           {}
