package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/mindsdk/mindgo/transport"
)

// DefaultTimeout is the time a request may take in total when
// [Client.Timeout] is zero (protocol §1.4).
const DefaultTimeout = 10 * time.Second

// maxBody bounds the JSON bodies the client reads.
const maxBody = 16 << 20

// Client issues participant API requests for one conference with one
// participant token. It is safe for concurrent use; its fields must not
// change once it is in use.
type Client struct {
	// URI is the conference URI the requests are relative to.
	URI transport.ConferenceURI
	// Token is the participant token, sent as a bearer token.
	Token string
	// SDK is the value of the Mind-SDK header.
	SDK string
	// HTTP is the client to use; nil means http.DefaultClient.
	HTTP *http.Client
	// Timeout bounds each request; zero means [DefaultTimeout].
	Timeout time.Duration
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// Conference reads the whole conference (R1, GET /?detailed=true). Element
// 0 of the participants is the caller.
func (c *Client) Conference(ctx context.Context) (transport.Conference, error) {
	var conf transport.Conference
	err := c.do(ctx, http.MethodGet, "/", "?detailed=true", nil, &conf)
	return conf, err
}

// RenameConference sets the conference name (R3) and returns the
// conference as the server reports it afterwards.
//
// An answer that is not the conference of c.URI is an error wrapping
// transport.ErrMalformedMessage (protocol Q16).
func (c *Client) RenameConference(ctx context.Context, name string) (transport.Conference, error) {
	var conf transport.Conference
	if err := c.do(ctx, http.MethodPatch, "/", "", transport.ConferencePatch{Name: &name}, &conf); err != nil {
		return transport.Conference{}, err
	}
	if conf.ID != c.URI.ConferenceID {
		return transport.Conference{}, fmt.Errorf("mind: PATCH /: %w: the answer is not this conference",
			transport.ErrMalformedMessage)
	}
	return conf, nil
}

// StartRecording starts recording the conference (R4).
func (c *Client) StartRecording(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/recording/start", "", struct{}{}, nil)
}

// StopRecording stops recording the conference (R5).
func (c *Client) StopRecording(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/recording/stop", "", struct{}{}, nil)
}

// UpdateParticipant changes the participant id (R6) and returns it as the
// server reports it afterwards. id is always a real participant ID.
//
// An answer that is not participant id, or that has an invalid value in a
// field the patch sets, is an error wrapping transport.ErrMalformedMessage
// (protocol Q16).
func (c *Client) UpdateParticipant(
	ctx context.Context, id string, patch transport.ParticipantPatch,
) (transport.Participant, error) {
	path := transport.ParticipantLocation(id)
	var p transport.Participant
	if err := c.do(ctx, http.MethodPatch, path, "", patch, &p); err != nil {
		return transport.Participant{}, err
	}
	var bad string
	switch {
	case p.ID != id:
		bad = "the answer is not this participant"
	case patch.Language != nil && !p.Language.Valid():
		bad = "the answer has an invalid language"
	case patch.Role != nil && !p.Role.Valid():
		bad = "the answer has an invalid role"
	}
	if bad != "" {
		return transport.Participant{}, fmt.Errorf("mind: PATCH %s: %w: %s", path, transport.ErrMalformedMessage, bad)
	}
	return p, nil
}

// SendMessage sends a text message (R7). The recipient is chosen by
// req.SendTo (protocol §2.8).
func (c *Client) SendMessage(ctx context.Context, req transport.MessageRequest) error {
	return c.do(ctx, http.MethodPost, "/messages", "", req, nil)
}

// Recording opens the recording of the conference for reading (R8). The
// token is sent in the Authorization header, not in the URL. The caller
// must close the body; the per-request timeout does not apply to reading
// it, only ctx does.
func (c *Client) Recording(ctx context.Context) (io.ReadCloser, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/recording", "", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Del("Content-Type")
	req.Header.Set("Accept", "*/*")

	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, fmt.Errorf("mind: GET /recording: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		drain(resp.Body)
		return nil, &StatusError{Method: http.MethodGet, Path: "/recording", Code: resp.StatusCode}
	}

	return resp.Body, nil
}

// CheckToken reports whether token can be sent as a bearer token: an HTTP
// header value cannot carry control characters (CR, LF, NUL and the like),
// and a token that has them is refused before any network is used. The
// token stays opaque otherwise. The error wraps transport.ErrInvalidValue
// and does not contain the token.
func CheckToken(token string) error {
	for i := range len(token) {
		if b := token[i]; b < 0x20 || b == 0x7f {
			return fmt.Errorf("%w: the participant token has a character that an HTTP header cannot carry (byte %d)",
				transport.ErrInvalidValue, i)
		}
	}
	return nil
}

func (c *Client) newRequest(ctx context.Context, method, path, query string, body any) (*http.Request, error) {
	if err := CheckToken(c.Token); err != nil {
		return nil, fmt.Errorf("mind: %s %s: %w", method, path, err)
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("mind: %s %s: encode body: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}

	req, err := http.NewRequestWithContext(ctx, method, c.URI.URL(path)+query, rd)
	if err != nil {
		return nil, fmt.Errorf("mind: %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("Accept", "application/json")
	if c.SDK != "" {
		req.Header.Set("Mind-SDK", c.SDK)
	}

	return req, nil
}

// do runs one JSON request. out, if not nil, receives the decoded body; an
// empty 2xx body decodes as the empty object.
func (c *Client) do(ctx context.Context, method, path, query string, body, out any) error {
	ctx, cancel := context.WithTimeoutCause(ctx, c.timeout(), ErrTimeout)
	defer cancel()

	req, err := c.newRequest(ctx, method, path, query, body)
	if err != nil {
		return err
	}

	resp, err := c.httpClient().Do(req)
	if err != nil {
		return c.requestError(ctx, method, path, err)
	}
	defer drain(resp.Body)

	if resp.StatusCode/100 != 2 {
		return &StatusError{Method: method, Path: path, Code: resp.StatusCode}
	}
	if out == nil {
		return nil
	}

	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return c.requestError(ctx, method, path, err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		b = []byte("{}")
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("mind: %s %s: %w: %v", method, path, transport.ErrMalformedMessage, err)
	}

	return nil
}

// requestError turns a transport failure into an error that names the step
// and says whether the request's own timeout expired. The URL inside err
// holds no token.
func (c *Client) requestError(ctx context.Context, method, path string, err error) error {
	if errors.Is(context.Cause(ctx), ErrTimeout) && ctx.Err() != nil {
		return fmt.Errorf("mind: %s %s: %w after %v", method, path, ErrTimeout, c.timeout())
	}
	return fmt.Errorf("mind: %s %s: %w", method, path, err)
}

func drain(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}
