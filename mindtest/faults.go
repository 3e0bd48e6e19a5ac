package mindtest

import (
	"net/http"
	"slices"
	"sync"
	"time"
)

// faults holds the injected failures and delays, consumed in the order
// they were added.
type faults struct {
	mu     sync.Mutex
	fails  []*failRule
	delays []*delayRule
}

type failRule struct {
	left   int
	status int
	match  func(*http.Request) bool
}

type delayRule struct {
	left  int
	d     time.Duration
	match func(*http.Request) bool
}

// FailNext makes the next n requests for which match returns true (every
// request when match is nil) fail with status and an error body, without
// touching any state. Rules added earlier are consumed first. A status
// outside 200..599 is replaced by 500.
func (s *Server) FailNext(n int, status int, match func(*http.Request) bool) {
	if n <= 0 {
		return
	}
	if status < 200 || status > 599 {
		status = http.StatusInternalServerError
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()

	s.faults.fails = append(s.faults.fails, &failRule{left: n, status: status, match: match})
}

// DelayNext holds the next n matching requests (every request when match
// is nil) for d before handling them. A request whose context ends during
// the delay, or that is still waiting when the server closes, is dropped
// without touching any state.
func (s *Server) DelayNext(n int, d time.Duration, match func(*http.Request) bool) {
	if n <= 0 {
		return
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()

	s.faults.delays = append(s.faults.delays, &delayRule{left: n, d: d, match: match})
}

// take returns the status to fail r with (0 for none) and the delay to
// apply, consuming one use of each matching rule.
func (f *faults) take(r *http.Request) (status int, delay time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()

	for _, rule := range f.fails {
		if rule.match == nil || rule.match(r) {
			rule.left--
			status = rule.status
			break
		}
	}
	f.fails = slices.DeleteFunc(f.fails, func(r *failRule) bool { return r.left <= 0 })
	if status != 0 {
		return status, 0
	}

	for _, rule := range f.delays {
		if rule.match == nil || rule.match(r) {
			rule.left--
			delay = rule.d
			break
		}
	}
	f.delays = slices.DeleteFunc(f.delays, func(r *delayRule) bool { return r.left <= 0 })

	return 0, delay
}

// RecordedRequest is one request the server received.
type RecordedRequest struct {
	// Method is the HTTP method.
	Method string
	// Path is the request path with its query, as sent.
	Path string
	// Header is a copy of the request headers (Authorization included).
	Header http.Header
	// Body is the request body (at most the size limit plus one byte).
	Body []byte
	// Time is when the server received the request.
	Time time.Time
}

// recorder keeps every request.
type recorder struct {
	mu   sync.Mutex
	reqs []RecordedRequest
}

func (r *recorder) add(req RecordedRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()

	r.reqs = append(r.reqs, req)
}

// Requests returns every request received so far, oldest first, CORS
// preflights included.
func (s *Server) Requests() []RecordedRequest {
	s.record.mu.Lock()
	defer s.record.mu.Unlock()

	return slices.Clone(s.record.reqs)
}

// SDKHeaders returns the distinct Mind-SDK header values seen so far, in
// order of first appearance.
func (s *Server) SDKHeaders() []string {
	s.record.mu.Lock()
	defer s.record.mu.Unlock()

	var out []string
	for _, r := range s.record.reqs {
		if v := r.Header.Get("Mind-SDK"); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}

	return out
}
