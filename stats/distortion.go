package stats

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Thresholds of the distortion rules of protocol §4.3.
const (
	// MinAudioRate is the sample rate (samples/s) under which received
	// audio counts as distorted.
	MinAudioRate = 40000
	// MinVideoRate is the frame rate (fps) under which received video
	// counts as distorted.
	MinVideoRate = 1
	// DistortionGrace is how long after a subscription starts distortions
	// are ignored.
	DistortionGrace = 3 * time.Second
	// DistortionQuiet is how long a distortion must stay away to count as
	// ended.
	DistortionQuiet = 1500 * time.Millisecond
)

// MediaTrackID returns the distortion report's name for one kind of a
// stream: "<label>#audio" or "<label>#video", where label is "conference",
// "<participant id>#primary" or "<participant id>#secondary".
func MediaTrackID(label, kind string) string { return label + "#" + kind }

type distortion struct {
	start    time.Time
	duration time.Duration
}

func (d distortion) ended(now time.Time) bool {
	return now.Sub(d.start.Add(d.duration)) > DistortionQuiet
}

func (d distortion) report(mtid string) string {
	secs := int64(math.Round(d.duration.Seconds()))
	return fmt.Sprintf("1:%s:%d:%d", mtid, d.start.UnixMilli(), secs)
}

// DistortionDetector implements the media-quality reports a client sends on
// the data channel (protocol §4.3). Register a received stream's track when
// its subscription starts, call Tick once per statistics tick with the
// tracks judged distorted, and send each returned report as one text
// message. Not safe for concurrent use; the session's actor owns it.
type DistortionDetector struct {
	registered map[string]time.Time
	active     map[string]distortion
	queued     []string
}

// Register (re)starts the grace period of a media track ID at now.
func (d *DistortionDetector) Register(mtid string, now time.Time) {
	if d.registered == nil {
		d.registered = make(map[string]time.Time)
	}
	d.registered[mtid] = now
}

// Unregister forgets a media track ID whose subscription ended. An active
// distortion of it is still reported once it ends.
func (d *DistortionDetector) Unregister(mtid string) { delete(d.registered, mtid) }

// Distorted says whether received statistics count as distorted: audio
// below [MinAudioRate] samples/s, video below [MinVideoRate] fps.
func Distorted(kind string, rate int) bool {
	if kind == "audio" {
		return rate < MinAudioRate
	}
	return rate < MinVideoRate
}

// Tick runs one statistics tick at now. distorted lists the media track IDs
// whose statistics this tick judged distorted. It returns the reports to
// send now, oldest first.
func (d *DistortionDetector) Tick(now time.Time, distorted []string) []string {
	if d.active == nil {
		d.active = make(map[string]distortion)
	}
	for _, mtid := range distorted {
		reg, ok := d.registered[mtid]
		if !ok || now.Sub(reg) < DistortionGrace {
			continue
		}
		cur, ok := d.active[mtid]
		switch {
		case ok && !cur.ended(now):
			cur.duration = now.Sub(cur.start)
			d.active[mtid] = cur
		default:
			if ok {
				d.queued = append(d.queued, cur.report(mtid))
			}
			d.active[mtid] = distortion{start: now.Add(-time.Second), duration: time.Second}
		}
	}
	var ended []string
	for mtid, cur := range d.active {
		if cur.ended(now) {
			ended = append(ended, mtid)
		}
	}
	slices.SortFunc(ended, func(a, b string) int {
		if c := d.active[a].start.Compare(d.active[b].start); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	for _, mtid := range ended {
		d.queued = append(d.queued, d.active[mtid].report(mtid))
		delete(d.active, mtid)
	}
	out := d.queued
	d.queued = nil
	return out
}
