package session

import (
	"sync/atomic"
	"testing"
)

// A kind takes the codec of its first packet; packets of another codec are
// dropped, counted and reported once.
func TestMediaSubKindKeepsItsFirstCodec(t *testing.T) {
	var warnings atomic.Int32
	k := &subKind{mtid: "x", log: func(string, ...any) { warnings.Add(1) }}
	if !k.accept("video/VP8") || !k.accept("video/vp8") {
		t.Fatal("the first codec is refused")
	}
	for range 3 {
		if k.accept("video/H264") {
			t.Fatal("a packet of another codec is accepted")
		}
	}
	if !k.accept("video/VP8") {
		t.Fatal("the first codec is refused after a switch")
	}
	if got := k.dropped.Load(); got != 3 {
		t.Errorf("dropped = %d, want 3", got)
	}
	if got := warnings.Load(); got != 1 {
		t.Errorf("warnings = %d, want 1", got)
	}
	u := &Subscription{kinds: [2]*subKind{nil, k}}
	if a, v := u.Dropped(); a != 0 || v != 3 {
		t.Errorf("Dropped() = %d, %d, want 0, 3", a, v)
	}
}
