package mindtest

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/coder/websocket"
	"github.com/mindsdk/mindgo/transport"
)

// seen is a notification reduced to what the fan-out test compares.
type seen struct {
	typ  transport.NotificationType
	loc  string
	text string // message text, or conference name, or participant name
}

func reduce(t *testing.T, raw string) seen {
	t.Helper()
	if raw == "4000" || raw == "4001" {
		return seen{text: raw}
	}
	n, err := transport.DecodeNotification([]byte(raw))
	if err != nil {
		t.Fatalf("decode %q: %v", raw, err)
	}
	s := seen{typ: n.Type, loc: n.Location}
	switch kind, _ := transport.ParseLocation(n.Location); {
	case n.Type == transport.Deleted:
	case kind == transport.LocationIsConference:
		c := decodeJSON[transport.Conference](t, n.Resource)
		s.text = c.Name + "/rec=" + strconv.FormatBool(c.Recording.Started)
	case kind == transport.LocationIsMessage:
		m := decodeJSON[transport.Message](t, n.Resource)
		s.text = m.SentBy + ":" + m.Text
	case kind == transport.LocationIsParticipant:
		p := decodeJSON[transport.Participant](t, n.Resource)
		s.text = p.Name + "/online=" + strconv.FormatBool(p.Online) +
			"/audio=" + strconv.FormatBool(p.Media.Audio)
	}

	return s
}

// collect reads n frames from ws.
func collect(t *testing.T, ws *wsClient, n int) []seen {
	t.Helper()
	out := make([]seen, 0, n)
	for range n {
		out = append(out, reduce(t, ws.next(t)))
	}

	return out
}

func assertSeen(t *testing.T, who string, got, want []seen) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d notifications, want %d:\n got %+v\nwant %+v", who, len(got), len(want), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: notification %d = %+v, want %+v", who, i, got[i], want[i])
		}
	}
}

// TestFanOut drives every kind of change and checks that each receiver got
// exactly its notifications, in order (protocol §10.6, §12.4).
func TestFanOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	app := f.srv.ApplicationToken()
	appID := f.srv.ApplicationID()
	c := f.conf
	b := base(c)
	late := mustParticipant(t, c, "Lee", transport.RoleSpeaker) // offline, joins later

	appWS := dialWS(t, c, app)
	mod := dialWS(t, c, f.mod.Token)
	spk := dialWS(t, c, f.spk.Token)
	att := dialWS(t, c, f.att.Token)
	pLoc := transport.ParticipantLocation
	online := func(name string) string { return name + "/online=true/audio=false" }

	var wantApp, wantMod, wantSpk, wantAtt []seen
	add := func(s seen, to ...*[]seen) {
		for _, l := range to {
			*l = append(*l, s)
		}
	}
	// Presence of the connections above.
	add(seen{transport.Updated, pLoc(f.mod.ID), online("Mo")}, &wantApp)
	add(seen{transport.Updated, pLoc(f.spk.ID), online("Sam")}, &wantApp, &wantMod)
	add(seen{transport.Updated, pLoc(f.att.ID), online("Ann")}, &wantApp, &wantMod, &wantSpk)

	// R3 by the moderator, A9 by the application.
	wantStatus(t, http.StatusOK, http.MethodPatch, b+"/", f.mod.Token, map[string]string{"name": "Renamed"})
	add(seen{transport.Updated, "/", "Renamed/rec=false"}, &wantApp, &wantMod, &wantSpk, &wantAtt)
	wantStatus(t, http.StatusNoContent, http.MethodPost, b+"/recording/start", app, "{}")
	add(seen{transport.Updated, "/", "Renamed/rec=true"}, &wantApp, &wantMod, &wantSpk, &wantAtt)
	// Starting twice changes nothing and notifies nothing.
	wantStatus(t, http.StatusOK, http.MethodPost, b+"/recording/start", f.mod.Token, "{}")

	// R6: the attendee renames itself; everyone, itself included, hears.
	wantStatus(t, http.StatusOK, http.MethodPatch, b+"/participants/"+f.att.ID, f.att.Token,
		map[string]string{"name": "Annie"})
	add(seen{transport.Updated, pLoc(f.att.ID), online("Annie")}, &wantApp, &wantMod, &wantSpk, &wantAtt)
	// A PATCH that changes nothing notifies nothing.
	wantStatus(t, http.StatusOK, http.MethodPatch, b+"/participants/"+f.att.ID, f.att.Token,
		map[string]string{"name": "Annie"})

	// Media flags: everyone but the publisher.
	if err := c.setMedia(f.spk.ID, transport.MediaFlags{Audio: true}, transport.MediaFlags{}); err != nil {
		t.Fatal(err)
	}
	add(seen{transport.Updated, pLoc(f.spk.ID), "Sam/online=true/audio=true"}, &wantApp, &wantMod, &wantAtt)

	// Messages (R7): to a participant, to the conference, to the application.
	wantStatus(t, http.StatusOK, http.MethodPost, b+"/messages", f.att.Token,
		transport.MessageRequest{SendTo: f.spk.ID, Text: "psst"})
	add(seen{transport.Created, "", f.att.ID + ":psst"}, &wantApp, &wantSpk)
	wantStatus(t, http.StatusOK, http.MethodPost, b+"/messages", f.spk.Token,
		transport.MessageRequest{SendTo: c.ID(), Text: "hi all"})
	add(seen{transport.Created, "", f.spk.ID + ":hi all"}, &wantApp, &wantMod, &wantAtt)
	wantStatus(t, http.StatusOK, http.MethodPost, b+"/messages", f.att.Token,
		transport.MessageRequest{SendTo: appID, Text: "backend?"})
	add(seen{transport.Created, "", f.att.ID + ":backend?"}, &wantApp)
	// A message to an offline participant reaches no one.
	wantStatus(t, http.StatusOK, http.MethodPost, b+"/messages", f.att.Token,
		transport.MessageRequest{SendTo: late.ID, Text: "lost"})

	// A8: the application to one participant and to everyone.
	wantStatus(t, http.StatusCreated, http.MethodPost, b+"/messages", app,
		transport.MessageRequest{SendTo: f.att.ID, Text: "for Ann"})
	add(seen{transport.Created, "", appID + ":for Ann"}, &wantAtt)
	if _, err := c.SendMessage(c.ID(), "for all"); err != nil {
		t.Fatal(err)
	}
	add(seen{transport.Created, "", appID + ":for all"}, &wantMod, &wantSpk, &wantAtt)

	// A5 and A7 of an offline participant.
	nb := wantStatus(t, http.StatusCreated, http.MethodPost, b+"/participants", app,
		map[string]string{"name": "Nia"})
	nia := decodeJSON[transport.ParticipantWithToken](t, nb)
	add(seen{transport.Created, pLoc(nia.ID), "Nia/online=false/audio=false"}, &wantApp, &wantMod, &wantSpk, &wantAtt)
	wantStatus(t, http.StatusNoContent, http.MethodDelete, b+"/participants/"+nia.ID, app, nil)
	add(seen{transport.Deleted, pLoc(nia.ID), ""}, &wantApp, &wantMod, &wantSpk, &wantAtt)

	// Presence of a late joiner: never to itself.
	lee := dialWS(t, c, late.Token)
	add(seen{transport.Updated, pLoc(late.ID), online("Lee")}, &wantApp, &wantMod, &wantSpk, &wantAtt)
	if err := lee.conn.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitOnline(testContext(t), late.ID, false); err != nil {
		t.Fatal(err)
	}
	add(seen{transport.Updated, pLoc(late.ID), "Lee/online=false/audio=false"}, &wantApp, &wantMod, &wantSpk, &wantAtt)

	// A7 of an online participant, then A4.
	if err := c.Expel(f.att.ID); err != nil {
		t.Fatal(err)
	}
	add(seen{text: "4001"}, &wantAtt)
	add(seen{transport.Deleted, pLoc(f.att.ID), ""}, &wantApp, &wantMod, &wantSpk)
	if err := c.End(); err != nil {
		t.Fatal(err)
	}
	add(seen{text: "4000"}, &wantApp, &wantMod, &wantSpk)

	// Messages carry random IDs: compare without the location.
	strip := func(l []seen) []seen {
		for i := range l {
			if kind, _ := transport.ParseLocation(l[i].loc); kind == transport.LocationIsMessage {
				l[i].loc = ""
			}
		}
		return l
	}
	for _, r := range []struct {
		who  string
		ws   *wsClient
		id   string
		want []seen
	}{
		{"application", appWS, "", wantApp},
		{"moderator", mod, f.mod.ID, wantMod},
		{"speaker", spk, f.spk.ID, wantSpk},
		{"attendee", att, f.att.ID, wantAtt},
	} {
		got := strip(collect(t, r.ws, len(r.want)-1))
		code := r.ws.closed(t)
		got = append(got, seen{text: strconv.Itoa(int(code))})
		assertSeen(t, r.who, got, r.want)
	}
	for _, l := range [][]string{c.Notifications(""), c.Notifications(f.mod.ID)} {
		if len(l) == 0 || l[len(l)-1] != "4000" {
			t.Fatalf("notification log does not end with 4000: %v", l)
		}
	}
	if msgs := c.MessagesToApplication(); len(msgs) != 2 || msgs[0].Text != "hi all" || msgs[1].Text != "backend?" {
		t.Fatalf("messages to the application: %+v", msgs)
	}
}
