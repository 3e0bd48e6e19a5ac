package event_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mindsdk/mindgo/event"
)

// recorder records the method each event reaches. It embeds Base only so
// that it keeps compiling when kinds are added; every kind listed in all
// is overridden below.
type recorder struct {
	event.Base
	got []string
}

func (r *recorder) add(m string, e any) { r.got = append(r.got, m+":"+fmt.Sprintf("%T", e)) }

func (r *recorder) OnStateChanged(e event.StateChanged)                   { r.add("State", e) }
func (r *recorder) OnConferenceNameChanged(e event.ConferenceNameChanged) { r.add("ConfName", e) }
func (r *recorder) OnRecordingStarted(e event.RecordingStarted)           { r.add("RecStart", e) }
func (r *recorder) OnRecordingStopped(e event.RecordingStopped)           { r.add("RecStop", e) }
func (r *recorder) OnConferenceEnded(e event.ConferenceEnded)             { r.add("Ended", e) }
func (r *recorder) OnParticipantJoined(e event.ParticipantJoined)         { r.add("Joined", e) }
func (r *recorder) OnParticipantExited(e event.ParticipantExited)         { r.add("Exited", e) }
func (r *recorder) OnParticipantNameChanged(e event.ParticipantNameChanged) {
	r.add("PName", e)
}
func (r *recorder) OnParticipantPriorityChanged(e event.ParticipantPriorityChanged) {
	r.add("PPriority", e)
}
func (r *recorder) OnParticipantLanguageChanged(e event.ParticipantLanguageChanged) {
	r.add("PLanguage", e)
}
func (r *recorder) OnParticipantRoleChanged(e event.ParticipantRoleChanged) { r.add("PRole", e) }
func (r *recorder) OnParticipantMediaChanged(e event.ParticipantMediaChanged) {
	r.add("PMedia", e)
}
func (r *recorder) OnParticipantSecondaryMediaChanged(e event.ParticipantSecondaryMediaChanged) {
	r.add("PSecondary", e)
}
func (r *recorder) OnMeExpelled(e event.MeExpelled)               { r.add("Expelled", e) }
func (r *recorder) OnMeNameChanged(e event.MeNameChanged)         { r.add("MeName", e) }
func (r *recorder) OnMePriorityChanged(e event.MePriorityChanged) { r.add("MePriority", e) }
func (r *recorder) OnMeLanguageChanged(e event.MeLanguageChanged) { r.add("MeLanguage", e) }
func (r *recorder) OnMeRoleChanged(e event.MeRoleChanged)         { r.add("MeRole", e) }
func (r *recorder) OnMessageFromApplication(e event.MessageFromApplication) {
	r.add("AppMsg", e)
}
func (r *recorder) OnMessageFromParticipant(e event.MessageFromParticipant) {
	r.add("PMsg", e)
}
func (r *recorder) OnClosed(e event.Closed) { r.add("Closed", e) }

var all = []event.Event{
	event.StateChanged{}, event.ConferenceNameChanged{}, event.RecordingStarted{},
	event.RecordingStopped{}, event.ConferenceEnded{}, event.ParticipantJoined{},
	event.ParticipantExited{}, event.ParticipantNameChanged{}, event.ParticipantPriorityChanged{},
	event.ParticipantLanguageChanged{}, event.ParticipantRoleChanged{}, event.ParticipantMediaChanged{},
	event.ParticipantSecondaryMediaChanged{}, event.MeExpelled{}, event.MeNameChanged{},
	event.MePriorityChanged{}, event.MeLanguageChanged{}, event.MeRoleChanged{},
	event.MessageFromApplication{}, event.MessageFromParticipant{}, event.Closed{Reason: errors.New("x")},
}

func TestDispatchReachesTheMatchingMethod(t *testing.T) {
	t.Parallel()

	var r recorder
	for _, e := range all {
		e.Dispatch(&r)
	}

	assert.Len(t, r.got, len(all))
	seen := map[string]bool{}
	for i, g := range r.got {
		method, typ, _ := strings.Cut(g, ":")
		assert.Equal(t, fmt.Sprintf("%T", all[i]), typ)
		assert.False(t, seen[method], "two kinds reached %s", method)
		seen[method] = true
	}
}

// onlyClosed overrides one method and inherits the rest from Base.
type onlyClosed struct {
	event.Base
	closed int
}

func (o *onlyClosed) OnClosed(event.Closed) { o.closed++ }

func TestBaseIgnoresEverythingAndRunKeepsOrder(t *testing.T) {
	t.Parallel()

	ch := make(chan event.Event, len(all))
	for _, e := range all {
		ch <- e
	}
	close(ch)
	var o onlyClosed
	event.Run(ch, &o)
	assert.Equal(t, 1, o.closed)

	var r recorder
	ch2 := make(chan event.Event, 3)
	ch2 <- event.ParticipantJoined{}
	ch2 <- event.StateChanged{}
	ch2 <- event.Closed{}
	close(ch2)
	event.Run(ch2, &r)
	assert.Equal(t, []string{
		"Joined:event.ParticipantJoined", "State:event.StateChanged", "Closed:event.Closed",
	}, r.got)
}
