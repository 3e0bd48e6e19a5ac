package conference_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/conference"
	"github.com/mindsdk/mindgo/transport"
)

const (
	app   = "0c7a8f2e-1b3d-4e5f-9a6b-7c8d9e0f1a2b"
	meID  = "a1b2c3d4-0000-4000-8000-000000000001"
	bobID = "a1b2c3d4-0000-4000-8000-000000000002"
	carol = "a1b2c3d4-0000-4000-8000-000000000003"
	dave  = "a1b2c3d4-0000-4000-8000-000000000004"
)

func snapshot() transport.Conference {
	return transport.Conference{
		ID: "5f4e3d2c-1b0a-4987-8654-3210fedcba98", Name: "Planning", Layout: transport.LayoutMosaic,
		Recording: transport.Recording{Started: true},
		Participants: []transport.Participant{
			{ID: meID, Name: "Alice", Priority: 2, Language: "en", Role: transport.RoleModerator, Online: true},
			{ID: bobID, Name: "Bob", Priority: 1, Language: "de", Role: transport.RoleSpeaker, Online: true,
				Media: transport.MediaFlags{Audio: true}},
			{ID: carol, Name: "Carol", Online: false},
			{ID: dave, Name: "Dave", Online: true},
			{ID: meID, Name: "Alice again", Online: true},
		},
	}
}

func TestNewKeepsOnlineRemotesAndLeavesMeOut(t *testing.T) {
	t.Parallel()

	c := conference.New(app, snapshot())

	assert.Equal(t, "Planning", c.Name())
	assert.Equal(t, app, c.ApplicationID())
	assert.True(t, c.Recording())
	assert.Equal(t, transport.LayoutMosaic, c.Layout())
	assert.Equal(t, conference.Me{ID: meID, Name: "Alice", Priority: 2, Language: "en", Role: "moderator"}, c.Me())

	require.Equal(t, 2, c.Len())
	ps := c.Participants()
	assert.Equal(t, []string{bobID, dave}, []string{ps[0].ID, ps[1].ID})
	_, found := c.Participant(meID)
	assert.False(t, found, "Me must not be in the remote index (Q4)")
	_, found = c.Participant(carol)
	assert.False(t, found, "offline participants are not in the model")
	bob, found := c.Participant(bobID)
	require.True(t, found)
	assert.True(t, bob.Media.Audio)
}

func TestWithMethodsCopy(t *testing.T) {
	t.Parallel()

	c := conference.New(app, snapshot())
	renamed := c.WithName("Other").WithRecording(false)
	assert.Equal(t, "Planning", c.Name())
	assert.True(t, c.Recording())
	assert.Equal(t, "Other", renamed.Name())
	assert.False(t, renamed.Recording())

	bob, _ := c.Participant(bobID)
	bob.Name = "Bobby"
	changed := c.WithParticipant(bob)
	old, _ := c.Participant(bobID)
	now, _ := changed.Participant(bobID)
	assert.Equal(t, "Bob", old.Name)
	assert.Equal(t, "Bobby", now.Name)
	assert.Equal(t, 2, changed.Len())

	joined := changed.WithParticipant(conference.Participant{ID: carol, Name: "Carol"})
	assert.Equal(t, 3, joined.Len())
	assert.Equal(t, 2, changed.Len())
	assert.Equal(t, carol, joined.Participants()[2].ID, "joins go to the end")

	same := joined.WithParticipant(conference.Participant{ID: meID, Name: "x"})
	assert.Same(t, joined, same, "Me is never added as a remote participant")

	left, ok := joined.Without(bobID)
	require.True(t, ok)
	assert.Equal(t, 2, left.Len())
	_, found := left.Participant(bobID)
	assert.False(t, found)
	p, found := left.Participant(carol)
	require.True(t, found, "index must follow the shifted positions")
	assert.Equal(t, "Carol", p.Name)

	again, ok := left.Without(bobID)
	assert.False(t, ok)
	assert.Same(t, left, again)

	me := left.WithMe(conference.Me{ID: meID, Name: "Al"})
	assert.Equal(t, "Al", me.Me().Name)
	assert.Equal(t, "Alice", left.Me().Name)

	var names []string
	for p := range left.All() {
		names = append(names, p.Name)
	}
	assert.Equal(t, []string{"Dave", "Carol"}, names)
}

func TestZeroAndEmpty(t *testing.T) {
	t.Parallel()

	c := conference.New(app, transport.Conference{ID: "x"})
	assert.Equal(t, 0, c.Len())
	_, ok := c.Participant(bobID)
	assert.False(t, ok)
	assert.Equal(t, 1, c.WithParticipant(conference.Participant{ID: bobID}).Len())
}
