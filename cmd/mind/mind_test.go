package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mindsdk/mindgo/mindtest"
	"github.com/mindsdk/mindgo/transport"
)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)

	return ctx
}

// runCmd runs the command line and returns its status, stdout and stderr.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(testContext(t), args, &out, &errOut)

	return code, out.String(), errOut.String()
}

func TestServePrintsInfoAndServes(t *testing.T) {
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, pw, &stderr)
		pw.Close()
	}()

	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the first line: %v", err)
	}
	var info serveInfo
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		t.Fatalf("first line %q: %v", line, err)
	}
	if !strings.HasPrefix(info.URL, "http://127.0.0.1:") || !transport.IsUUID(info.ApplicationID) ||
		info.ApplicationToken == "" {
		t.Fatalf("info %+v", info)
	}

	// The server answers the application API.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, info.URL+"/"+info.ApplicationID,
		strings.NewReader(`{"name":"Served"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+info.ApplicationToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("A1 status %d", resp.StatusCode)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	if strings.Contains(stderr.String(), info.ApplicationToken) {
		t.Fatal("the token was logged")
	}
}

func TestCreateCommands(t *testing.T) {
	srv, err := mindtest.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	code, out, errOut := runCmd(t, "conference", "create", "--server", srv.URL(), "--app-id", srv.ApplicationID(),
		"--app-token", srv.ApplicationToken(), "--name", "Standup", "--layout", "selector")
	if code != 0 {
		t.Fatalf("conference create: %d %s", code, errOut)
	}
	var conf conferenceCreated
	if err := json.Unmarshal([]byte(out), &conf); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	u, err := transport.ParseConferenceURI(conf.URI)
	if err != nil || u.ConferenceID != conf.ID || conf.Name != "Standup" || conf.Layout != transport.LayoutSelector {
		t.Fatalf("conference %+v (%v)", conf, err)
	}

	// The token can come from the environment, the app ID from the URL.
	t.Setenv(appTokenEnv, srv.ApplicationToken())
	code, out, errOut = runCmd(t, "participant", "create", "--uri", conf.URI, "--name", "Bo", "--role", "moderator")
	if code != 0 {
		t.Fatalf("participant create: %d %s", code, errOut)
	}
	p := mustDecode[transport.ParticipantWithToken](t, out)
	if p.Name != "Bo" || p.Role != transport.RoleModerator || p.Token == "" {
		t.Fatalf("participant %+v", p)
	}
	c, ok := srv.Conference(conf.ID)
	if !ok {
		t.Fatal("conference not on the server")
	}
	if got, ok := c.Participant(p.ID); !ok || got.Name != "Bo" {
		t.Fatalf("participant on the server: %+v", got)
	}
	code, _, errOut = runCmd(t, "conference", "create", "--server", srv.URL()+"/"+srv.ApplicationID())
	if code != 0 {
		t.Fatalf("conference create with URL/APP: %d %s", code, errOut)
	}

	// A refusal of the server is reported with its status.
	code, _, errOut = runCmd(t, "participant", "create", "--uri", conf.URI, "--app-token", "forged")
	if code != 1 || !strings.Contains(errOut, "401") || strings.Contains(errOut, "forged") {
		t.Fatalf("forged token: %d %q", code, errOut)
	}
}

func mustDecode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}

	return v
}

func TestBadCommandLines(t *testing.T) {
	t.Setenv(appTokenEnv, "")
	t.Setenv("MIND_APP_ID", "")
	app := "0c7a8f2e-1b3d-4e5f-9a6b-7c8d9e0f1a2b"
	uri := "http://127.0.0.1:1/" + app + "/5f4e3d2c-1b0a-4987-8654-3210fedcba98"
	dead := "http://127.0.0.1:1"

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "usage: mind"},
		{"unknown command", []string{"fly"}, `unknown command "fly"`},
		{"unknown subcommand", []string{"conference", "delete"}, `unknown command "conference delete"`},
		{"unknown flag", []string{"serve", "--port", "1"}, "flag provided but not defined"},
		{"serve extra argument", []string{"serve", "now"}, "unexpected argument"},
		{"no server", []string{"conference", "create", "--app-token", "x"}, "--server is required"},
		{"no app id", []string{"conference", "create", "--server", dead, "--app-token", "x"}, "--app-id is required"},
		{"bad server", []string{"conference", "create", "--server", "127.0.0.1:1", "--app-token", "x"}, "http or https"},
		{"no token", []string{"conference", "create", "--server", dead, "--app-id", app}, "token is required"},
		{"bad layout", []string{"conference", "create", "--layout", "grid"}, "--layout"},
		{"bad uri", []string{"participant", "create", "--uri", "http://x/1/2", "--app-token", "x"}, "--uri"},
		{"bad role", []string{"participant", "create", "--uri", uri, "--app-token", "x", "--role", "king"}, "--role"},
		{"bad language", []string{"participant", "create", "--uri", uri, "--app-token", "x", "--language", "x"},
			"--language"},
	} {
		code, _, errOut := runCmd(t, tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", tc.name, code, errOut, tc.want)
		}
	}

	if code, _, _ := runCmd(t, "help"); code != 0 {
		t.Errorf("help: exit %d", code)
	}
	if code, _, _ := runCmd(t, "serve", "-h"); code != 0 {
		t.Errorf("serve -h: exit %d", code)
	}
	code, _, errOut := runCmd(t, "serve", "--addr", "256.0.0.1:99999")
	if code != 1 || !strings.Contains(errOut, "listen") {
		t.Errorf("bad address: exit %d, %q", code, errOut)
	}
}
