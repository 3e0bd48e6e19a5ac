package sfu

import (
	"context"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"
)

const (
	pidA = "a0000000-0000-4000-8000-00000000000a"
	pidB = "b0000000-0000-4000-8000-00000000000b"
)

func TestForwardSimulcastAndLimits(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	e := newTestEngine(t)
	rec := newRecorder()
	room, err := e.NewRoom(RoomConfig{Events: rec})
	require.NoError(t, err)

	a := newTestClient(t, room, pidA)
	a.connect(ctx)
	a.addPublications()
	a.publish(1)
	a.publish(2)
	a.renegotiate(ctx)
	rec.waitFor(ctx, t, "flags "+pidA+" av -")

	b := newTestClient(t, room, pidB)
	b.connect(ctx)
	b.addPublications()
	audio := b.subscribe(webrtc.RTPCodecTypeAudio, pidA+"#primary")
	video := b.subscribe(webrtc.RTPCodecTypeVideo, pidA+"#primary", "a=x-preferences:0@0")
	b.renegotiate(ctx)

	waitUntil(ctx, t, "audio at B", func() bool { return audio.packets.Load() > 10 })
	waitUntil(ctx, t, "a PLI at A", func() bool {
		return a.pubs[2].tracks[0].plis.Load()+a.pubs[2].tracks[1].plis.Load() > 0
	})
	// Unlimited: the highest layer (m, 640×360) once measured.
	waitUntil(ctx, t, "layer m at B", func() bool { return sizeOf(video.size.Load()) == "640x360" })

	// A frame-area limit of 320×180 selects layer l.
	b.setSub(video, true, pidA+"#primary", "a=x-preferences:57600@0")
	b.renegotiate(ctx)
	waitUntil(ctx, t, "layer l at B", func() bool { return sizeOf(video.size.Load()) == "320x180" })

	// Back to unlimited, then a bitrate limit between the two layers.
	b.setSub(video, true, pidA+"#primary", "a=x-preferences:0@0")
	b.renegotiate(ctx)
	waitUntil(ctx, t, "layer m again", func() bool { return sizeOf(video.size.Load()) == "640x360" })
	b.setSub(video, true, pidA+"#primary", "b=TIAS:100000", "a=x-preferences:0@0")
	b.renegotiate(ctx)
	waitUntil(ctx, t, "layer l by bitrate", func() bool { return sizeOf(video.size.Load()) == "320x180" })

	// One SSRC and continuous sequence numbers across every switch.
	n := 0
	video.ssrcs.Range(func(any, any) bool { n++; return true })
	require.Equal(t, 1, n)
	require.LessOrEqual(t, video.maxGap.Load(), int32(continuityGap))
}

// TestForwardH264 checks that H.264 simulcast (what Chromium sends when
// both codecs are answered) is forwarded with the receiver's payload type
// and its layers are told apart by the SPS.
func TestForwardH264(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	e := newTestEngine(t)
	rec := newRecorder()
	room, err := e.NewRoom(RoomConfig{Events: rec})
	require.NoError(t, err)

	a := newTestClient(t, room, pidA)
	a.videoMime = webrtc.MimeTypeH264
	a.connect(ctx)
	a.addPublications()
	a.publish(2)
	a.renegotiate(ctx)
	rec.waitFor(ctx, t, "flags "+pidA+" v -")

	b := newTestClient(t, room, pidB)
	b.connect(ctx)
	b.addPublications()
	video := b.subscribe(webrtc.RTPCodecTypeVideo, pidA+"#primary", "a=x-preferences:0@0")
	b.renegotiate(ctx)
	waitUntil(ctx, t, "H.264 layer m at B", func() bool {
		return sizeOf(video.size.Load()) == "640x360"
	})
	require.True(t, video.h264.Load())

	b.setSub(video, true, pidA+"#primary", "a=x-preferences:57600@30")
	b.renegotiate(ctx)
	waitUntil(ctx, t, "H.264 layer l at B", func() bool { return sizeOf(video.size.Load()) == "320x180" })
}
