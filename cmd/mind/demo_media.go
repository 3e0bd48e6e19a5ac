package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/media"
	"github.com/mindsdk/mindgo/session"
	"github.com/mindsdk/mindgo/stats"
)

// demoMedia is the media side of the demo: who publishes what, who records
// what, and the counters of every recorded stream.
type demoMedia struct {
	d    *demo
	recs []*demoRec

	mu   sync.Mutex
	sent map[*demoPart]event.StreamStatistics // latest figures of each publication
	// kinds says what each participant publishes: audio, video.
	kinds map[*demoPart][2]bool
}

// demoRec is one stream a participant records.
type demoRec struct {
	who   *demoPart
	title string
	sub   *session.Subscription
	audio *fileSink // nil when the audio is not recorded
	video *fileSink // nil when the video is not recorded
}

func newDemoMedia(d *demo) *demoMedia {
	return &demoMedia{d: d, sent: make(map[*demoPart]event.StreamStatistics), kinds: make(map[*demoPart][2]bool)}
}

// start publishes the streams and starts the recordings: the presenter
// publishes its primary stream, the moderator a secondary stream; the
// moderator records the presenter, the attendees record the presenter, the
// moderator's secondary stream and the conference stream.
func (m *demoMedia) start(ctx context.Context) error {
	moderator, presenter := m.d.parts[0], m.d.parts[1]
	primary, secondary, from, err := demoStreams()
	if err != nil {
		return fmt.Errorf("loading the media: %w", err)
	}
	m.d.log.note("demo", "media", "publishing from %s", from)
	if err := presenter.s.SetPrimaryStream(ctx, primary); err != nil {
		return fmt.Errorf("%s publishing: %w", presenter.name, err)
	}
	m.d.log.note(presenter.name, "publishing", "primary stream: video in %d layer(s) and audio",
		len(primary.Video.Layers()))
	if err := moderator.s.SetSecondaryStream(ctx, secondary); err != nil {
		return fmt.Errorf("%s publishing: %w", moderator.name, err)
	}
	m.d.log.note(moderator.name, "publishing", "secondary stream: video")
	m.mu.Lock()
	m.kinds[presenter] = [2]bool{true, true}
	m.kinds[moderator] = [2]bool{false, true}
	m.mu.Unlock()

	// Each recorder records a list of streams: what to receive, a title,
	// and whether to keep its audio and its video.
	type plan struct {
		target       session.Target
		title        string
		audio, video bool
	}
	ofPresenter := plan{session.PrimaryStream(presenter.id), presenter.name + "-primary", true, true}
	ofModerator := plan{session.SecondaryStream(moderator.id), moderator.name + "-secondary", false, true}
	mixed := plan{session.ConferenceStream(), "conference", true, true}

	used := make(map[string]bool)
	for _, p := range m.d.parts {
		var plans []plan
		switch p {
		case presenter:
			continue
		case moderator:
			plans = []plan{ofPresenter}
		default:
			plans = []plan{ofPresenter, ofModerator, mixed}
		}
		for _, pl := range plans {
			if err := m.record(ctx, p, pl.target, pl.title, pl.audio, pl.video, used); err != nil {
				return err
			}
		}
	}

	return nil
}

// record makes who receive target into files under the output directory.
func (m *demoMedia) record(ctx context.Context, who *demoPart, target session.Target, title string,
	audio, video bool, used map[string]bool) error {
	dir := filepath.Join(m.d.cfg.out, sanitize(who.name))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r := &demoRec{who: who, title: title}
	var opts session.ReceiveOptions
	if audio {
		r.audio = newFileSink(fileBase(dir, title, "audio", used), true)
		opts.Audio = r.audio
	}
	if video {
		r.video = newFileSink(fileBase(dir, title, "video", used), false)
		opts.Video = r.video
	}
	// Receiving a participant's stream needs the participant in the
	// model, which a session that joined early learns from a
	// notification: retry until it has arrived.
	var sub *session.Subscription
	var err error
	deadline := time.Now().Add(5 * time.Second)
	for {
		sub, err = who.s.Receive(ctx, target, opts)
		if err == nil || !errors.Is(err, session.ErrNotFound) || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		// Receive closed the sinks it was given: make new ones.
		if audio {
			r.audio = newFileSink(r.audio.base, true)
			opts.Audio = r.audio
		}
		if video {
			r.video = newFileSink(r.video.base, false)
			opts.Video = r.video
		}
	}
	if err != nil {
		return fmt.Errorf("%s receiving %s: %w", who.name, title, err)
	}
	r.sub = sub
	m.recs = append(m.recs, r)
	m.d.log.note(who.name, "recording", "%s", title)
	return nil
}

// noteStatistics keeps the latest figures of what p publishes.
func (m *demoMedia) noteStatistics(p *demoPart, e event.StatisticsUpdated) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, st := range e.Streams {
		if st.Direction == stats.Sent {
			m.sent[p] = st
		}
	}
}

// stats returns a row per kind of every stream sent and recorded.
func (m *demoMedia) stats() []streamStats {
	var rows []streamStats
	m.mu.Lock()
	for _, p := range m.d.parts {
		if st, ok := m.sent[p]; ok {
			for _, row := range sentRows(st.Label, st, m.kinds[p]) {
				row.Who = p.name
				rows = append(rows, row)
			}
		}
	}
	m.mu.Unlock()
	for _, r := range m.recs {
		audio, video := r.sub.Counts()
		st := r.sub.Statistics()
		for _, row := range statsRows(r.title, st, audio, video) {
			row.Who = r.who.name
			if (row.Kind == "audio" && r.audio != nil) || (row.Kind == "video" && r.video != nil) {
				rows = append(rows, row)
			}
		}
	}
	return rows
}

// close ends the recordings and finishes their files.
func (m *demoMedia) close() {
	for _, r := range m.recs {
		_ = r.sub.Close() // errors are about the session having ended
	}
}

// check adds what every recorded stream received and the files written to
// res, and a problem for every stream without frames or invalid file.
func (m *demoMedia) check(res *demoResult) {
	for _, r := range m.recs {
		audio, video := r.sub.Counts()
		for _, k := range []struct {
			kind   string
			sink   *fileSink
			counts media.Counts
		}{{"audio", r.audio, audio}, {"video", r.video, video}} {
			if k.sink == nil {
				continue
			}
			res.streams = append(res.streams, streamResult{
				Who: r.who.name, Stream: r.title, Kind: k.kind, Frames: k.counts.Frames, Bytes: k.counts.Bytes,
			})
			if k.counts.Frames == 0 {
				res.problems = append(res.problems, fmt.Sprintf("%s received no %s frames of %s",
					r.who.name, k.kind, r.title))
			}
			path := k.sink.file()
			if path == "" {
				res.problems = append(res.problems,
					fmt.Sprintf("%s wrote no %s file of %s", r.who.name, k.kind, r.title))
				continue
			}
			fr := fileResult{Path: path}
			info, err := media.Inspect(path)
			switch {
			case err != nil:
				fr.Error = err.Error()
			case info.Frames == 0:
				fr.Error = "no frames"
			default:
				fr.MimeType, fr.Frames, fr.Duration = info.MimeType, info.Frames, info.Duration
				fr.Millis = info.Duration.Milliseconds()
			}
			if fr.Error != "" {
				res.problems = append(res.problems, fmt.Sprintf("%s: %s", path, fr.Error))
			}
			res.files = append(res.files, fr)
		}
	}
}

// sampleDir finds the repository's testdata/media directory from the
// working directory or one of its parents, or returns "".
func sampleDir() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for range 8 {
		cand := filepath.Join(dir, "testdata", "media")
		if _, err := os.Stat(filepath.Join(cand, "video-640x360.ivf")); err == nil {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return ""
}

// demoStreams returns what the presenter publishes as its primary stream
// and the moderator as its secondary one: the sample files of the
// repository when they can be found, else the media embedded in package
// media. The returned text says which.
func demoStreams() (primary, secondary *media.Stream, from string, err error) {
	loop := &media.Options{Loop: true}
	if dir := sampleDir(); dir != "" {
		primary, err = openStream([]string{
			filepath.Join(dir, "video-160x90.ivf"),
			filepath.Join(dir, "video-320x180.ivf"),
			filepath.Join(dir, "video-640x360.ivf"),
			filepath.Join(dir, "audio.ogg"),
		})
		if err == nil {
			var mid *media.Clip
			mid, err = media.OpenIVF(filepath.Join(dir, "video-320x180.ivf"), loop)
			if err == nil {
				secondary = &media.Stream{Video: media.SingleLayer(mid)}
				return primary, secondary, dir, nil
			}
		}
	}
	video, err := media.TestPattern(loop)
	if err != nil {
		return nil, nil, "", err
	}
	tone, err := media.TestTone(loop)
	if err != nil {
		return nil, nil, "", err
	}
	primary = &media.Stream{Audio: tone, Video: video}
	secondary = &media.Stream{Video: media.SingleLayer(video.Mid)}
	return primary, secondary, "the test media embedded in package media", nil
}
