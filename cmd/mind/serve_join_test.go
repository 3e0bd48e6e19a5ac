package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/mindsdk/mindgo/transport"
)

// TestJoinAgainstServe drives a conference from the command line alone:
// "mind serve" runs the server, "conference create" and "participant
// create" set it up over HTTP, "mind join" joins it without media and
// exits 3 when the application ends the conference.
func TestJoinAgainstServe(t *testing.T) {
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	pr, pw := io.Pipe()
	served := make(chan int, 1)
	go func() {
		served <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
	}()
	lines := bufio.NewReader(pr)
	line, err := lines.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the first line: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, lines) }()
	var info serveInfo
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		t.Fatalf("first line %q: %v", line, err)
	}

	code, out, errOut := runCmd(t, "conference", "create", "--server", info.URL+"/"+info.ApplicationID,
		"--app-token", info.ApplicationToken, "--name", "From the shell")
	if code != 0 {
		t.Fatalf("conference create: %d %s", code, errOut)
	}
	conf := mustDecode[conferenceCreated](t, out)
	code, out, errOut = runCmd(t, "participant", "create", "--uri", conf.URI,
		"--app-token", info.ApplicationToken, "--name", "Shell")
	if code != 0 {
		t.Fatalf("participant create: %d %s", code, errOut)
	}
	p := mustDecode[transport.ParticipantWithToken](t, out)

	stdout, stderr, done := startJoin(ctx, "--uri", conf.URI, "--token", p.Token, "--no-media", "--json")
	waitFor(ctx, t, stdout, `"event":"joined"`)

	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, conf.URI, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+info.ApplicationToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("A4 status %d", resp.StatusCode)
	}
	if code := waitExit(ctx, t, done, stderr); code != exitEnded {
		t.Fatalf("join exit %d; stdout %s", code, stdout.String())
	}

	cancel()
	if code := <-served; code != 0 {
		t.Fatalf("serve exit %d", code)
	}
}
