package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/media"
	"github.com/mindsdk/mindgo/session"
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
// lasts.
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
		if c.Kind().String() == "audio" {
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
// records.
//
// The media API of package session is not available yet; until it is,
// a session with media cannot be joined, so this only has the shape the
// command needs.
type joinMedia struct {
	files []string
}

// startMedia publishes the streams and starts recording.
func (j *joiner) startMedia(_ context.Context, _ *session.Session, _ joinStreams) (*joinMedia, error) {
	return &joinMedia{}, nil
}

// handle follows an event: a participant that starts or stops a stream.
func (m *joinMedia) handle(context.Context, *session.Session, event.Event) {}

// stats returns the statistics rows of the streams.
func (m *joinMedia) stats() []streamStats { return nil }

// close stops publishing and finishes the recordings. It may be called
// more than once.
func (m *joinMedia) close() {}

// printRecordings lists the files written, checked with media.Inspect.
func (j *joiner) printRecordings(m *joinMedia) {
	for _, f := range m.files {
		info, err := media.Inspect(f)
		if err != nil {
			j.log.note("", "recording", "%s: %v", f, err)
			continue
		}
		j.log.note("", "recording", "%s: %s, %d frames, %s", f, info.MimeType, info.Frames, info.Duration)
	}
}
