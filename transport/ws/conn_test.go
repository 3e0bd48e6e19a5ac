package ws_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/transport"
	"github.com/mindsdk/mindgo/transport/rest"
	"github.com/mindsdk/mindgo/transport/ws"
)

const token = "tok-123/+="

// serve starts a WebSocket server that checks the token and runs script on
// each accepted connection.
func serve(t *testing.T, script func(ctx context.Context, c *websocket.Conn)) string {
	t.Helper()

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		script(r.Context(), c)
	}))
	t.Cleanup(srv.Close)

	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/"
}

// collect returns a deliver function and the channel it feeds.
func collect() (func(ws.Event), chan ws.Event) {
	ch := make(chan ws.Event, 64)
	return func(e ws.Event) { ch <- e }, ch
}

func next(t *testing.T, ch chan ws.Event) ws.Event {
	t.Helper()

	select {
	case e := <-ch:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
		return ws.Event{}
	}
}

func TestMessagesThenCloseCode(t *testing.T) {
	t.Parallel()

	for _, code := range []int{transport.CloseConferenceEnded, transport.CloseExpelled} {
		url := serve(t, func(ctx context.Context, c *websocket.Conn) {
			_ = c.Write(ctx, websocket.MessageText, []byte(`{"type":"updated","location":"/","resource":{"name":"a"}}`))
			_ = c.Write(ctx, websocket.MessageText, []byte(`not json`))
			_ = c.Write(ctx, websocket.MessageText, []byte(`{"type":"deleted","location":"/participants/x"}`))
			_ = c.Close(websocket.StatusCode(code), "bye")
		})
		deliver, ch := collect()
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		c, err := ws.Dial(ctx, url, token, nil, deliver)
		require.NoError(t, err)

		e := next(t, ch)
		require.Equal(t, ws.Message, e.Kind)
		assert.Equal(t, "/", e.Message.Notification.Location)
		assert.Equal(t, ws.Malformed, next(t, ch).Kind)
		e = next(t, ch)
		assert.Equal(t, transport.Deleted, e.Message.Notification.Type)
		e = next(t, ch)
		assert.Equal(t, ws.Ended, e.Kind)
		assert.Equal(t, code, e.CloseCode)

		require.NoError(t, c.Close())
		assert.Empty(t, ch, "nothing after the terminal event")
		cancel()
	}
}

func TestOtherClosesAndBinaryFramesAreFailures(t *testing.T) {
	t.Parallel()

	for name, script := range map[string]func(context.Context, *websocket.Conn){
		"normal close": func(_ context.Context, c *websocket.Conn) { _ = c.Close(websocket.StatusNormalClosure, "") },
		"abrupt":       func(_ context.Context, c *websocket.Conn) { _ = c.CloseNow() },
		"binary": func(ctx context.Context, c *websocket.Conn) {
			_ = c.Write(ctx, websocket.MessageBinary, []byte{1})
			_, _, _ = c.Read(ctx)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			deliver, ch := collect()
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			c, err := ws.Dial(ctx, serve(t, script), token, &ws.Options{PingInterval: -1}, deliver)
			require.NoError(t, err)
			defer c.Close()

			e := next(t, ch)
			assert.Equal(t, ws.Failed, e.Kind)
			assert.Error(t, e.Err)
			assert.NotContains(t, e.Err.Error(), token)
		})
	}
}

func TestKeepaliveDetectsASilentServer(t *testing.T) {
	t.Parallel()

	// The server never reads, so it never answers pings.
	release := make(chan struct{})
	url := serve(t, func(context.Context, *websocket.Conn) { <-release })
	t.Cleanup(func() { close(release) })
	deliver, ch := collect()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	opts := &ws.Options{PingInterval: 20 * time.Millisecond, PongTimeout: 50 * time.Millisecond}
	c, err := ws.Dial(ctx, url, token, opts, deliver)
	require.NoError(t, err)
	defer c.Close()

	e := next(t, ch)
	assert.Equal(t, ws.Failed, e.Kind)
	assert.ErrorIs(t, e.Err, ws.ErrKeepalive)
}

func TestKeepaliveKeepsAnAnsweringServer(t *testing.T) {
	t.Parallel()

	pings := make(chan struct{}, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
			OnPingReceived: func(context.Context, []byte) bool {
				select {
				case pings <- struct{}{}:
				default:
				}
				return true
			},
		})
		if err != nil {
			return
		}
		defer c.CloseNow()
		_, _, _ = c.Read(r.Context()) // reading answers pings
	}))
	t.Cleanup(srv.Close)
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/"
	deliver, ch := collect()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	opts := &ws.Options{PingInterval: 5 * time.Millisecond, PongTimeout: 5 * time.Second}
	c, err := ws.Dial(ctx, url, token, opts, deliver)
	require.NoError(t, err)

	// Several pings are answered, then close: no failure was reported.
	for range 3 {
		select {
		case <-pings:
		case <-ctx.Done():
			t.Fatal("no ping reached the server")
		}
	}
	require.NoError(t, c.Close())
	assert.Empty(t, ch)
}

func TestRefusedHandshakeIsAStatusError(t *testing.T) {
	t.Parallel()

	url := serve(t, func(context.Context, *websocket.Conn) {})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	_, err := ws.Dial(ctx, url, "wrong", nil, func(ws.Event) {})
	var se *rest.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusUnauthorized, se.Code)
	assert.ErrorIs(t, err, rest.ErrUnauthorized)
}
