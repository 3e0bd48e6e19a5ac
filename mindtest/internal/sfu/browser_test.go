package sfu

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestBrowser runs testdata/browser/page.html in headless Chromium against
// the engine: a real browser publishes (simulcast, VP8 or H.264), subscribes
// to its own streams and the conference stream, applies limits, turns its
// publications off and on, and parks and reuses a receive slot; it checks
// decoded frames after every step. It needs Chromium and runs only when
// SFU_BROWSER is set (for example SFU_BROWSER=chromium).
func TestBrowser(t *testing.T) {
	browser := os.Getenv("SFU_BROWSER")
	if browser == "" {
		t.Skip("set SFU_BROWSER to a Chromium binary to run")
	}
	if _, err := exec.LookPath(browser); err != nil {
		t.Skipf("%s not found", browser)
	}
	page, err := os.ReadFile(filepath.Join("testdata", "browser", "page.html"))
	require.NoError(t, err)
	for _, variant := range []string{"vp8", "h264"} {
		t.Run(variant, func(t *testing.T) { runBrowser(t, browser, page, variant) })
	}
}

func runBrowser(t *testing.T, browser string, page []byte, variant string) {
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	e := newTestEngine(t)
	room, err := e.NewRoom(RoomConfig{})
	require.NoError(t, err)

	logs := make(chan string, 64)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(page) })
	mux.HandleFunc("POST /log", func(_ http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		select {
		case logs <- string(b):
		case <-ctx.Done():
		}
	})
	mux.HandleFunc("POST /offer", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		answer, err := room.Offer(r.Context(), r.URL.Query().Get("pid"), string(b))
		if err != nil {
			http.Error(w, err.Error(), http.StatusConflict)

			return
		}
		_, _ = io.WriteString(w, answer)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	defer func() {
		_ = srv.Close()
		<-served
	}()

	cmd := exec.CommandContext(ctx, browser, "--headless=new", "--no-sandbox", "--disable-gpu",
		"--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
		"--user-data-dir="+t.TempDir(), "http://"+ln.Addr().String()+"/?"+variant)
	require.NoError(t, cmd.Start())
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	for {
		select {
		case m := <-logs:
			t.Log(m)
			if m == "DONE" {
				return
			}
			if strings.HasPrefix(m, "FAIL") {
				t.Fatal(m)
			}
		case <-ctx.Done():
			t.Fatal("the page did not finish")
		}
	}
}
