package mindtest

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mindsdk/mindgo/transport"
)

// BenchmarkFanOut measures a conference change delivered over WebSocket
// to 20 participants: time per change, until every client has read all
// of them.
func BenchmarkFanOut(b *testing.B) {
	const clients = 20
	s, err := NewServer(nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c, err := s.CreateConference("Bench", "")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	ws := make([]*wsClient, clients)
	for i := range ws {
		p, err := c.CreateParticipant(transport.CreateParticipantRequest{Name: "P" + strconv.Itoa(i)})
		if err != nil {
			b.Fatal(err)
		}
		if ws[i], err = tryDialWS(ctx, c, p.Token); err != nil {
			b.Fatal(err)
		}
		defer ws[i].shutdown()
	}

	last := `"name":"end"`
	var wg sync.WaitGroup
	b.ResetTimer()
	for _, w := range ws {
		wg.Go(func() {
			for m := range w.msgs {
				if strings.Contains(m, last) {
					return
				}
			}
		})
	}
	for i := range b.N {
		if err := c.Rename("n" + strconv.Itoa(i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Rename("end"); err != nil {
		b.Fatal(err)
	}
	wg.Wait()
}
