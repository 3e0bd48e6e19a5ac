package mindtest

import (
	"testing"

	"github.com/coder/websocket"
	"github.com/mindsdk/mindgo/transport"
)

// TestOnlineWhileAnyChannelIsOpen: a participant with two channels stays
// online until the last one closes (protocol §12.3), and each channel gets
// every notification.
func TestOnlineWhileAnyChannelIsOpen(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testContext(t)

	mod := dialWS(t, f.conf, f.mod.Token)
	first := dialWS(t, f.conf, f.att.Token)
	second := dialWS(t, f.conf, f.att.Token)
	if n := mod.nextNotification(t); n.Location != transport.ParticipantLocation(f.att.ID) {
		t.Fatalf("moderator got %+v", n)
	}

	if err := f.conf.Rename("Both"); err != nil {
		t.Fatal(err)
	}
	for _, ws := range []*wsClient{first, second} {
		if n := ws.nextNotification(t); n.Location != transport.LocationConference {
			t.Fatalf("attendee channel got %+v", n)
		}
	}

	if err := first.conn.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	// Still online: the next thing the moderator hears is the rename
	// below, not an offline update.
	if err := f.conf.Rename("One left"); err != nil {
		t.Fatal(err)
	}
	if n := mod.nextNotification(t); n.Location != transport.LocationConference {
		t.Fatalf("moderator got %+v, want the rename", n)
	}
	if n := mod.nextNotification(t); n.Location != transport.LocationConference {
		t.Fatalf("moderator got %+v, want the second rename", n)
	}
	if !f.conf.Online(f.att.ID) {
		t.Fatal("offline with one channel open")
	}

	if err := second.conn.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.conf.WaitOnline(ctx, f.att.ID, false); err != nil {
		t.Fatal(err)
	}
	n := mod.nextNotification(t)
	p := decodeJSON[transport.Participant](t, n.Resource)
	if n.Location != transport.ParticipantLocation(f.att.ID) || p.Online {
		t.Fatalf("moderator got %+v, want the attendee offline", n)
	}
}

// TestOfflineClearsMedia: going offline clears the media flags in the
// notification and in the model.
func TestOfflineClearsMedia(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	mod := dialWS(t, f.conf, f.mod.Token)
	spk := dialWS(t, f.conf, f.spk.Token)
	mod.nextNotification(t)
	flags := transport.MediaFlags{Audio: true, Video: true}
	if err := f.conf.setMedia(f.spk.ID, flags, flags); err != nil {
		t.Fatal(err)
	}
	up := decodeJSON[transport.Participant](t, mod.nextNotification(t).Resource)
	if up.Media != flags || up.SecondaryMedia != flags {
		t.Fatalf("media update %+v", up)
	}

	if err := spk.conn.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	p := decodeJSON[transport.Participant](t, mod.nextNotification(t).Resource)
	if p.Online || p.Media != (transport.MediaFlags{}) || p.SecondaryMedia != (transport.MediaFlags{}) {
		t.Fatalf("offline update %+v", p)
	}
	if got, _ := f.conf.Participant(f.spk.ID); got != p {
		t.Fatalf("model %+v, notification %+v", got, p)
	}
}
