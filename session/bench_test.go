package session

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/mindtest"
	"github.com/mindsdk/mindgo/transport"
)

// BenchmarkEventDelivery measures one notification going through the
// actor (decode, model update, snapshot, fan-out) to n subscribers that
// read concurrently. One op is one event delivered to every subscriber.
func BenchmarkEventDelivery(b *testing.B) {
	for _, n := range []int{1, 8} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			f := newFakeServer(b)
			s := f.join(b, &Options{EventBuffer: 1 << 16})
			c := f.carrier(b)

			var wg sync.WaitGroup
			for range n {
				ch, _ := s.Subscribe()
				wg.Go(func() {
					for e := range ch {
						if _, ok := e.(event.Closed); ok {
							return
						}
					}
				})
			}

			bob := transport.Participant{ID: fakeBob, Priority: 1, Language: "en", Role: transport.RoleSpeaker, Online: true}
			notes := make([]transport.Notification, 2)
			for i := range notes {
				bob.Name = fmt.Sprintf("Bob %d", i)
				notes[i] = participantNote(b, transport.Updated, bob)
			}
			last, _ := s.Subscribe()

			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				c.notify(notes[i%2])
			}
			for range b.N {
				<-last
			}
			b.StopTimer()
			_ = s.Close()
			wg.Wait()
		})
	}
}

// BenchmarkFanout measures only the hand-over of one prebuilt event to n
// subscribers: one allocation (the event in its interface), whatever n.
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{1, 8} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			s := &Session{opts: Options{EventBuffer: 1 << 10}}
			s.a.subs = nil
			var wg sync.WaitGroup
			for range n {
				sub := s.newSubscriber()
				s.a.subs = append(s.a.subs, sub)
				wg.Go(func() {
					for range sub.ch {
					}
				})
			}
			p := bobParticipant()

			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				p.Priority = float64(i)
				s.deliver(event.ParticipantPriorityChanged{Participant: p})
				for _, sub := range s.a.subs {
					for len(sub.ch) > sub.bound/2 {
						runtime.Gosched()
					}
				}
			}
			b.StopTimer()
			for _, sub := range s.a.subs {
				close(sub.ch)
			}
			wg.Wait()
		})
	}
}

// BenchmarkJoin measures a signalling-only Join against mindtest on
// loopback: WebSocket handshake, snapshot read, actor start. Close is not
// timed.
func BenchmarkJoin(b *testing.B) {
	srv, err := mindtest.NewServer(nil)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	conf, err := srv.CreateConference("bench", transport.LayoutMosaic)
	if err != nil {
		b.Fatal(err)
	}
	p, err := conf.CreateParticipant(transport.CreateParticipantRequest{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	opts := &Options{SignallingOnly: true}
	ctx := context.Background()

	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s, err := Join(ctx, conf.URI(), p.Token, opts)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = s.Close()
		_ = conf.WaitOnline(ctx, p.ID, false)
		b.StartTimer()
	}
}

const (
	idleEnv    = "MIND_BENCH_IDLE_SESSIONS" // number of sessions; the benchmark is skipped without it
	idleServer = "MIND_BENCH_IDLE_SERVER"   // set in the child process that runs the server
)

// TestIdleServer is the server half of BenchmarkIdleSessions: it runs only
// in the child process the benchmark starts, so that the server's memory
// and goroutines are not counted against the sessions.
func TestIdleServer(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv(idleServer))
	if n == 0 {
		t.Skip("runs only as the child of BenchmarkIdleSessions")
	}
	srv, err := mindtest.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	// One conference per session: the figure is the cost of a session,
	// not of a model that grows with the number of participants.
	out := bufio.NewWriter(os.Stdout)
	for i := range n {
		conf, err := srv.CreateConference(fmt.Sprint("idle ", i), transport.LayoutMosaic)
		if err != nil {
			t.Fatal(err)
		}
		p, err := conf.CreateParticipant(transport.CreateParticipantRequest{Name: fmt.Sprint("p", i)})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(out, "SESSION", conf.URI(), p.Token)
	}
	fmt.Fprintln(out, "READY")
	_ = out.Flush()
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until the parent is done
}

// BenchmarkIdleSessions opens N idle signalling-only sessions (N from
// MIND_BENCH_IDLE_SESSIONS), each in its own conference, against a
// server in a child process and reports heap bytes and goroutines per
// session. Run it with -benchtime=1x.
func BenchmarkIdleSessions(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv(idleEnv))
	if n == 0 {
		b.Skip("set " + idleEnv + "=1000 to run")
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleServer$", "-test.v")
	cmd.Env = append(os.Environ(), idleServer+"="+strconv.Itoa(n))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = stdin.Close(); _ = cmd.Wait() }()

	var uris, tokens []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "SESSION "); ok {
			uri, tok, _ := strings.Cut(v, " ")
			uris, tokens = append(uris, uri), append(tokens, tok)
		} else if line == "READY" {
			break
		}
	}
	if len(tokens) != n {
		b.Fatalf("child gave %d sessions", len(tokens))
	}
	go func() { // keep the child's pipe drained
		for sc.Scan() {
		}
	}()

	before := heapAndGoroutines()
	sessions := make([]*Session, 0, n)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for i, tok := range tokens {
		s, err := Join(ctx, uris[i], tok, &Options{SignallingOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		sessions = append(sessions, s)
	}
	after := heapAndGoroutines()

	b.ReportMetric(float64(after.heap-before.heap)/float64(n), "heap-B/session")
	b.ReportMetric(float64(after.goroutines-before.goroutines)/float64(n), "goroutines/session")
	for _, s := range sessions {
		_ = s.Close()
	}
	for range b.N {
	}
}

type usage struct {
	heap       uint64
	goroutines int
}

func heapAndGoroutines() usage {
	var m runtime.MemStats
	for range 2 {
		runtime.GC()
	}
	runtime.ReadMemStats(&m)

	return usage{heap: m.HeapAlloc, goroutines: runtime.NumGoroutine()}
}
