package mindtest

import (
	"fmt"
	"slices"

	"github.com/mindsdk/mindgo/transport"
)

// attach registers an open notification channel. The first channel of a
// participant brings it online and tells the others.
func (c *Conference) attach(r *receiver) error {
	c.mu.Lock()
	defer c.mu.Unlock()

	p, err := c.checkLocked(r.pid)
	if err != nil {
		return err
	}
	if p == nil {
		c.app = append(c.app, r)
		return nil
	}
	p.receivers = append(p.receivers, r)
	if !p.dto.Online {
		p.dto.Online = true
		c.fanoutLocked(encode(transport.Updated, transport.ParticipantLocation(p.dto.ID), p.dto), p.dto.ID)
		c.presenceChangedLocked()
		c.srv.media.reselect(c)
	}

	return nil
}

// detach forgets a notification channel that has closed. When a
// participant loses its last channel it goes offline, its media flags
// are cleared and the others are told. Detaching twice is harmless.
func (c *Conference) detach(r *receiver) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if r.pid == "" {
		c.app = slices.DeleteFunc(c.app, func(q *receiver) bool { return q == r })
		return
	}
	p, ok := c.byID[r.pid]
	if !ok || !slices.Contains(p.receivers, r) {
		return
	}
	p.receivers = slices.DeleteFunc(p.receivers, func(q *receiver) bool { return q == r })
	if len(p.receivers) == 0 {
		c.goOfflineLocked(p)
	}
}

// goOfflineLocked marks p offline and tells the others.
func (c *Conference) goOfflineLocked(p *participant) {
	if !p.dto.Online || c.ended {
		return
	}
	p.dto.Online = false
	p.dto.Media = transport.MediaFlags{}
	p.dto.SecondaryMedia = transport.MediaFlags{}
	c.fanoutLocked(encode(transport.Updated, transport.ParticipantLocation(p.dto.ID), p.dto), p.dto.ID)
	c.presenceChangedLocked()
	c.srv.media.reselect(c)
}

// setMedia records what participant id publishes and tells the others
// when it changed. It is the entry point for the media engine.
func (c *Conference) setMedia(id string, primary, secondary transport.MediaFlags) error {
	c.mu.Lock()
	defer c.mu.Unlock()

	if _, err := c.checkLocked(""); err != nil {
		return err
	}
	p, ok := c.byID[id]
	if !ok {
		return fmt.Errorf("%w: participant", ErrNotFound)
	}
	if p.dto.Media == primary && p.dto.SecondaryMedia == secondary {
		return nil
	}
	p.dto.Media, p.dto.SecondaryMedia = primary, secondary
	c.fanoutLocked(encode(transport.Updated, transport.ParticipantLocation(id), p.dto), id)
	c.srv.media.reselect(c)

	return nil
}

// dropAll aborts every channel of the conference; used when the server
// closes.
func (c *Conference) dropAll() {
	c.mu.Lock()
	var rs []*receiver
	for _, p := range c.order {
		rs = append(rs, p.receivers...)
	}
	rs = append(rs, c.app...)
	c.mu.Unlock()

	for _, r := range rs {
		r.abort()
	}
}
