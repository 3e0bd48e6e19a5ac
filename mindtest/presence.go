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
	c.attachLocked(p, r)

	return nil
}

// attachPending registers a participant's data channel that is still
// opening: it is sent every notification from now on but does not count
// for presence until promote.
func (c *Conference) attachPending(r *receiver) error {
	c.mu.Lock()
	defer c.mu.Unlock()

	p, err := c.checkLocked(r.pid)
	if err != nil {
		return err
	}
	if p == nil {
		return fmt.Errorf("%w: the application has no data channel", ErrInvalid)
	}
	p.pending = append(p.pending, r)

	return nil
}

// promote turns a pending channel that has opened into an open one, like
// attach. It fails when the channel was detached or closed meanwhile.
func (c *Conference) promote(r *receiver) error {
	c.mu.Lock()
	defer c.mu.Unlock()

	p, err := c.checkLocked(r.pid)
	if err != nil {
		return err
	}
	if !slices.Contains(p.pending, r) {
		return fmt.Errorf("%w: the channel is gone", ErrOffline)
	}
	p.pending = slices.DeleteFunc(p.pending, func(q *receiver) bool { return q == r })
	c.attachLocked(p, r)

	return nil
}

// attachLocked adds an open channel to p and brings p online.
func (c *Conference) attachLocked(p *participant, r *receiver) {
	p.receivers = append(p.receivers, r)
	if !p.dto.Online {
		p.dto.Online = true
		c.joins++
		p.joined = c.joins
		c.fanoutLocked(encode(transport.Updated, transport.ParticipantLocation(p.dto.ID), p.dto), p.dto.ID)
		c.presenceChangedLocked()
		c.srv.media.reselect(c)
	}
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
	if !ok {
		return
	}
	if slices.Contains(p.pending, r) {
		p.pending = slices.DeleteFunc(p.pending, func(q *receiver) bool { return q == r })
		return
	}
	if !slices.Contains(p.receivers, r) {
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
		rs = append(rs, p.pending...)
	}
	rs = append(rs, c.app...)
	c.mu.Unlock()

	for _, r := range rs {
		r.abort()
	}
}
