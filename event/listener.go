package event

// Listener receives the events of a session, one method per kind. Embed
// [Base] to implement only the methods you need.
//
// A session calls a listener from one goroutine, one event at a time, in
// the order the events happened (see [Run]); methods may call any method
// of the session, Close included.
type Listener interface {
	OnStateChanged(StateChanged)
	OnConferenceNameChanged(ConferenceNameChanged)
	OnRecordingStarted(RecordingStarted)
	OnRecordingStopped(RecordingStopped)
	OnConferenceEnded(ConferenceEnded)
	OnParticipantJoined(ParticipantJoined)
	OnParticipantExited(ParticipantExited)
	OnParticipantNameChanged(ParticipantNameChanged)
	OnParticipantPriorityChanged(ParticipantPriorityChanged)
	OnParticipantLanguageChanged(ParticipantLanguageChanged)
	OnParticipantRoleChanged(ParticipantRoleChanged)
	OnParticipantMediaChanged(ParticipantMediaChanged)
	OnParticipantSecondaryMediaChanged(ParticipantSecondaryMediaChanged)
	OnMeExpelled(MeExpelled)
	OnMeNameChanged(MeNameChanged)
	OnMePriorityChanged(MePriorityChanged)
	OnMeLanguageChanged(MeLanguageChanged)
	OnMeRoleChanged(MeRoleChanged)
	OnMessageFromApplication(MessageFromApplication)
	OnMessageFromParticipant(MessageFromParticipant)
	OnStatisticsUpdated(StatisticsUpdated)
	OnClosed(Closed)
}

// Base implements every method of [Listener] by doing nothing. Embed it in
// a listener to override only some methods.
type Base struct{}

// OnStateChanged does nothing.
func (Base) OnStateChanged(StateChanged) {}

// OnConferenceNameChanged does nothing.
func (Base) OnConferenceNameChanged(ConferenceNameChanged) {}

// OnRecordingStarted does nothing.
func (Base) OnRecordingStarted(RecordingStarted) {}

// OnRecordingStopped does nothing.
func (Base) OnRecordingStopped(RecordingStopped) {}

// OnConferenceEnded does nothing.
func (Base) OnConferenceEnded(ConferenceEnded) {}

// OnParticipantJoined does nothing.
func (Base) OnParticipantJoined(ParticipantJoined) {}

// OnParticipantExited does nothing.
func (Base) OnParticipantExited(ParticipantExited) {}

// OnParticipantNameChanged does nothing.
func (Base) OnParticipantNameChanged(ParticipantNameChanged) {}

// OnParticipantPriorityChanged does nothing.
func (Base) OnParticipantPriorityChanged(ParticipantPriorityChanged) {}

// OnParticipantLanguageChanged does nothing.
func (Base) OnParticipantLanguageChanged(ParticipantLanguageChanged) {}

// OnParticipantRoleChanged does nothing.
func (Base) OnParticipantRoleChanged(ParticipantRoleChanged) {}

// OnParticipantMediaChanged does nothing.
func (Base) OnParticipantMediaChanged(ParticipantMediaChanged) {}

// OnParticipantSecondaryMediaChanged does nothing.
func (Base) OnParticipantSecondaryMediaChanged(ParticipantSecondaryMediaChanged) {}

// OnMeExpelled does nothing.
func (Base) OnMeExpelled(MeExpelled) {}

// OnMeNameChanged does nothing.
func (Base) OnMeNameChanged(MeNameChanged) {}

// OnMePriorityChanged does nothing.
func (Base) OnMePriorityChanged(MePriorityChanged) {}

// OnMeLanguageChanged does nothing.
func (Base) OnMeLanguageChanged(MeLanguageChanged) {}

// OnMeRoleChanged does nothing.
func (Base) OnMeRoleChanged(MeRoleChanged) {}

// OnMessageFromApplication does nothing.
func (Base) OnMessageFromApplication(MessageFromApplication) {}

// OnMessageFromParticipant does nothing.
func (Base) OnMessageFromParticipant(MessageFromParticipant) {}

// OnClosed does nothing.
func (Base) OnClosed(Closed) {}

// Dispatch calls l.OnStateChanged.
func (e StateChanged) Dispatch(l Listener) { l.OnStateChanged(e) }

// Dispatch calls l.OnConferenceNameChanged.
func (e ConferenceNameChanged) Dispatch(l Listener) { l.OnConferenceNameChanged(e) }

// Dispatch calls l.OnRecordingStarted.
func (e RecordingStarted) Dispatch(l Listener) { l.OnRecordingStarted(e) }

// Dispatch calls l.OnRecordingStopped.
func (e RecordingStopped) Dispatch(l Listener) { l.OnRecordingStopped(e) }

// Dispatch calls l.OnConferenceEnded.
func (e ConferenceEnded) Dispatch(l Listener) { l.OnConferenceEnded(e) }

// Dispatch calls l.OnParticipantJoined.
func (e ParticipantJoined) Dispatch(l Listener) { l.OnParticipantJoined(e) }

// Dispatch calls l.OnParticipantExited.
func (e ParticipantExited) Dispatch(l Listener) { l.OnParticipantExited(e) }

// Dispatch calls l.OnParticipantNameChanged.
func (e ParticipantNameChanged) Dispatch(l Listener) { l.OnParticipantNameChanged(e) }

// Dispatch calls l.OnParticipantPriorityChanged.
func (e ParticipantPriorityChanged) Dispatch(l Listener) { l.OnParticipantPriorityChanged(e) }

// Dispatch calls l.OnParticipantLanguageChanged.
func (e ParticipantLanguageChanged) Dispatch(l Listener) { l.OnParticipantLanguageChanged(e) }

// Dispatch calls l.OnParticipantRoleChanged.
func (e ParticipantRoleChanged) Dispatch(l Listener) { l.OnParticipantRoleChanged(e) }

// Dispatch calls l.OnParticipantMediaChanged.
func (e ParticipantMediaChanged) Dispatch(l Listener) { l.OnParticipantMediaChanged(e) }

// Dispatch calls l.OnParticipantSecondaryMediaChanged.
func (e ParticipantSecondaryMediaChanged) Dispatch(l Listener) {
	l.OnParticipantSecondaryMediaChanged(e)
}

// Dispatch calls l.OnMeExpelled.
func (e MeExpelled) Dispatch(l Listener) { l.OnMeExpelled(e) }

// Dispatch calls l.OnMeNameChanged.
func (e MeNameChanged) Dispatch(l Listener) { l.OnMeNameChanged(e) }

// Dispatch calls l.OnMePriorityChanged.
func (e MePriorityChanged) Dispatch(l Listener) { l.OnMePriorityChanged(e) }

// Dispatch calls l.OnMeLanguageChanged.
func (e MeLanguageChanged) Dispatch(l Listener) { l.OnMeLanguageChanged(e) }

// Dispatch calls l.OnMeRoleChanged.
func (e MeRoleChanged) Dispatch(l Listener) { l.OnMeRoleChanged(e) }

// Dispatch calls l.OnMessageFromApplication.
func (e MessageFromApplication) Dispatch(l Listener) { l.OnMessageFromApplication(e) }

// Dispatch calls l.OnMessageFromParticipant.
func (e MessageFromParticipant) Dispatch(l Listener) { l.OnMessageFromParticipant(e) }

// Dispatch calls l.OnClosed.
func (e Closed) Dispatch(l Listener) { l.OnClosed(e) }

// Run calls l for every event received from events, in order, until the
// channel is closed. It runs on the caller's goroutine; a session's Listen
// method runs it on a goroutine that the session owns.
func Run(events <-chan Event, l Listener) {
	for e := range events {
		e.Dispatch(l)
	}
}
