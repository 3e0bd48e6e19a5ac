package session

import "sync"

// mailbox is the actor's inbox: an unbounded FIFO that never blocks the
// sender, so that transport callbacks, request goroutines and API callers
// can always hand over their message and move on.
type mailbox struct {
	// ready holds a token while items is not empty (capacity 1).
	ready chan struct{}

	mu    sync.Mutex // guards items
	items []any
}

func newMailbox() *mailbox {
	return &mailbox{ready: make(chan struct{}, 1)}
}

// put appends m and wakes the actor.
func (b *mailbox) put(m any) {
	b.mu.Lock()
	b.items = append(b.items, m)
	b.mu.Unlock()

	select {
	case b.ready <- struct{}{}:
	default:
	}
}

// take removes and returns every item, handing spare back to the mailbox
// as the next buffer so the two slices are reused.
func (b *mailbox) take(spare []any) []any {
	clear(spare)

	b.mu.Lock()
	items := b.items
	b.items = spare[:0]
	b.mu.Unlock()

	return items
}

// find reports whether an item satisfies f, without removing anything.
func (b *mailbox) find(f func(any) bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()

	for _, m := range b.items {
		if f(m) {
			return true
		}
	}

	return false
}
