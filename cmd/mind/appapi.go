package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/mindsdk/mindgo/transport"
)

// appTokenEnv names the environment variable that holds the application
// token when --app-token is not given.
const appTokenEnv = "MIND_APP_TOKEN"

// requestTimeout bounds each call of the application API.
const requestTimeout = 10 * time.Second

// errUsage marks errors in the command line (exit status 2).
var errUsage = errors.New("usage")

// appClient calls the application API (protocol §13) of any server that
// speaks it.
type appClient struct {
	http  *http.Client
	token string
}

// statusError is a non-2xx answer of the server.
type statusError struct {
	method, path string
	status       int
	reason       string
}

func (e *statusError) Error() string {
	if e.reason != "" {
		return fmt.Sprintf("%s %s: server answered %d: %s", e.method, e.path, e.status, e.reason)
	}
	return fmt.Sprintf("%s %s: server answered %d", e.method, e.path, e.status)
}

// post sends body as JSON to url and decodes the answer into out.
func (c *appClient) post(ctx context.Context, url string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Mind-SDK", "Mind Go SDK command")

	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("POST %s: reading the answer: %w", req.URL.Path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var e transport.ErrorBody
		_ = json.Unmarshal(data, &e)
		return &statusError{method: http.MethodPost, path: req.URL.Path, status: resp.StatusCode, reason: e.Error}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("POST %s: malformed answer: %w", req.URL.Path, err)
	}

	return nil
}

// resolveToken returns the flag value or, when empty, the environment
// variable.
func resolveToken(flagValue string, getenv func(string) string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if v := getenv(appTokenEnv); v != "" {
		return v, nil
	}

	return "", fmt.Errorf("%w: the application token is required (--app-token or %s)", errUsage, appTokenEnv)
}

// applicationURL builds the A1 URL from --server and --app-id. The server
// may be given with the application ID as its path instead.
func applicationURL(server, appID string) (string, error) {
	if server == "" {
		return "", fmt.Errorf("%w: --server is required", errUsage)
	}
	if !strings.HasPrefix(server, "http://") && !strings.HasPrefix(server, "https://") {
		return "", fmt.Errorf("%w: --server must be an http or https URL", errUsage)
	}
	server = strings.TrimRight(server, "/")
	if appID == "" {
		if i := strings.LastIndex(server, "/"); i > len("https://") && transport.IsUUID(server[i+1:]) {
			return server, nil
		}
		return "", fmt.Errorf("%w: --app-id is required (or give --server as URL/APPLICATION_ID)", errUsage)
	}
	if !transport.IsUUID(appID) {
		return "", fmt.Errorf("%w: --app-id must be a lowercase UUID", errUsage)
	}

	return server + "/" + appID, nil
}

// printJSON writes v as one line of JSON.
func printJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)

	return err
}

// fail reports err on stderr and returns the exit status for it.
func fail(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "%s: %s\n", cmd, strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}
