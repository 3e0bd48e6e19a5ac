package mindtest

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mindsdk/mindgo/transport"
)

// TestConcurrentClientsSeeOneOrder connects 50 WebSocket clients, runs
// 1,000 concurrent PATCHes, and checks that every client saw the same
// changes in the same order, ending in the server's final state.
func TestConcurrentClientsSeeOneOrder(t *testing.T) {
	t.Parallel()
	const clients, patches, workers = 50, 1000, 50

	s := newTestServer(t, nil)
	c, err := s.CreateConference("Load", "")
	if err != nil {
		t.Fatal(err)
	}
	mod := mustParticipant(t, c, "Mo", transport.RoleModerator)
	target := mustParticipant(t, c, "Target", transport.RoleAttendee)

	ws := make([]*wsClient, clients)
	for i := range ws {
		p := mustParticipant(t, c, "C"+strconv.Itoa(i), transport.RoleAttendee)
		ws[i] = dialWS(t, c, p.Token)
	}
	// Everyone has seen everyone else connect once the barrier arrives.
	barrier := func(name string) {
		if err := c.Rename(name); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Now()
	barrier("start")
	for _, w := range ws {
		for {
			n := w.nextNotification(t)
			if n.Location == transport.LocationConference {
				break
			}
		}
	}

	t.Logf("connect: %v", time.Since(t0))
	t0 = time.Now()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()
	jobs := make(chan int)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				if err := patchPriority(t, client, c, mod.Token, target.ID, i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for i := range patches {
		jobs <- i + 2 // 1 is the initial priority and would change nothing
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	barrier("stop")
	t.Logf("patch: %v", time.Since(t0))
	t0 = time.Now()

	// Clients compare the raw texts; only the last one is decoded.
	end := encodedConference(t, c)
	var first []string
	for k, w := range ws {
		var order []string
		for {
			m := w.next(t)
			if m == end {
				break
			}
			order = append(order, m)
		}
		if len(order) != patches {
			t.Fatalf("client %d saw %d changes, want %d", k, len(order), patches)
		}
		if k == 0 {
			first = order
			continue
		}
		for i := range order {
			if order[i] != first[i] {
				t.Fatalf("client %d differs from client 0 at %d: %s vs %s", k, i, order[i], first[i])
			}
		}
	}
	t.Logf("verify: %v", time.Since(t0))
	last := decodeJSON[transport.Notification](t, []byte(first[len(first)-1]))
	if p, _ := c.Participant(target.ID); p != decodeJSON[transport.Participant](t, last.Resource) {
		t.Fatalf("final state %+v, last notification %s", p, last.Resource)
	}
}

// encodedConference returns the text of the notification the current
// conference state was announced with.
func encodedConference(t *testing.T, c *Conference) string {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()

	return encode(transport.Updated, transport.LocationConference, c.conferenceDTOLocked())
}

func patchPriority(t *testing.T, client *http.Client, c *Conference, token, id string, v int) error {
	req, err := http.NewRequestWithContext(testContext(t), http.MethodPatch,
		c.URI()+"/participants/"+id, stringsBody(fmt.Sprintf(`{"priority": %d}`, v)))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("PATCH %d: status %d", v, resp.StatusCode)
	}

	return nil
}
