package sfu

import (
	"context"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"
)

// TestForwardResumesOnTheSameSSRC makes a publication inactive, keeps it
// quiet for longer than a layer's reader waits for a packet, and makes it
// send again on the same SSRCs, into the same receive slots, with their
// sequence numbers running on.
//
// The simulcast video layers are not declared by SSRC: pion raises no new
// track for them when they send again, so the layers read before the pause
// must carry the media again. The audio section loses its a=ssrc line
// while inactive, so pion ends its track then and raises a new one when it
// is declared again; the slot follows the new layer.
func TestForwardResumesOnTheSameSSRC(t *testing.T) {
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
	waitUntil(ctx, t, "media at B", func() bool { return audio.packets.Load() > 10 && video.packets.Load() > 10 })

	videoSource := room.source(sourceKey{label: pidA + "#primary", kind: webrtc.RTPCodecTypeVideo})
	layers := func() int { return len(videoSource.snapshotLayers()) }
	before := layers()
	require.Equal(t, 2, before, "video layers l and m")

	a.pubs[1].active.Store(false)
	a.pubs[2].active.Store(false)
	a.renegotiate(ctx)
	rec.waitFor(ctx, t, "flags "+pidA+" - -")
	select {
	case <-time.After(readWatch + readWatch/2): // a pause, not a wait for a state
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	require.Equal(t, before, layers(), "a video layer ended during the pause")

	audioBefore, videoBefore := audio.packets.Load(), video.packets.Load()
	a.pubs[1].active.Store(true)
	a.pubs[2].active.Store(true)
	a.renegotiate(ctx)
	waitUntil(ctx, t, "media at B again", func() bool {
		return audio.packets.Load() > audioBefore+20 && video.packets.Load() > videoBefore+10
	})
	require.Equal(t, before, layers(), "no new video layer")
	for _, s := range []*subscription{audio, video} {
		n := 0
		s.ssrcs.Range(func(any, any) bool { n++; return true })
		require.Equal(t, 1, n)
		require.LessOrEqual(t, s.maxGap.Load(), int32(continuityGap))
	}
}
