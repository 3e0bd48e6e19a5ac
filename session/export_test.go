package session

import "time"

// WithBackoff returns a copy of o whose recovery delays come from f, so
// tests need not wait whole seconds.
func WithBackoff(o *Options, f func(attempt int) time.Duration) *Options {
	c := Options{}
	if o != nil {
		c = *o
	}
	c.backoff = f

	return &c
}
