package sfu

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var fixtureNames = []string{
	"01-first-offer.sdp",
	"02-publications-inactive.sdp",
	"03-primary-send-simulcast.sdp",
	"04-secondary-send.sdp",
	"05-receive-slots.sdp",
	"06-receive-slots-limits.sdp",
}

func readFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)

	return string(b)
}

func TestParseOfferFixtures(t *testing.T) {
	const remote = "a1b2c3d4-0000-4000-8000-000000000002#primary"
	offers := make([]*Offer, len(fixtureNames))
	for i, name := range fixtureNames {
		o, err := ParseOffer(readFixture(t, name))
		require.NoError(t, err, name)
		require.Equal(t, "2582342211563220696", o.SessionID)
		require.Equal(t, "eXbx", o.ICEUfrag)
		for j, s := range o.Sections {
			require.Equal(t, j, s.Position)
			require.Equal(t, s.Mid, itoa(j))
		}
		offers[i] = o
	}

	require.Len(t, offers[0].Sections, 1)
	require.Equal(t, "application", offers[0].Sections[0].Kind)

	o2 := offers[1]
	require.Len(t, o2.Sections, 5)
	for i := 1; i <= 4; i++ {
		require.Equal(t, Inactive, o2.Sections[i].Direction)
		require.Equal(t, "-", o2.Sections[i].StreamLabel)
		require.Equal(t, itoa(i), o2.Sections[i].TrackID)
	}
	require.Equal(t, []RID{{ID: "l", Send: true, Paused: true}, {ID: "m", Send: true, Paused: true},
		{ID: "h", Send: true}}, o2.Sections[2].Simulcast)

	o3 := offers[2]
	require.Equal(t, SendOnly, o3.Sections[1].Direction)
	require.Equal(t, "me#primary", o3.Sections[1].StreamLabel)
	require.Equal(t, "753dbb8e-d97d-4159-ade7-1b87a23426e4", o3.Sections[1].TrackID)
	require.Equal(t, SendOnly, o3.Sections[2].Direction)
	require.Len(t, o3.Sections[2].RIDs, 3)
	require.Equal(t, []RID{{ID: "l", Send: true}, {ID: "m", Send: true}, {ID: "h", Send: true, Paused: true}},
		o3.Sections[2].Simulcast)
	require.Equal(t, Inactive, o3.Sections[3].Direction)

	o4 := offers[3]
	require.Equal(t, "me#secondary", o4.Sections[4].StreamLabel)
	require.Equal(t, SendOnly, o4.Sections[4].Direction)

	o5 := offers[4]
	require.Len(t, o5.Sections, 9)
	require.Equal(t, RecvOnly, o5.Sections[6].Direction)
	require.Equal(t, remote, o5.Sections[5].StreamLabel)
	require.Equal(t, remote, o5.Sections[6].StreamLabel)
	require.Equal(t, "conference", o5.Sections[7].StreamLabel)
	require.Equal(t, Limits{}, o5.Sections[6].Limits())

	o6 := offers[5]
	require.Equal(t, Limits{MaxBitrate: 500000, MaxFrameArea: 57600, MaxFrameRate: 15}, o6.Sections[6].Limits())
	require.Equal(t, Limits{}, o6.Sections[8].Limits())
}

func itoa(i int) string { return string(rune('0' + i)) }

func TestParseOfferForms(t *testing.T) {
	base := "v=0\no=- 42 1 IN IP4 0.0.0.0\ns=-\nt=0 0\na=ice-ufrag:abc\n" +
		"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\na=mid:0\n" +
		"m=video 9 UDP/TLS/RTP/SAVPF 96\nb=TIAS:300000\na=mid:1\na=msid:p#secondary t1\n" +
		"a=ssrc:1 msid:other x\na=recvonly\na=x-preferences:230400@7.5\n" +
		"a=rid:l send\na=rid:~m send\na=simulcast:send ~l,m;~h recv x\n"
	o, err := ParseOffer(base)
	require.NoError(t, err)
	require.Equal(t, "42", o.SessionID)
	s := o.Sections[1]
	require.Equal(t, "p#secondary", s.StreamLabel)
	require.Equal(t, "t1", s.TrackID)
	require.Equal(t, Limits{MaxBitrate: 300000, MaxFrameArea: 230400, MaxFrameRate: 7.5}, s.Limits())
	require.Equal(t, []RID{{ID: "l", Send: true}, {ID: "m", Send: true}}, s.RIDs)
	require.Equal(t, []RID{{ID: "l", Send: true, Paused: true}, {ID: "m", Send: true},
		{ID: "h", Send: true, Paused: true}, {ID: "x"}}, s.Simulcast)

	// Media-level ufrag only; no direction means sendrecv.
	o, err = ParseOffer("v=0\r\no=- 7 1 IN IP4 0.0.0.0\r\nm=audio 9 RTP/AVP 0\r\na=mid:a\r\na=ice-ufrag:u\r\n")
	require.NoError(t, err)
	require.Equal(t, "u", o.ICEUfrag)
	require.Equal(t, SendRecv, o.Sections[0].Direction)
}

func TestParseOfferErrors(t *testing.T) {
	good := "v=0\no=- 42 1 IN IP4 0.0.0.0\na=ice-ufrag:abc\nm=application 9 UDP/DTLS/SCTP x\na=mid:0\n"
	_, err := ParseOffer(good)
	require.NoError(t, err)
	cases := map[string]string{
		"empty":         "",
		"no version":    strings.TrimPrefix(good, "v=0\n"),
		"garbage line":  good + "hello\n",
		"no origin":     strings.Replace(good, "o=- 42 1 IN IP4 0.0.0.0\n", "", 1),
		"short origin":  strings.Replace(good, "o=- 42 1 IN IP4 0.0.0.0", "o=- 42", 1),
		"no media":      "v=0\no=- 42 1 IN IP4 0.0.0.0\na=ice-ufrag:abc\n",
		"no mid":        strings.Replace(good, "a=mid:0\n", "", 1),
		"dup mid":       good + "m=audio 9 X 0\na=mid:0\n",
		"no ufrag":      strings.Replace(good, "a=ice-ufrag:abc\n", "", 1),
		"bad media":     good + "m=text 9 X 0\na=mid:1\n",
		"bad tias":      good + "b=TIAS:-5\n",
		"bad prefs":     good + "a=x-preferences:12\n",
		"bad rate":      good + "a=x-preferences:12@fast\n",
		"neg rate":      good + "a=x-preferences:12@-1\n",
		"bad rid":       good + "a=rid:l sideways\n",
		"bad simulcast": good + "a=simulcast:send\n",
		"empty msid":    good + "a=msid:\n",
	}
	for name, text := range cases {
		_, err := ParseOffer(text)
		require.Error(t, err, name)
		require.True(t, errors.Is(err, ErrMalformedOffer), name)
		var oe *OfferError
		require.True(t, errors.As(err, &oe), name)
	}
}

func TestRewriteKeepsPionAwayFromInactive(t *testing.T) {
	text := readFixture(t, "02-publications-inactive.sdp")
	o, err := ParseOffer(text)
	require.NoError(t, err)
	copyText := pionOffer(text, o)
	c, err := ParseOffer(copyText)
	require.NoError(t, err)
	for i := 1; i <= 4; i++ {
		require.Equal(t, SendOnly, c.Sections[i].Direction)
	}
	require.True(t, strings.HasSuffix(copyText, "\r\n"))
	require.Equal(t, strings.Count(text, "\n"), strings.Count(copyText, "\n"))
}

func FuzzParseOffer(f *testing.F) {
	for _, name := range fixtureNames {
		f.Add(readFixture(f, name))
	}
	f.Add("v=0\no=- 1 1 IN IP4 0.0.0.0\na=ice-ufrag:x\nm=video 9 X 96\na=mid:1\na=x-preferences:0@0\n")
	f.Fuzz(func(t *testing.T, text string) {
		o, err := ParseOffer(text)
		if err != nil {
			if !errors.Is(err, ErrMalformedOffer) {
				t.Fatalf("untyped error %v", err)
			}

			return
		}
		if len(o.Sections) == 0 || o.ICEUfrag == "" {
			t.Fatalf("accepted offer without sections or ufrag")
		}
		// The rewrites must keep every section and stay parseable.
		for _, rewritten := range []string{pionOffer(text, o), clientAnswer(text, o)} {
			o2, err := ParseOffer(rewritten)
			if err != nil {
				t.Fatalf("rewrite broke the offer: %v", err)
			}
			if len(o2.Sections) != len(o.Sections) {
				t.Fatalf("rewrite changed the section count")
			}
		}
	})
}
