package sfu

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"
)

func TestSecondaryAndConference(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	e := newTestEngine(t)
	rec := newRecorder()
	var audioChoice atomic.Value
	sel := func(receiver string, kind Kind, pubs []string) string {
		p := DefaultSelector(receiver, kind, pubs)
		if kind == Audio {
			audioChoice.Store(receiver + ">" + p)
		}

		return p
	}
	room, err := e.NewRoom(RoomConfig{Events: rec, Select: sel})
	require.NoError(t, err)

	a := newTestClient(t, room, pidA)
	a.connect(ctx)
	a.addPublications()
	a.publish(1)
	a.publish(2)
	a.publish(4)
	a.renegotiate(ctx)
	rec.waitFor(ctx, t, "flags "+pidA+" av v")

	b := newTestClient(t, room, pidB)
	b.connect(ctx)
	b.addPublications()
	b.publish(1) // B's own audio must not come back through "conference"
	secondary := b.subscribe(webrtc.RTPCodecTypeVideo, pidA+"#secondary", "a=x-preferences:0@0")
	confAudio := b.subscribe(webrtc.RTPCodecTypeAudio, "conference")
	confVideo := b.subscribe(webrtc.RTPCodecTypeVideo, "conference", "a=x-preferences:0@0")
	unknown := b.subscribe(webrtc.RTPCodecTypeVideo, "ffffffff-0000-4000-8000-000000000000#primary")
	b.renegotiate(ctx)
	rec.waitFor(ctx, t, "flags "+pidB+" a -")

	waitUntil(ctx, t, "secondary video", func() bool { return secondary.packets.Load() > 5 })
	waitUntil(ctx, t, "conference video", func() bool { return confVideo.packets.Load() > 5 })
	waitUntil(ctx, t, "conference audio", func() bool { return confAudio.packets.Load() > 10 })
	require.Zero(t, unknown.packets.Load())

	// A stops publishing primary audio: the selector has nobody but B, who
	// must not hear himself, so conference audio stops.
	a.pubs[1].active.Store(false)
	a.renegotiate(ctx)
	rec.waitFor(ctx, t, "flags "+pidA+" v v")
	waitUntil(ctx, t, "selector picks nobody for B's audio", func() bool {
		v, _ := audioChoice.Load().(string)
		return v == pidB+">"
	})
	before, videoBefore := confAudio.packets.Load(), secondary.packets.Load()
	waitUntil(ctx, t, "secondary keeps flowing", func() bool { return secondary.packets.Load() > videoBefore+20 })
	require.LessOrEqual(t, confAudio.packets.Load()-before, int64(3))
}

func TestPresenceEvents(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	e := newTestEngine(t)
	rec := newRecorder()
	room, err := e.NewRoom(RoomConfig{Events: rec})
	require.NoError(t, err)

	a := newTestClient(t, room, pidA)
	a.connect(ctx)
	rec.waitFor(ctx, t, "open "+pidA)

	// Server → client text.
	got := make(chan string, 4)
	a.dc.OnMessage(func(m webrtc.DataChannelMessage) { got <- string(m.Data) })
	require.NoError(t, room.Send(pidA, `{"type":"updated"}`))
	select {
	case m := <-got:
		require.Equal(t, `{"type":"updated"}`, m)
	case <-ctx.Done():
		t.Fatal("message not delivered")
	}
	require.ErrorIs(t, room.Send(pidB, "x"), ErrNoConnection)

	// Client → server distortion reports; anything else is ignored.
	require.NoError(t, a.dc.SendText("hello"))
	require.NoError(t, a.dc.SendText("1:conference#video:1718000000123:4"))
	rec.waitFor(ctx, t, "distortion "+pidA+" conference#video")
	rec.mu.Lock()
	require.Len(t, rec.dist, 1)
	require.Equal(t, int64(1718000000123), rec.dist[0].Start.UnixMilli())
	require.Equal(t, 4*time.Second, rec.dist[0].Duration)
	rec.mu.Unlock()

	// A new client connection replaces the old one silently, and starts
	// with no publications.
	a.addPublications()
	a.publish(1)
	a.renegotiate(ctx)
	rec.waitFor(ctx, t, "flags "+pidA+" a -")
	a2 := newTestClient(t, room, pidA)
	a2.connect(ctx)
	rec.waitFor(ctx, t, "flags "+pidA+" - -")
	waitUntil(ctx, t, "second open", func() bool { return count(rec.snapshot(), "open "+pidA) == 2 })
	waitUntil(ctx, t, "old client sees its connection end", func() bool {
		s := a.pc.ConnectionState()
		return s == webrtc.PeerConnectionStateClosed || s == webrtc.PeerConnectionStateFailed ||
			s == webrtc.PeerConnectionStateDisconnected || a.dc.ReadyState() == webrtc.DataChannelStateClosed
	})
	require.Zero(t, count(rec.snapshot(), "closed "+pidA))

	// A dropped connection reports closed.
	room.Drop(pidA)
	rec.waitFor(ctx, t, "closed "+pidA)

	// The client comes back; then the room closes the participant quietly.
	a3 := newTestClient(t, room, pidA)
	a3.connect(ctx)
	waitUntil(ctx, t, "third open", func() bool { return count(rec.snapshot(), "open "+pidA) == 3 })
	room.CloseAfter(pidA, 10*time.Millisecond)
	waitUntil(ctx, t, "close after grace", func() bool {
		return a3.dc.ReadyState() == webrtc.DataChannelStateClosed ||
			a3.pc.ConnectionState() != webrtc.PeerConnectionStateConnected
	})
	require.Equal(t, 1, count(rec.snapshot(), "closed "+pidA))

	// Closing only the data channel is reported too.
	a4 := newTestClient(t, room, pidA)
	a4.connect(ctx)
	waitUntil(ctx, t, "fourth open", func() bool { return count(rec.snapshot(), "open "+pidA) == 4 })
	require.NoError(t, room.CloseDataChannel(pidA))
	waitUntil(ctx, t, "second closed", func() bool { return count(rec.snapshot(), "closed "+pidA) == 2 })
	waitUntil(ctx, t, "client sees the channel close", func() bool {
		return a4.dc.ReadyState() == webrtc.DataChannelStateClosed
	})
	require.ErrorIs(t, room.CloseDataChannel(pidB), ErrNoConnection)
}

func count(events []string, want string) int {
	n := 0
	for _, e := range events {
		if e == want {
			n++
		}
	}

	return n
}

func TestRoomErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	e := newTestEngine(t)
	room, err := e.NewRoom(RoomConfig{})
	require.NoError(t, err)

	_, err = room.Offer(ctx, pidA, "v=0\nnonsense")
	require.ErrorIs(t, err, ErrMalformedOffer)

	// Parsed by the engine but not by pion's SDP reader: still malformed.
	broken := strings.Replace(readFixture(t, "01-first-offer.sdp"), "t=0 0", "t=zero", 1)
	_, err = room.Offer(ctx, pidA, broken)
	require.ErrorIs(t, err, ErrMalformedOffer)

	audioFirst := "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\na=ice-ufrag:abcd\na=ice-pwd:abcdefghijklmnopqrstuvwx\n" +
		"a=fingerprint:sha-256 AE:66:4F:9B:C9:D6:1E:FA:64:05:2A:C6:D8:B5:2D:12:55:36:6D:FD:6F:70:DB:98:F0:65:88:AE:8F:E6:B1:67\n" +
		"a=setup:actpass\nm=audio 9 UDP/TLS/RTP/SAVPF 111\nc=IN IP4 0.0.0.0\na=mid:0\na=rtpmap:111 opus/48000/2\na=sendonly\n"
	_, err = room.Offer(ctx, pidA, audioFirst)
	require.ErrorIs(t, err, ErrOfferRejected)

	// A renegotiation may not remove or change sections.
	first := readFixture(t, "02-publications-inactive.sdp")
	_, err = room.Offer(ctx, pidA, first)
	require.NoError(t, err)
	_, err = room.Offer(ctx, pidA, readFixture(t, "01-first-offer.sdp"))
	require.ErrorIs(t, err, ErrOfferRejected)

	room.Close()
	_, err = room.Offer(ctx, pidA, first)
	require.ErrorIs(t, err, ErrClosed)
	require.NoError(t, e.Close())
	_, err = e.NewRoom(RoomConfig{})
	require.ErrorIs(t, err, ErrClosed)
}
