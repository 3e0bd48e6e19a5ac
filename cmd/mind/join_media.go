package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mindsdk/mindgo/conference"
	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/media"
	"github.com/mindsdk/mindgo/session"
	"github.com/mindsdk/mindgo/stats"
)

// checkStreamFiles checks the files of one stream by extension: at most
// one audio file (.ogg) and either one .h264 file or up to three .ivf
// files (simulcast layers).
func checkStreamFiles(files []string) error {
	var ogg, ivf, h264 int
	for _, f := range files {
		switch strings.ToLower(filepath.Ext(f)) {
		case ".ogg":
			ogg++
		case ".ivf":
			ivf++
		case ".h264", ".264":
			h264++
		default:
			return fmt.Errorf("%w: %s: unknown media type (want .ivf, .ogg or .h264)", errUsage, f)
		}
	}
	switch {
	case ogg > 1:
		return fmt.Errorf("%w: a stream takes at most one .ogg file", errUsage)
	case h264 > 1 || (h264 == 1 && ivf > 0):
		return fmt.Errorf("%w: a stream takes one video: one .h264 file or up to three .ivf layers", errUsage)
	case ivf > 3:
		return fmt.Errorf("%w: a stream takes at most three .ivf layers", errUsage)
	}
	return nil
}

// openStream reads the files of one stream; nil when there are none.
// The sources loop, so a short file plays for as long as the session
// lasts. Several .ivf files become simulcast layers, smallest first.
func openStream(files []string) (*media.Stream, error) {
	if len(files) == 0 {
		return nil, nil
	}
	opts := &media.Options{Loop: true}
	var s media.Stream
	var layers []*media.Clip
	for _, f := range files {
		var c *media.Clip
		var err error
		switch strings.ToLower(filepath.Ext(f)) {
		case ".ogg":
			c, err = media.OpenOgg(f, opts)
		case ".ivf":
			c, err = media.OpenIVF(f, opts)
		default:
			c, err = media.OpenH264(f, opts)
		}
		if err != nil {
			return nil, err
		}
		if media.KindOf(c.Codec().MimeType).String() == "audio" {
			s.Audio = c
		} else {
			layers = append(layers, c)
		}
	}
	if len(layers) > 0 {
		sort.SliceStable(layers, func(a, b int) bool {
			wa, ha := layers[a].Size()
			wb, hb := layers[b].Size()
			return wa*ha < wb*hb
		})
		v := &media.Video{Low: layers[0]}
		if len(layers) > 1 {
			v.Mid = layers[1]
		}
		if len(layers) > 2 {
			v.High = layers[2]
		}
		s.Video = v
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// joinStreams are the streams "mind join" publishes.
type joinStreams struct {
	primary, secondary *media.Stream
}

// openStreams reads the files given with --publish and --secondary.
func (j *joiner) openStreams() (joinStreams, error) {
	var s joinStreams
	var err error
	if s.primary, err = openStream(j.cfg.publish); err != nil {
		return s, fmt.Errorf("--publish: %w", err)
	}
	if s.secondary, err = openStream(j.cfg.secondary); err != nil {
		return s, fmt.Errorf("--secondary: %w", err)
	}
	return s, nil
}

// joinMedia is the media side of "mind join": what it publishes and
// records. Its methods run on the command's event loop only.
type joinMedia struct {
	j      *joiner
	s      *session.Session
	dir    string // "" when not recording
	subs   map[string]*recording
	order  []*recording
	used   map[string]bool
	last   *event.StatisticsUpdated
	closed bool
	// sent says which kinds each publication carries, by label
	// ("me#primary"), so its rows show even while nothing flows.
	sent map[string][2]bool
}

// recording is one received stream being written to files.
type recording struct {
	title string // "conference", "<name>#primary", ...
	sub   *session.Subscription
	audio *fileSink
	video *fileSink
}

// startMedia publishes the streams and starts recording.
func (j *joiner) startMedia(ctx context.Context, s *session.Session, streams joinStreams) (*joinMedia, error) {
	m := &joinMedia{j: j, s: s, subs: map[string]*recording{}, used: map[string]bool{}, sent: map[string][2]bool{}}
	if j.cfg.noMedia {
		return m, nil
	}
	if streams.primary != nil {
		if err := s.SetPrimaryStream(ctx, streams.primary); err != nil {
			return m, fmt.Errorf("publishing the primary stream: %w", err)
		}
		j.log.note("", "publishing", "primary stream: %s", strings.Join(j.cfg.publish, ", "))
		m.sent["me#primary"] = [2]bool{streams.primary.Audio != nil, streams.primary.Video != nil}
	}
	if streams.secondary != nil {
		if err := s.SetSecondaryStream(ctx, streams.secondary); err != nil {
			return m, fmt.Errorf("publishing the secondary stream: %w", err)
		}
		j.log.note("", "publishing", "secondary stream: %s", strings.Join(j.cfg.secondary, ", "))
		m.sent["me#secondary"] = [2]bool{streams.secondary.Audio != nil, streams.secondary.Video != nil}
	}
	if j.cfg.record == "" {
		return m, nil
	}
	if err := ensureDir(j.cfg.record); err != nil {
		return m, err
	}
	m.dir = j.cfg.record
	if err := m.receive(ctx, session.ConferenceStream(), "conference"); err != nil {
		return m, err
	}
	for p := range s.Conference().All() {
		m.follow(ctx, p)
	}
	return m, nil
}

// follow starts recording the streams of p that carry media and are not
// recorded yet.
func (m *joinMedia) follow(ctx context.Context, p conference.Participant) {
	if m.dir == "" || m.closed {
		return
	}
	name := displayName(p.Name, p.ID)
	if p.Media.Audio || p.Media.Video {
		m.ensure(ctx, session.PrimaryStream(p.ID), name+"#primary")
	}
	if p.SecondaryMedia.Audio || p.SecondaryMedia.Video {
		m.ensure(ctx, session.SecondaryStream(p.ID), name+"#secondary")
	}
}

// ensure records target unless a recording of it is running.
func (m *joinMedia) ensure(ctx context.Context, target session.Target, title string) {
	if r, ok := m.subs[target.Label()]; ok && r.sub.Err() == nil {
		return
	}
	if err := m.receive(ctx, target, title); err != nil {
		// The participant may have left meanwhile: report and go on.
		m.j.log.note("", "error", "recording %s: %v", title, err)
	}
}

// receive subscribes to target with a file sink per kind.
func (m *joinMedia) receive(ctx context.Context, target session.Target, title string) error {
	stem := fileStem(m.dir, title, m.used)
	r := &recording{
		title: title,
		audio: newFileSink(stem+"-audio", true),
		video: newFileSink(stem+"-video", false),
	}
	sub, err := m.s.Receive(ctx, target, session.ReceiveOptions{Audio: r.audio, Video: r.video})
	if err != nil {
		return err
	}
	r.sub = sub
	m.subs[target.Label()] = r
	m.order = append(m.order, r)
	m.j.log.note("", "recording", "%s into %s-{audio,video}.*", title, stem)
	return nil
}

// handle follows an event: participants that start publishing, and the
// statistics of the session.
func (m *joinMedia) handle(ctx context.Context, _ *session.Session, ev event.Event) {
	switch e := ev.(type) {
	case event.ParticipantJoined:
		m.follow(ctx, e.Participant)
	case event.ParticipantMediaChanged:
		m.follow(ctx, e.Participant)
	case event.ParticipantSecondaryMediaChanged:
		m.follow(ctx, e.Participant)
	case event.StatisticsUpdated:
		m.last = &e
	}
}

// stats returns the statistics rows of the streams sent and received.
func (m *joinMedia) stats() []streamStats {
	if m.last == nil {
		return nil
	}
	var rows []streamStats
	for _, st := range m.last.Streams {
		title := m.title(st.Label)
		var audio, video media.Counts
		if r, ok := m.subs[st.Label]; ok && st.Direction == stats.Received {
			audio, video = r.sub.Counts()
		}
		if st.Direction == stats.Sent {
			rows = append(rows, sentRows(title, st, m.sent[st.Label])...)
			continue
		}
		rows = append(rows, statsRows(title, st, audio, video)...)
	}
	return rows
}

// title names a stream label for people: participant IDs become names.
func (m *joinMedia) title(label string) string {
	if r, ok := m.subs[label]; ok {
		return r.title
	}
	return label
}

// statsRows turns the statistics of one stream into table rows, one per
// kind it carries.
func statsRows(title string, st event.StreamStatistics, audio, video media.Counts) []streamStats {
	var rows []streamStats
	if st.Audio.Bitrate > 0 || st.Audio.Rate > 0 || audio.Frames > 0 {
		rows = append(rows, streamStats{
			Stream: title, Kind: "audio", Bitrate: st.Audio.Bitrate, Losses: st.Audio.Losses, RTT: st.Audio.RTT,
			Rate: st.Audio.Rate, Level: st.Audio.Level, Frames: audio.Frames, Bytes: audio.Bytes,
		})
	}
	if st.Video.Bitrate > 0 || st.Video.Rate > 0 || video.Frames > 0 {
		rows = append(rows, streamStats{
			Stream: title, Kind: "video", Bitrate: st.Video.Bitrate, Losses: st.Video.Losses, RTT: st.Video.RTT,
			Rate: st.Video.Rate, Width: st.Video.Width, Height: st.Video.Height,
			Frames: video.Frames, Bytes: video.Bytes,
		})
	}
	return rows
}

// sentRows turns the statistics of a publication into table rows, one per
// kind it publishes (kinds: audio, video).
func sentRows(title string, st event.StreamStatistics, kinds [2]bool) []streamStats {
	var rows []streamStats
	if kinds[0] {
		rows = append(rows, streamStats{Stream: title, Kind: "audio", Sent: true, Bitrate: st.Audio.Bitrate,
			Losses: st.Audio.Losses, RTT: st.Audio.RTT, Rate: st.Audio.Rate, Level: st.Audio.Level})
	}
	if kinds[1] {
		rows = append(rows, streamStats{Stream: title, Kind: "video", Sent: true, Bitrate: st.Video.Bitrate,
			Losses: st.Video.Losses, RTT: st.Video.RTT, Rate: st.Video.Rate,
			Width: st.Video.Width, Height: st.Video.Height})
	}
	return rows
}

// close ends the recordings and finishes their files. It may be called
// more than once.
func (m *joinMedia) close() {
	if m.closed {
		return
	}
	m.closed = true
	for _, r := range m.order {
		if err := r.sub.Close(); err != nil && !errors.Is(err, session.ErrClosed) {
			m.j.log.note("", "error", "closing the recording of %s: %v", r.title, err)
		}
	}
}

// files returns the files written, in the order the streams were
// subscribed.
func (m *joinMedia) files() []string {
	var out []string
	for _, r := range m.order {
		for _, f := range []*fileSink{r.audio, r.video} {
			if p := f.file(); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// printRecordings lists the files written, checked with media.Inspect.
func (j *joiner) printRecordings(m *joinMedia) {
	for _, f := range m.files() {
		info, err := media.Inspect(f)
		if err != nil {
			j.log.note("", "file", "%s: invalid: %v", f, err)
			continue
		}
		j.log.note("", "file", "%s: %s, %d frames, %s", f, info.MimeType, info.Frames, info.Duration)
	}
}
