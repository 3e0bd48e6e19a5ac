package transport_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mindsdk/mindgo/transport"
)

func addWireSeeds(f *testing.F) {
	f.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "wire", "*.json"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("4000"))
	f.Add([]byte(`{"type":"updated","location":"/","resource":null}`))
	f.Add([]byte(`{"priority":"high","language":7}`))
}

func FuzzParseChannelMessage(f *testing.F) {
	addWireSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := transport.ParseChannelMessage(b)
		if err != nil {
			return
		}
		if m.CloseCode == 0 && (m.Notification.Type == "" || m.Notification.Location == "") {
			t.Fatalf("accepted a notification without type or location: %q", b)
		}
		transport.ParseLocation(m.Notification.Location)
	})
}

func FuzzDecodeConference(f *testing.F) {
	addWireSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := transport.DecodeConference(b)
		if err != nil {
			return
		}
		for _, p := range c.Participants {
			_ = p.Language.Valid()
			_ = p.Role.Valid()
		}
	})
}

func FuzzDecodeParticipant(f *testing.F) {
	addWireSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = transport.DecodeParticipant(b)
	})
}

func FuzzDecodeMessage(f *testing.F) {
	addWireSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = transport.DecodeMessage(b)
	})
}

func FuzzParseConferenceURI(f *testing.F) {
	f.Add("https://api.mind.com/" + appID + "/" + confID)
	f.Add("http://127.0.0.1:1/" + appID + "/" + confID + "/")
	f.Add("http:///a/b")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := transport.ParseConferenceURI(s)
		if err != nil {
			return
		}
		if !transport.IsUUID(u.ApplicationID) || !transport.IsUUID(u.ConferenceID) {
			t.Fatalf("accepted %q with bad ids", s)
		}
		again, err := transport.ParseConferenceURI(u.Base)
		if err != nil || again != u {
			t.Fatalf("base %q of %q does not parse to itself: %v", u.Base, s, err)
		}
	})
}
