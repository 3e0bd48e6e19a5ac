package sfu

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mindsdk/mindgo/media"
	"github.com/mindsdk/mindgo/transport/rtc"
	"github.com/pion/ice/v4"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"
)

// These tests put the SDK's own client connection (transport/rtc) in front
// of the engine, with media files played by package media, so the codec
// choices of both ends are checked together.

const mediaDir = "../../../testdata/media"

func newRTCEngine(t testing.TB) *rtc.Engine {
	t.Helper()
	e, err := rtc.NewEngine(rtc.Config{
		IncludeLoopback: true,
		ConfigureSettingEngine: func(s *webrtc.SettingEngine) {
			s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
			s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
			s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
		},
	})
	require.NoError(t, err)

	return e
}

// rtcClient is one participant connected through transport/rtc.
type rtcClient struct {
	t      testing.TB
	room   *Room
	pid    string
	conn   *rtc.Conn
	open   chan struct{}
	tracks chan *webrtc.TrackRemote
}

func newRTCClient(ctx context.Context, t testing.TB, e *rtc.Engine, room *Room, pid string) *rtcClient {
	t.Helper()
	c := &rtcClient{
		t: t, room: room, pid: pid,
		open:   make(chan struct{}),
		tracks: make(chan *webrtc.TrackRemote, 8),
	}
	var once sync.Once
	conn, err := e.NewConn(rtc.Handlers{
		OnDataChannelOpen: func() { once.Do(func() { close(c.open) }) },
		OnTrack: func(_ string, track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
			select {
			case c.tracks <- track:
			default:
			}
		},
	})
	require.NoError(t, err)
	c.conn = conn
	t.Cleanup(func() { _ = conn.Close() })

	c.negotiate(ctx)
	select {
	case <-c.open:
	case <-ctx.Done():
		t.Fatal("data channel did not open")
	}

	return c
}

// negotiate runs one offer/answer round and returns the answer.
func (c *rtcClient) negotiate(ctx context.Context) string {
	c.t.Helper()
	offer, err := c.conn.CreateOffer(ctx)
	require.NoError(c.t, err)
	answer, err := c.room.Offer(ctx, c.pid, offer.SDP)
	require.NoError(c.t, err)
	require.NoError(c.t, c.conn.ApplyAnswer(answer))

	return answer
}

// answeredCodecs lists the codec names of the answer's section with a mid.
func answeredCodecs(t testing.TB, answer, mid string) []string {
	t.Helper()
	var parsed sdp.SessionDescription
	require.NoError(t, parsed.UnmarshalString(answer))
	for _, m := range parsed.MediaDescriptions {
		if v, _ := m.Attribute("mid"); v != mid {
			continue
		}
		var names []string
		for _, at := range attributeValues(m, "rtpmap") {
			_, codec, _ := strings.Cut(at, " ")
			name, _, _ := strings.Cut(codec, "/")
			names = append(names, strings.ToUpper(name))
		}

		return names
	}
	t.Fatalf("no section with mid %s", mid)

	return nil
}

// TestRTCClientPublishes publishes a media file from a transport/rtc
// connection and records it on another one, for each video codec the
// client offers: the publisher's track must bind to the codec of its file
// and the subscriber must get that codec, frame for frame decodable.
func TestRTCClientPublishes(t *testing.T) {
	cases := []struct {
		name, file, mime string
	}{
		{"H264", "video-640x360.h264", webrtc.MimeTypeH264},
		{"VP8", "video-640x360.ivf", webrtc.MimeTypeVP8},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			testRTCPublish(ctx, t, filepath.Join(mediaDir, tc.file), tc.mime)
		})
	}
}

func testRTCPublish(ctx context.Context, t *testing.T, file, mime string) {
	var clip *media.Clip
	var err error
	opts := &media.Options{Loop: true}
	if mime == webrtc.MimeTypeH264 {
		clip, err = media.OpenH264(file, opts)
	} else {
		clip, err = media.OpenIVF(file, opts)
	}
	require.NoError(t, err)
	player, err := media.NewPlayer(media.Stream{Video: media.SingleLayer(clip)}, "me#primary")
	require.NoError(t, err)

	e := newTestEngine(t)
	rec := newRecorder()
	room, err := e.NewRoom(RoomConfig{Events: rec})
	require.NoError(t, err)
	client := newRTCEngine(t)

	// The subscriber asks for A's primary video before A publishes, so
	// the first frame it gets is A's first keyframe.
	b := newRTCClient(ctx, t, client, room, pidB)
	slot, err := b.conn.Subscribe(pidA+"#primary", webrtc.RTPCodecTypeVideo, rtc.Limits{})
	require.NoError(t, err)
	require.NoError(t, b.conn.AddPublications())
	answer := b.negotiate(ctx)
	require.Subset(t, answeredCodecs(t, answer, slot.Mid()), []string{"VP8", "H264"},
		"receive slot answer")

	a := newRTCClient(ctx, t, client, room, pidA)
	require.NoError(t, a.conn.AddPublications())
	require.NoError(t, a.conn.SetPublication(rtc.Primary, nil, player.VideoTracks()))
	answer = a.negotiate(ctx)
	require.Subset(t, answeredCodecs(t, answer, "2"), []string{"VP8", "H264"},
		"publication answer")
	rec.waitFor(ctx, t, "flags "+pidA+" v -")

	var wg sync.WaitGroup
	defer wg.Wait()
	playCtx, stopPlay := context.WithCancel(ctx)
	defer stopPlay()
	wg.Go(func() {
		if err := player.Run(playCtx); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("player: %v", err)
		}
	})

	var track *webrtc.TrackRemote
	select {
	case track = <-b.tracks:
	case <-ctx.Done():
		t.Fatal("no track on the receive slot")
	}
	require.True(t, strings.EqualFold(track.Codec().MimeType, mime),
		"received %s, want %s", track.Codec().MimeType, mime)

	path := filepath.Join(t.TempDir(), "received")
	recording, err := media.CreateRecording(path, track.Codec().MimeType)
	require.NoError(t, err)
	counter := media.NewCounter(track.Codec().MimeType, recording)
	copied := make(chan error, 1)
	go func() { copied <- media.Copy(counter, track) }()

	// Two seconds at 30 fps, keyframes every second. A recording starts
	// at a keyframe with its parameter sets, so the forwarder must start
	// there too (an H.264 start on a bare IDR slice loses a second); a few
	// frames of slack allow for UDP loss on a loaded machine.
	const frames, recorded = 60, 55
	waitUntil(ctx, t, "received frames", func() bool { return counter.Counters().Frames >= frames })
	stopPlay()
	require.NoError(t, b.conn.Close())
	select {
	case err := <-copied:
		require.NoError(t, err)
	case <-ctx.Done():
		t.Fatal("the received track did not end")
	}
	require.NoError(t, counter.Close())

	info, err := media.Inspect(path)
	require.NoError(t, err)
	require.True(t, strings.EqualFold(info.MimeType, mime), "recorded %s", info.MimeType)
	require.Equal(t, 640, info.Width)
	require.Equal(t, 360, info.Height)
	t.Logf("%s: %d frames received, %d recorded, %d keyframes", mime, counter.Counters().Frames,
		info.Frames, info.Keyframes)
	require.GreaterOrEqual(t, info.Frames, recorded)
	require.Positive(t, info.Keyframes)
}
