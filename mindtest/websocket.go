package mindtest

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// serveWebSocket runs one notification WebSocket (protocol §12) until it
// closes. The receiver is attached before the upgrade completes, so no
// change committed after the client sees the handshake can be missed.
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request, cl caller) {
	// A handshake the library would refuse must not flip presence: check
	// it before attaching.
	if reason := badHandshake(r); reason != "" {
		writeError(w, http.StatusBadRequest, reason)
		return
	}
	rcv := newReceiver(cl.pid, "websocket")
	if err := cl.conf.attach(rcv); err != nil {
		writeModelError(w, err)
		return
	}

	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		// Any origin may connect, as with CORS (protocol §1.6); the token
		// is the credential.
		InsecureSkipVerify: true,
	})
	if err != nil {
		// Accept has answered the request already.
		cl.conf.detach(rcv)
		return
	}
	conn.SetReadLimit(1024)
	s.sockets.Add(1)
	defer s.sockets.Add(-1)

	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	// Ending readCtx makes the library close the connection even while a
	// close handshake is in progress, which CloseNow does not do.
	readCtx, cutRead := context.WithCancel(ctx)
	defer cutRead()
	snk := &wsSink{conn: conn, cut: cutRead}

	var wg sync.WaitGroup
	wg.Go(func() { rcv.run(ctx, snk, s.opts.ExpelGrace) })
	wg.Go(func() { s.keepAlive(ctx, conn, rcv) })

	s.readLoop(readCtx, conn, rcv)

	cl.conf.detach(rcv)
	rcv.abort()
	cancel()
	wg.Wait()
	s.log.Debug("mindtest: websocket closed", "participant", cl.pid)
}

// readLoop reads until the connection ends. Reading keeps control frames
// (pings, pongs, close) flowing. Clients must not send data frames; one
// that does is closed with a protocol error.
func (s *Server) readLoop(ctx context.Context, conn *websocket.Conn, rcv *receiver) {
	for {
		_, _, err := conn.Read(ctx)
		if err != nil {
			return
		}
		rcv.terminate(int(websocket.StatusProtocolError))
	}
}

// keepAlive pings every PingInterval and drops the connection when a
// pong does not come within PongTimeout.
func (s *Server) keepAlive(ctx context.Context, conn *websocket.Conn, rcv *receiver) {
	t := time.NewTicker(s.opts.PingInterval)
	defer t.Stop()

	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}

		pctx, cancel := context.WithTimeout(ctx, s.opts.PongTimeout)
		err := conn.Ping(pctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				s.log.Debug("mindtest: websocket keepalive failed", "err", err)
			}
			rcv.abort()
			return
		}
	}
}

// wsSink is a receiver's WebSocket end.
type wsSink struct {
	conn *websocket.Conn
	cut  context.CancelFunc // ends the read context, closing the connection
}

func (k *wsSink) write(ctx context.Context, text string) error {
	return k.conn.Write(ctx, websocket.MessageText, []byte(text))
}

// closeWith sends the close status and waits for the close handshake,
// cutting the connection if it takes longer than grace.
func (k *wsSink) closeWith(code int, grace time.Duration) {
	t := time.AfterFunc(grace, k.cut)
	defer t.Stop()

	_ = k.conn.Close(websocket.StatusCode(code), closeReason(code))
}

func (k *wsSink) abort() {
	k.cut()
	_ = k.conn.CloseNow()
}

// closeReason is the human-readable reason sent with a close status.
func closeReason(code int) string {
	switch code {
	case 4000:
		return "conference ended"
	case 4001:
		return "expelled"
	case int(websocket.StatusProtocolError):
		return "clients send no data frames"
	default:
		return ""
	}
}

// badHandshake returns why r is not a WebSocket opening handshake
// (RFC 6455 §4.2.1), or "" when it is one.
func badHandshake(r *http.Request) string {
	if !headerHasToken(r.Header, "Connection", "upgrade") {
		return "websocket: Connection header must contain upgrade"
	}
	if r.Header.Get("Sec-WebSocket-Version") != "13" {
		return "websocket: unsupported Sec-WebSocket-Version"
	}
	key, err := base64.StdEncoding.DecodeString(r.Header.Get("Sec-WebSocket-Key"))
	if err != nil || len(key) != 16 {
		return "websocket: invalid Sec-WebSocket-Key"
	}
	return ""
}

// headerHasToken reports whether a comma-separated header contains token,
// ignoring case.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for part := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}
