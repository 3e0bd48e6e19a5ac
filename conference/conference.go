package conference

import (
	"iter"
	"slices"

	"github.com/mindsdk/mindgo/transport"
)

// Conference is an immutable snapshot of the conference model: its own
// fields, the local participant and the online remote participants in
// snapshot order followed by join order.
//
// The local participant is not one of the remote participants: looking up
// Me's ID with [Conference.Participant] finds nothing (the JS SDK mixed the
// two, quirk Q4 of the protocol). The zero value is an empty conference.
type Conference struct {
	id            string
	applicationID string
	name          string
	layout        Layout
	recording     bool
	me            Me

	// participants is never modified after the snapshot is built; index
	// maps an ID to its position and is shared between snapshots that
	// have the same membership.
	participants []*Participant
	index        map[string]int
}

// New builds a snapshot from a conference resource as returned by the
// participant API's detailed read (R1): element 0 of its participants is
// the local participant, the online ones among the rest are the remote
// participants. applicationID is the application the conference belongs to.
func New(applicationID string, c transport.Conference) *Conference {
	conf := &Conference{
		id:            c.ID,
		applicationID: applicationID,
		name:          c.Name,
		layout:        c.Layout,
		recording:     c.Recording.Started,
	}
	if len(c.Participants) == 0 {
		conf.index = map[string]int{}
		return conf
	}

	conf.me = MeFrom(c.Participants[0])
	conf.index = make(map[string]int, len(c.Participants)-1)
	for _, p := range c.Participants[1:] {
		if _, dup := conf.index[p.ID]; !p.Online || p.ID == conf.me.ID || dup {
			continue
		}
		v := ParticipantFrom(p)
		conf.index[p.ID] = len(conf.participants)
		conf.participants = append(conf.participants, &v)
	}

	return conf
}

func (c *Conference) reindex() {
	c.index = make(map[string]int, len(c.participants))
	for i, p := range c.participants {
		c.index[p.ID] = i
	}
}

// ID returns the conference ID.
func (c *Conference) ID() string { return c.id }

// ApplicationID returns the ID of the application the conference belongs to.
func (c *Conference) ApplicationID() string { return c.applicationID }

// Name returns the conference name.
func (c *Conference) Name() string { return c.name }

// Layout returns the layout, which is fixed when the conference is created.
func (c *Conference) Layout() Layout { return c.layout }

// Recording reports whether the conference is being recorded.
func (c *Conference) Recording() bool { return c.recording }

// Me returns the local participant.
func (c *Conference) Me() Me { return c.me }

// Len returns the number of online remote participants.
func (c *Conference) Len() int { return len(c.participants) }

// Participants returns a new slice with the online remote participants, in
// snapshot order followed by join order.
func (c *Conference) Participants() []Participant {
	out := make([]Participant, len(c.participants))
	for i, p := range c.participants {
		out[i] = *p
	}
	return out
}

// All iterates over the online remote participants in the order of
// [Conference.Participants] without copying the list.
func (c *Conference) All() iter.Seq[Participant] {
	return func(yield func(Participant) bool) {
		for _, p := range c.participants {
			if !yield(*p) {
				return
			}
		}
	}
}

// Participant looks up an online remote participant by ID. The local
// participant is never found here; use [Conference.Me].
func (c *Conference) Participant(id string) (Participant, bool) {
	i, ok := c.index[id]
	if !ok {
		return Participant{}, false
	}
	return *c.participants[i], true
}

func (c *Conference) clone() *Conference {
	cp := *c
	return &cp
}

// WithName returns a copy with the conference name set to name.
func (c *Conference) WithName(name string) *Conference {
	cp := c.clone()
	cp.name = name
	return cp
}

// WithRecording returns a copy with the recording flag set to on.
func (c *Conference) WithRecording(on bool) *Conference {
	cp := c.clone()
	cp.recording = on
	return cp
}

// WithMe returns a copy whose local participant is me.
func (c *Conference) WithMe(me Me) *Conference {
	cp := c.clone()
	cp.me = me
	return cp
}

// WithParticipant returns a copy in which p replaces the remote participant
// with the same ID, or is appended when that ID is not yet in the model. A
// participant with Me's ID is not added.
func (c *Conference) WithParticipant(p Participant) *Conference {
	if p.ID == c.me.ID && p.ID != "" {
		return c
	}

	cp := c.clone()
	cp.participants = slices.Clone(c.participants)
	if i, ok := c.index[p.ID]; ok {
		cp.participants[i] = &p
		return cp
	}

	cp.participants = append(cp.participants, &p)
	cp.reindex()

	return cp
}

// Without returns a copy without the remote participant id, and whether it
// was there. When it was not, the receiver itself is returned.
func (c *Conference) Without(id string) (*Conference, bool) {
	i, ok := c.index[id]
	if !ok {
		return c, false
	}

	cp := c.clone()
	cp.participants = slices.Delete(slices.Clone(c.participants), i, i+1)
	cp.reindex()

	return cp, true
}
