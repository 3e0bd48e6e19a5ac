package mindtest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/mindsdk/mindgo/transport"
)

func TestFailNext(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := base(f.conf)

	onlyPatch := func(r *http.Request) bool { return r.Method == http.MethodPatch }
	f.srv.FailNext(2, http.StatusServiceUnavailable, onlyPatch)

	// Requests that do not match pass.
	wantStatus(t, http.StatusOK, http.MethodGet, b+"/?detailed=true", f.mod.Token, nil)
	for range 2 {
		body := wantStatus(t, http.StatusServiceUnavailable, http.MethodPatch, b+"/", f.mod.Token,
			map[string]string{"name": "Never"})
		if e := decodeJSON[transport.ErrorBody](t, body); e.Error == "" {
			t.Fatalf("no error body: %s", body)
		}
	}
	if got := f.conf.Snapshot().Name; got != "Planning" {
		t.Fatalf("failed request changed the name to %q", got)
	}
	wantStatus(t, http.StatusOK, http.MethodPatch, b+"/", f.mod.Token, map[string]string{"name": "Now"})

	// nil matches any request, the WebSocket upgrade included.
	f.srv.FailNext(1, http.StatusNotFound, nil)
	_, err := tryDialWS(testContext(t), f.conf, f.mod.Token)
	var se *statusError
	if !errors.As(err, &se) || se.status != http.StatusNotFound {
		t.Fatalf("dial: %v, want 404", err)
	}
	dialWS(t, f.conf, f.mod.Token)
}

func TestDelayNext(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := base(f.conf)

	f.srv.DelayNext(1, time.Hour, func(r *http.Request) bool { return r.Method == http.MethodPatch })

	// A client that gives up leaves the state untouched.
	ctx, cancel := context.WithTimeout(testContext(t), 100*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, b+"/", strings.NewReader(`{"name":"Late"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+f.mod.Token)
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("delayed request: %v, want deadline exceeded", err)
	}
	// The rule is used up; the server drops the abandoned request.
	wantStatus(t, http.StatusOK, http.MethodGet, b+"/?detailed=true", f.mod.Token, nil)
	if got := f.conf.Snapshot().Name; got != "Planning" {
		t.Fatalf("abandoned request changed the name to %q", got)
	}

	// A short delay is served late but served.
	f.srv.DelayNext(1, 50*time.Millisecond, nil)
	start := time.Now()
	wantStatus(t, http.StatusOK, http.MethodPatch, b+"/", f.mod.Token, map[string]string{"name": "Late"})
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Fatalf("answered after %v", d)
	}
}

func TestDelayedRequestEndsWithClose(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	s.DelayNext(1, time.Hour, nil)

	done := make(chan error, 1)
	go func() {
		req, err := http.NewRequestWithContext(testContext(t), http.MethodGet, s.URL()+"/x", nil)
		if err != nil {
			done <- err
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	// Wait until the request is held.
	for ctx := testContext(t); len(s.Requests()) == 0; {
		select {
		case <-ctx.Done():
			t.Fatal("request never arrived")
		case <-time.After(5 * time.Millisecond):
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	<-done
}

func TestSendRawAndOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	ws := dialWS(t, f.conf, f.att.Token)
	if err := f.conf.Rename("One"); err != nil {
		t.Fatal(err)
	}
	if err := f.conf.SendRaw(f.att.ID, "{not json"); err != nil {
		t.Fatal(err)
	}
	if err := f.conf.Rename("Two"); err != nil {
		t.Fatal(err)
	}
	if n := ws.nextNotification(t); !strings.Contains(string(n.Resource), `"One"`) {
		t.Fatalf("first: %+v", n)
	}
	if m := ws.next(t); m != "{not json" {
		t.Fatalf("raw: %q", m)
	}
	if n := ws.nextNotification(t); !strings.Contains(string(n.Resource), `"Two"`) {
		t.Fatalf("third: %+v", n)
	}
}

func TestKeepAliveDropsSilentClient(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, &Options{PingInterval: 20 * time.Millisecond, PongTimeout: 150 * time.Millisecond})
	c, err := s.CreateConference("Ping", "")
	if err != nil {
		t.Fatal(err)
	}
	p := mustParticipant(t, c, "Quiet", transport.RoleAttendee)

	// A client that never reads never answers pings.
	u, _ := transport.ParseConferenceURI(c.URI())
	h := http.Header{"Authorization": {"Bearer " + p.Token}}
	conn, _, err := websocket.Dial(testContext(t), u.WebSocketURL(), &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	if err := c.WaitOnline(testContext(t), p.ID, false); err != nil {
		t.Fatalf("silent client still online: %v", err)
	}

	// A client that reads answers pings and stays, over several rounds.
	dialWS(t, c, p.Token)
	ctx, cancel := context.WithTimeout(testContext(t), 500*time.Millisecond)
	defer cancel()
	if err := c.WaitOnline(ctx, p.ID, false); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("reading client went offline: %v", err)
	}
}

func TestClientDataFrameIsAProtocolError(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	ws := dialWS(t, f.conf, f.att.Token)
	if err := ws.conn.Write(testContext(t), websocket.MessageText, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if code := ws.closed(t); code != websocket.StatusProtocolError {
		t.Fatalf("close status %d, want %d", code, websocket.StatusProtocolError)
	}
	if err := f.conf.WaitOnline(testContext(t), f.att.ID, false); err != nil {
		t.Fatal(err)
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	req, err := http.NewRequestWithContext(testContext(t), http.MethodOptions, base(f.conf)+"/?detailed=true", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", "http://app.example")
	req.Header.Set("Access-Control-Request-Method", "PATCH")
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,mind-sdk")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("preflight status %d", resp.StatusCode)
	}
	for k, want := range map[string]string{
		"Access-Control-Allow-Origin":  "http://app.example",
		"Access-Control-Allow-Methods": corsMethods,
		"Access-Control-Allow-Headers": corsHeaders,
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}

	// Errors carry the header too.
	req, err = http.NewRequestWithContext(testContext(t), http.MethodGet, base(f.conf)+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("status %d, allow-origin %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
}

func TestRequestsAreRecorded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	wantStatus(t, http.StatusOK, http.MethodPatch, base(f.conf)+"/", f.mod.Token, map[string]string{"name": "R"})
	reqs := f.srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPatch || r.Path != "/"+f.srv.ApplicationID()+"/"+f.conf.ID()+"/" ||
		string(r.Body) != `{"name":"R"}` || r.Header.Get("Mind-SDK") != "Mind Go SDK test" || r.Time.IsZero() {
		t.Fatalf("recorded %+v", r)
	}
	if got := f.srv.SDKHeaders(); len(got) != 1 || got[0] != "Mind Go SDK test" {
		t.Fatalf("SDK headers %v", got)
	}
}

func TestCloseIsIdempotentAndDropsClients(t *testing.T) {
	t.Parallel()
	s, err := NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateConference("x", "")
	if err != nil {
		t.Fatal(err)
	}
	p := mustParticipant(t, c, "P", transport.RoleAttendee)
	ws, err := tryDialWS(testContext(t), c, p.Token)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.shutdown()

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if code := ws.closed(t); code != -1 {
		t.Fatalf("close status %d, want none", code)
	}
	if _, err := s.CreateConference("y", ""); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

// TestGraceCutsAClientThatIgnoresTheClose: a client that never answers the
// close handshake is disconnected once the grace period is over.
func TestGraceCutsAClientThatIgnoresTheClose(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, &Options{ExpelGrace: 50 * time.Millisecond})
	c, err := s.CreateConference("Grace", "")
	if err != nil {
		t.Fatal(err)
	}
	p := mustParticipant(t, c, "Deaf", transport.RoleAttendee)
	u, _ := transport.ParseConferenceURI(c.URI())
	h := http.Header{"Authorization": {"Bearer " + p.Token}}
	conn, _, err := websocket.Dial(testContext(t), u.WebSocketURL(), &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()

	if err := c.Expel(p.ID); err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	for s.sockets.Load() != 0 {
		select {
		case <-ctx.Done():
			t.Fatal("the server kept the connection")
		case <-time.After(10 * time.Millisecond):
		}
	}
}
