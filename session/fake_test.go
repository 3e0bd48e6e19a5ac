package session

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/conference"
	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/transport"
)

const (
	fakeApp  = "0c7a8f2e-1b3d-4e5f-9a6b-7c8d9e0f1a2b"
	fakeConf = "5f4e3d2c-1b0a-4987-8654-3210fedcba98"
	fakeMe   = "a1b2c3d4-0000-4000-8000-000000000001"
	fakeBob  = "a1b2c3d4-0000-4000-8000-000000000002"
)

// fakeCarrier stands for a notification channel the test drives by hand.
type fakeCarrier struct {
	deliver func(note)
	closed  atomic.Bool
}

func (f *fakeCarrier) Close() error { f.closed.Store(true); return nil }

func (f *fakeCarrier) notify(n transport.Notification) {
	f.deliver(note{kind: noteMessage, msg: transport.ChannelMessage{Notification: n}})
}

// fakeServer answers the snapshot read with whatever the test set, and
// lets the test hold the answer.
type fakeServer struct {
	srv      *httptest.Server
	mu       sync.Mutex
	snap     transport.Conference
	gate     chan struct{} // when not nil, snapshot reads wait for it
	reads    chan struct{} // one token per snapshot read that arrived
	carriers chan *fakeCarrier
	patched  chan struct{} // one token per participant change answered
}

func newFakeServer(t testing.TB) *fakeServer {
	t.Helper()

	f := &fakeServer{
		reads:    make(chan struct{}, 64),
		carriers: make(chan *fakeCarrier, 64),
		patched:  make(chan struct{}, 64),
		snap: transport.Conference{
			ID: fakeConf, Name: "Conf", Layout: transport.LayoutMosaic,
			Participants: []transport.Participant{
				{ID: fakeMe, Name: "Me", Priority: 1, Language: "en", Role: transport.RoleModerator, Online: true},
				{ID: fakeBob, Name: "Bob", Priority: 1, Language: "en", Role: transport.RoleSpeaker, Online: true},
			},
		},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		gate := f.gate
		f.mu.Unlock()
		if r.Method == http.MethodGet {
			f.reads <- struct{}{}
		}
		if gate != nil {
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.Method == http.MethodPatch {
			// Apply a participant change and answer with the resource;
			// the test sends the notifications itself.
			var patch transport.ParticipantPatch
			_ = json.NewDecoder(r.Body).Decode(&patch)
			id := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
			for i := range f.snap.Participants {
				p := &f.snap.Participants[i]
				if p.ID != id {
					continue
				}
				if patch.Priority != nil {
					p.Priority = *patch.Priority
				}
				if patch.Language != nil {
					p.Language = *patch.Language
				}
				b, _ := json.Marshal(p)
				_, _ = w.Write(b)
				select {
				case f.patched <- struct{}{}:
				default:
				}
				return
			}
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		b, _ := json.Marshal(f.snap)
		_, _ = w.Write(b)
	}))
	t.Cleanup(f.srv.Close)

	return f
}

func (f *fakeServer) join(t testing.TB, o *Options) *Session {
	t.Helper()

	var oo Options
	if o != nil {
		oo = *o
	}
	oo.SignallingOnly = true
	oo.HTTPClient = f.srv.Client()
	oo.backoff = func(int) time.Duration { return 0 }
	oo.dial = func(_ context.Context, _ *Session, deliver func(note)) (carrier, error) {
		c := &fakeCarrier{deliver: deliver}
		f.carriers <- c
		return c, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Join(ctx, f.srv.URL+"/"+fakeApp+"/"+fakeConf, "token", &oo)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	<-f.reads

	return s
}

func (f *fakeServer) carrier(t testing.TB) *fakeCarrier {
	t.Helper()

	select {
	case c := <-f.carriers:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no carrier dialled")
		return nil
	}
}

func participantNote(t testing.TB, typ transport.NotificationType, p transport.Participant) transport.Notification {
	t.Helper()

	n, err := transport.NewNotification(typ, transport.ParticipantLocation(p.ID), p)
	require.NoError(t, err)

	return n
}

func next(t *testing.T, ch <-chan event.Event) event.Event {
	t.Helper()

	select {
	case e := <-ch:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
		return nil
	}
}

func bobParticipant() conference.Participant {
	return conference.Participant{ID: fakeBob, Name: "Bob", Priority: 1, Language: "en", Role: transport.RoleSpeaker}
}
