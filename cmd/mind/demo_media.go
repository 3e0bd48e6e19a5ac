package main

import (
	"context"
	"os"
	"path/filepath"

	"github.com/mindsdk/mindgo/media"
)

// demoMediaAvailable says whether the demo's sessions carry media.
//
// Sessions with media are not available in package session yet, so the
// demo joins signalling-only sessions and skips the media checks.
const demoMediaAvailable = false

// demoMedia is the media side of the demo: who publishes what, who records
// what, and the counters of every recorded stream.
type demoMedia struct {
	d *demo
}

func newDemoMedia(d *demo) *demoMedia { return &demoMedia{d: d} }

// start publishes the streams and starts the recordings.
func (m *demoMedia) start(context.Context) error {
	if !demoMediaAvailable {
		m.d.log.note("demo", "media", "media sessions are not available in this build: signalling only")
	}
	return nil
}

// stats returns a row per recorded stream.
func (m *demoMedia) stats() []streamStats { return nil }

// close stops publishing and finishes the recordings.
func (m *demoMedia) close() {}

// check adds what every recorded stream received and the files written to
// res, and a problem for every stream without frames or invalid file.
func (m *demoMedia) check(*demoResult) {}

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
			var low *media.Clip
			low, err = media.OpenIVF(filepath.Join(dir, "video-320x180.ivf"), loop)
			if err == nil {
				secondary = &media.Stream{Video: media.SingleLayer(low)}
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
	return primary, secondary, "embedded test media", nil
}
