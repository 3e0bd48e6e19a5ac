package rest

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/mindsdk/mindgo/transport"
)

// Negotiate posts an SDP offer and returns the server's answer (R2, POST /,
// protocol §2.4). timeout bounds the request like [Client.Timeout] bounds
// the others (zero means the client's own); an expiry matches ErrTimeout,
// which a session with an open data channel treats as lagging rather than
// as a failure (protocol §4.5). An empty answer is a malformed message.
func (c *Client) Negotiate(ctx context.Context, offer string, timeout time.Duration) (string, error) {
	cc := *c
	if timeout > 0 {
		cc.Timeout = timeout
	}

	var answer transport.SDP
	if err := cc.do(ctx, http.MethodPost, "/", "", transport.SDP{SDP: offer}, &answer); err != nil {
		return "", err
	}
	if answer.SDP == "" {
		return "", fmt.Errorf("mind: POST /: %w: answer without sdp", transport.ErrMalformedMessage)
	}

	return answer.SDP, nil
}
