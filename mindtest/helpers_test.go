package mindtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/mindsdk/mindgo/transport"
)

// testTimeout bounds every blocking test.
const testTimeout = 10 * time.Second

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)

	return ctx
}

// newTestServer starts a server that is closed when the test ends.
func newTestServer(t *testing.T, opts *Options) *Server {
	t.Helper()
	if opts == nil {
		opts = &Options{ExpelGrace: 200 * time.Millisecond}
	}
	s, err := NewServer(opts)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})

	return s
}

// fixture is a conference with a moderator, a speaker and an attendee.
type fixture struct {
	srv      *Server
	conf     *Conference
	mod, spk transport.ParticipantWithToken
	att      transport.ParticipantWithToken
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	s := newTestServer(t, nil)
	c, err := s.CreateConference("Planning", transport.LayoutPresentingMosaic)
	if err != nil {
		t.Fatalf("CreateConference: %v", err)
	}
	f := &fixture{srv: s, conf: c}
	f.mod = mustParticipant(t, c, "Mo", transport.RoleModerator)
	f.spk = mustParticipant(t, c, "Sam", transport.RoleSpeaker)
	f.att = mustParticipant(t, c, "Ann", transport.RoleAttendee)

	return f
}

func mustParticipant(t *testing.T, c *Conference, name string, role transport.Role) transport.ParticipantWithToken {
	t.Helper()
	p, err := c.CreateParticipant(transport.CreateParticipantRequest{Name: name, Role: role})
	if err != nil {
		t.Fatalf("CreateParticipant: %v", err)
	}

	return p
}

// call sends one request and returns the status and body.
func call(t *testing.T, method, url, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequestWithContext(testContext(t), method, url, rd)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Mind-SDK", "Mind Go SDK test")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}

	return resp.StatusCode, b
}

// wantStatus calls and checks the status.
func wantStatus(t *testing.T, want int, method, url, token string, body any) []byte {
	t.Helper()
	got, b := call(t, method, url, token, body)
	if got != want {
		t.Fatalf("%s %s: status %d, want %d (body %s)", method, url, got, want, b)
	}

	return b
}

// wsClient is a test WebSocket client that collects every text frame.
type wsClient struct {
	conn *websocket.Conn
	msgs chan string
	end  chan error    // the read error that ended the connection
	stop chan struct{} // closed to end the reader early
}

func dialWS(t *testing.T, c *Conference, token string) *wsClient {
	t.Helper()
	ws, err := tryDialWS(testContext(t), c, token)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(ws.shutdown)

	return ws
}

func tryDialWS(ctx context.Context, c *Conference, token string) (*wsClient, error) {
	u, err := transport.ParseConferenceURI(c.URI())
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	conn, resp, err := websocket.Dial(ctx, u.WebSocketURL(), &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		if resp != nil {
			return nil, &statusError{status: resp.StatusCode, err: err}
		}
		return nil, err
	}
	ws := &wsClient{
		conn: conn, msgs: make(chan string, 4096), end: make(chan error, 1), stop: make(chan struct{}),
	}
	go ws.read()

	return ws, nil
}

// read forwards text frames to msgs until the connection ends.
func (ws *wsClient) read() {
	defer close(ws.msgs)
	for {
		typ, b, err := ws.conn.Read(context.Background())
		if err == nil && typ != websocket.MessageText {
			err = errors.New("binary frame")
		}
		if err != nil {
			ws.end <- err
			return
		}
		select {
		case ws.msgs <- string(b):
		case <-ws.stop:
			ws.end <- errors.New("stopped")
			return
		}
	}
}

// shutdown closes the connection and waits for the reader.
func (ws *wsClient) shutdown() {
	close(ws.stop)
	_ = ws.conn.CloseNow()
	err := <-ws.end
	ws.end <- err
}

type statusError struct {
	status int
	err    error
}

func (e *statusError) Error() string { return e.err.Error() }

// next returns the next text frame.
func (ws *wsClient) next(t *testing.T) string {
	t.Helper()
	select {
	case m, ok := <-ws.msgs:
		if !ok {
			t.Fatalf("connection ended while waiting for a message")
		}
		return m
	case <-testContext(t).Done():
		t.Fatalf("no message before the deadline")
	}

	return ""
}

// nextNotification decodes the next text frame.
func (ws *wsClient) nextNotification(t *testing.T) transport.Notification {
	t.Helper()
	m := ws.next(t)
	n, err := transport.DecodeNotification([]byte(m))
	if err != nil {
		t.Fatalf("decode %q: %v", m, err)
	}

	return n
}

// closed waits for the connection to end and returns its close status
// (-1 when it ended without one).
func (ws *wsClient) closed(t *testing.T) websocket.StatusCode {
	t.Helper()
	ctx := testContext(t)
	for {
		select {
		case m, ok := <-ws.msgs:
			if ok {
				t.Fatalf("unexpected message before close: %s", m)
			}
			select {
			case err := <-ws.end:
				ws.end <- err
				return websocket.CloseStatus(err)
			case <-ctx.Done():
				t.Fatalf("no close before the deadline")
			}
		case <-ctx.Done():
			t.Fatalf("no close before the deadline")
		}
	}
}

// base returns the conference base URL.
func base(c *Conference) string { return c.URI() }

func decodeJSON[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}

	return v
}

func stringsBody(s string) io.Reader { return strings.NewReader(s) }
