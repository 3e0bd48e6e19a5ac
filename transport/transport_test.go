package transport_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/transport"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "wire", name))
	require.NoError(t, err)
	return b
}

// roundTrip encodes v, decodes it with decode and checks the result equals v.
func roundTrip[T any](t *testing.T, v T, decode func([]byte) (T, error)) {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	got, err := decode(b)
	require.NoError(t, err)
	assert.True(t, reflect.DeepEqual(v, got), "round trip changed the value:\nwant %+v\ngot  %+v", v, got)
}

func TestDecodeConferenceFixture(t *testing.T) {
	c, err := transport.DecodeConference(readFixture(t, "conference-detailed.json"))
	require.NoError(t, err)
	assert.Equal(t, "5f4e3d2c-1b0a-4987-8654-3210fedcba98", c.ID)
	assert.Equal(t, transport.LayoutPresentingMosaic, c.Layout)
	assert.False(t, c.Recording.Started)
	require.Len(t, c.Participants, 4)
	assert.Equal(t, "Alice", c.Participants[0].Name)
	assert.Equal(t, transport.RoleModerator, c.Participants[0].Role)
	assert.InDelta(t, 1.5, c.Participants[1].Priority, 0)
	assert.Equal(t, transport.MediaFlags{Audio: false, Video: true}, c.Participants[1].SecondaryMedia)
	assert.Equal(t, transport.Language(""), c.Participants[2].Language, "null language decodes as empty")
	assert.False(t, c.Participants[2].Online)
	assert.Equal(t, transport.Language(""), c.Participants[3].Language, "missing language decodes as empty")
	assert.False(t, c.Participants[3].Language.Valid())
	roundTrip(t, c, transport.DecodeConference)
}

func TestDecodeParticipantFixtures(t *testing.T) {
	p, err := transport.DecodeParticipant(readFixture(t, "participant.json"))
	require.NoError(t, err)
	assert.Equal(t, transport.Participant{
		ID: "a1b2c3d4-0000-4000-8000-000000000002", Name: "Bob", Priority: 1.5,
		Language: transport.LanguageGerman, Role: transport.RolePresenter, Online: true,
		Media: transport.MediaFlags{Audio: true, Video: true}, SecondaryMedia: transport.MediaFlags{Video: true},
	}, p)
	roundTrip(t, p, transport.DecodeParticipant)

	u, err := transport.DecodeParticipant(readFixture(t, "participant-unknown-language.json"))
	require.NoError(t, err, "an unknown language is kept, not rejected")
	assert.Equal(t, transport.Language("eo"), u.Language)
	assert.False(t, u.Language.Valid())
}

func TestDecodeMessageFixture(t *testing.T) {
	m, err := transport.DecodeMessage(readFixture(t, "message.json"))
	require.NoError(t, err)
	assert.Equal(t, "Hi all", m.Text)
	assert.Equal(t, "a1b2c3d4-0000-4000-8000-000000000002", m.SentBy)
	roundTrip(t, m, transport.DecodeMessage)
}

func TestDecodeNotificationFixtures(t *testing.T) {
	cases := []struct {
		file     string
		typ      transport.NotificationType
		kind     transport.LocationKind
		id       string
		resource bool
	}{
		{"notification-participant-updated.json", transport.Updated, transport.LocationIsParticipant, "a1b2c3d4-0000-4000-8000-000000000002", true},
		{"notification-conference-updated.json", transport.Updated, transport.LocationIsConference, "", true},
		{"notification-message-created.json", transport.Created, transport.LocationIsMessage, "9e8d7c6b-0000-4000-8000-00000000abcd", true},
		{"notification-participant-deleted.json", transport.Deleted, transport.LocationIsParticipant, "a1b2c3d4-0000-4000-8000-000000000003", false},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			n, err := transport.DecodeNotification(readFixture(t, tc.file))
			require.NoError(t, err)
			assert.Equal(t, tc.typ, n.Type)
			kind, id := transport.ParseLocation(n.Location)
			assert.Equal(t, tc.kind, kind)
			assert.Equal(t, tc.id, id)
			assert.Equal(t, tc.resource, len(n.Resource) > 0)
			if len(n.Resource) > 0 {
				var compact bytes.Buffer
				require.NoError(t, json.Compact(&compact, n.Resource))
				n.Resource = compact.Bytes()
			}
			roundTrip(t, n, transport.DecodeNotification)
		})
	}
}

func TestNotificationResourceDecodes(t *testing.T) {
	n, err := transport.DecodeNotification(readFixture(t, "notification-participant-updated.json"))
	require.NoError(t, err)
	p, err := transport.DecodeParticipant(n.Resource)
	require.NoError(t, err)
	assert.Equal(t, "Bobby", p.Name)

	built, err := transport.NewNotification(transport.Updated, transport.ParticipantLocation(p.ID), p)
	require.NoError(t, err)
	again, err := transport.DecodeParticipant(built.Resource)
	require.NoError(t, err)
	assert.Equal(t, p, again)
}

func TestDecodeNotificationRejectsGarbage(t *testing.T) {
	for name, in := range map[string]string{
		"empty":          ``,
		"not json":       `hello`,
		"array":          `[1,2]`,
		"no type":        `{"location":"/"}`,
		"no location":    `{"type":"updated"}`,
		"wrong type":     `{"type":5,"location":"/"}`,
		"truncated":      `{"type":"updated","location":"/","resource":{`,
		"null":           `null`,
		"number string":  `4002`,
		"resource wrong": `{"type":"updated","location":"/","resource":`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := transport.DecodeNotification([]byte(in))
			require.Error(t, err)
			assert.True(t, errors.Is(err, transport.ErrMalformedMessage))
		})
	}
}

func TestUnknownNotificationTypeIsKept(t *testing.T) {
	n, err := transport.DecodeNotification([]byte(`{"type":"moved","location":"/x"}`))
	require.NoError(t, err)
	assert.False(t, n.Type.Valid())
	kind, _ := transport.ParseLocation(n.Location)
	assert.Equal(t, transport.LocationUnknown, kind)
}

func TestParseChannelMessage(t *testing.T) {
	m, err := transport.ParseChannelMessage([]byte("4000"))
	require.NoError(t, err)
	assert.Equal(t, transport.CloseConferenceEnded, m.CloseCode)
	m, err = transport.ParseChannelMessage([]byte("4001"))
	require.NoError(t, err)
	assert.Equal(t, transport.CloseExpelled, m.CloseCode)
	m, err = transport.ParseChannelMessage(readFixture(t, "notification-conference-updated.json"))
	require.NoError(t, err)
	assert.Zero(t, m.CloseCode)
	assert.Equal(t, transport.LocationConference, m.Notification.Location)
	_, err = transport.ParseChannelMessage([]byte(" 4000"))
	assert.ErrorIs(t, err, transport.ErrMalformedMessage)
}

func TestParseLocation(t *testing.T) {
	cases := []struct {
		loc  string
		kind transport.LocationKind
		id   string
	}{
		{"/", transport.LocationIsConference, ""},
		{"/participants/me", transport.LocationIsParticipant, "me"},
		{"/participants/abc", transport.LocationIsParticipant, "abc"},
		{"/participants/", transport.LocationUnknown, ""},
		{"/participants/a/b", transport.LocationUnknown, ""},
		{"/messages/m1", transport.LocationIsMessage, "m1"},
		{"/messages/", transport.LocationUnknown, ""},
		{"/recording", transport.LocationUnknown, ""},
		{"", transport.LocationUnknown, ""},
	}
	for _, tc := range cases {
		kind, id := transport.ParseLocation(tc.loc)
		assert.Equal(t, tc.kind, kind, tc.loc)
		assert.Equal(t, tc.id, id, tc.loc)
	}
}

func TestEnums(t *testing.T) {
	for _, r := range transport.Roles {
		got, err := transport.ParseRole(r.String())
		require.NoError(t, err)
		assert.Equal(t, r, got)
	}
	assert.Len(t, transport.Languages, 17)
	for _, l := range transport.Languages {
		got, err := transport.ParseLanguage(l.String())
		require.NoError(t, err)
		assert.Equal(t, l, got)
	}
	for _, l := range transport.Layouts {
		got, err := transport.ParseLayout(l.String())
		require.NoError(t, err)
		assert.Equal(t, l, got)
	}
	for _, bad := range []string{"", "Moderator", "admin", " attendee"} {
		_, err := transport.ParseRole(bad)
		assert.ErrorIs(t, err, transport.ErrInvalidValue, bad)
	}
	for _, bad := range []string{"", "EN", "eng", "xx"} {
		_, err := transport.ParseLanguage(bad)
		assert.ErrorIs(t, err, transport.ErrInvalidValue, bad)
	}
	for _, bad := range []string{"", "grid", "Mosaic"} {
		_, err := transport.ParseLayout(bad)
		assert.ErrorIs(t, err, transport.ErrInvalidValue, bad)
	}
	states := map[transport.SessionState]string{
		transport.StateNormal: "normal", transport.StateLagging: "lagging",
		transport.StateFailed: "failed", transport.StateClosed: "closed", 0: "unknown", 42: "unknown",
	}
	for s, want := range states {
		assert.Equal(t, want, s.String())
		assert.Equal(t, want != "unknown", s.Valid())
	}
}

func TestParticipantsFieldPresence(t *testing.T) {
	b, err := json.Marshal(transport.Conference{ID: "c"})
	require.NoError(t, err)
	assert.NotContains(t, string(b), "participants", "nil participants are omitted")
	b, err = json.Marshal(transport.Conference{ID: "c", Participants: []transport.Participant{}})
	require.NoError(t, err)
	assert.Contains(t, string(b), `"participants":[]`, "an empty list is kept")
}
