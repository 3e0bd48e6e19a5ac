package stats_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/stats"
)

var t0 = time.UnixMilli(1_718_000_000_000)

func TestNoSession(t *testing.T) {
	s := stats.NoSession(t0)
	assert.Equal(t, stats.Session{Timestamp: t0, Protocol: "none", LocalAddress: "none", RemoteAddress: "none"}, s)
}

func TestAudioMeterReceived(t *testing.T) {
	var m stats.AudioMeter
	_, ok := m.Update(stats.AudioCounters{Time: t0, HasTrack: true, Bytes: 1000, Packets: 10})
	require.False(t, ok, "the first sample only sets the baseline")

	a, ok := m.Update(stats.AudioCounters{
		Time: t0.Add(2 * time.Second), HasTrack: true, PairRTT: 0.0237,
		Bytes: 1000 + 16000, Packets: 10 + 95, PacketsLost: 5,
		JitterBufferDelay: 4.8, JitterBufferEmitted: 96000, Samples: 96000, Level: 0.427,
	})
	require.True(t, ok)
	assert.Equal(t, stats.Audio{
		Timestamp: t0.Add(2 * time.Second), RTT: 23, Bitrate: 64000, Delay: 0, Losses: 5, Level: 42, Rate: 48000,
	}, a, "delay: 4.8 s over 96000 samples is 0.05 ms, truncated to 0")
}

func TestAudioMeterSentUsesRemoteRTTAndFallbackRate(t *testing.T) {
	m := stats.AudioMeter{Direction: stats.Sent}
	m.Update(stats.AudioCounters{Time: t0, HasTrack: true})
	a, ok := m.Update(stats.AudioCounters{
		Time: t0.Add(time.Second), HasTrack: true, RemoteRTT: 0.041, Bytes: 4000, Packets: 50,
		JitterBufferDelay: 10, JitterBufferEmitted: 1,
	})
	require.True(t, ok)
	assert.Equal(t, 41, a.RTT, "a sent stream falls back to the remote-inbound round trip")
	assert.Equal(t, 32000, a.Bitrate)
	assert.Equal(t, 0, a.Delay, "sent audio has no delay")
	assert.Equal(t, 48000, a.Rate, "48 samples per elapsed millisecond when packets moved")
}

func TestAudioMeterRTTUnknownWithTrackIsOne(t *testing.T) {
	var m stats.AudioMeter
	m.Update(stats.AudioCounters{Time: t0, HasTrack: true})
	a, _ := m.Update(stats.AudioCounters{Time: t0.Add(time.Second), HasTrack: true, RemoteRTT: 0.5})
	assert.Equal(t, 1, a.RTT, "received streams ignore the remote-inbound figure")
	assert.Equal(t, 0, a.Rate, "no packets, no samples")
}

func TestAudioMeterWithoutTrackIsZero(t *testing.T) {
	var m stats.AudioMeter
	m.Update(stats.AudioCounters{Time: t0})
	a, ok := m.Update(stats.AudioCounters{Time: t0.Add(time.Second), Bytes: 99999, PairRTT: 0.02})
	require.True(t, ok)
	assert.Equal(t, stats.Audio{Timestamp: t0.Add(time.Second)}, a)
}

func TestMeterResetRebaselines(t *testing.T) {
	var m stats.AudioMeter
	m.Update(stats.AudioCounters{Time: t0, HasTrack: true})
	m.Reset()
	_, ok := m.Update(stats.AudioCounters{Time: t0.Add(time.Second), HasTrack: true, Bytes: 10})
	assert.False(t, ok)
	a, ok := m.Update(stats.AudioCounters{Time: t0.Add(2 * time.Second), HasTrack: true, Bytes: 20})
	require.True(t, ok)
	assert.Equal(t, 80, a.Bitrate)
}

func TestCountersGoingBackwardsGiveZero(t *testing.T) {
	var m stats.AudioMeter
	m.Update(stats.AudioCounters{Time: t0, HasTrack: true, Bytes: 5000, Packets: 50})
	a, _ := m.Update(stats.AudioCounters{Time: t0.Add(time.Second), HasTrack: true, Bytes: 100, Packets: 1})
	assert.Equal(t, 0, a.Bitrate)
	a, _ = m.Update(stats.AudioCounters{Time: t0.Add(time.Second), HasTrack: true, Bytes: 200, Packets: 2})
	assert.Equal(t, 0, a.Bitrate, "no elapsed time gives zero, not infinity")
}

func TestVideoMeterSentSimulcast(t *testing.T) {
	m := stats.VideoMeter{Direction: stats.Sent}
	m.Update(stats.VideoCounters{Time: t0, HasTrack: true, Layers: []stats.VideoLayerCounters{
		{ID: "l", Bytes: 1000, Packets: 10, Frames: 30, Width: 320, Height: 180},
		{ID: "m", Bytes: 5000, Packets: 40, Frames: 30, Width: 640, Height: 360},
	}})
	v, ok := m.Update(stats.VideoCounters{Time: t0.Add(time.Second), HasTrack: true, PairRTT: 0.012,
		Layers: []stats.VideoLayerCounters{
			{ID: "l", Bytes: 1000 + 25000, Packets: 10 + 30, PacketsLost: 1, SendDelay: 0.3, Frames: 60, Width: 320, Height: 180},
			{ID: "m", Bytes: 5000 + 100000, Packets: 40 + 100, PacketsLost: 3, SendDelay: 0.2, Frames: 55, Width: 640, Height: 360},
			{ID: "h", Bytes: 0, Packets: 0, Frames: 0, Width: 1280, Height: 720},
		}})
	require.True(t, ok)
	assert.Equal(t, stats.Video{
		Timestamp: t0.Add(time.Second), RTT: 12, Bitrate: 1_000_000, Delay: 3, Losses: 2,
		Width: 640, Height: 360, Rate: 25,
	}, v, "h sent no frame so m is the largest layer; delay 500 ms over 130 packets")
}

func TestVideoMeterReceivedAndTrackSizeFallback(t *testing.T) {
	var m stats.VideoMeter
	m.Update(stats.VideoCounters{Time: t0, HasTrack: true, Layers: []stats.VideoLayerCounters{{ID: "r"}}})
	v, ok := m.Update(stats.VideoCounters{Time: t0.Add(500 * time.Millisecond), HasTrack: true,
		TrackWidth: 160, TrackHeight: 90,
		Layers: []stats.VideoLayerCounters{{ID: "r", Bytes: 6250, Packets: 9, PacketsLost: 1, Frames: 15,
			JitterBufferDelay: 0.6, JitterBufferEmitted: 15}}})
	require.True(t, ok)
	assert.Equal(t, stats.Video{Timestamp: t0.Add(500 * time.Millisecond), RTT: 1, Bitrate: 100000, Delay: 40,
		Losses: 10, Width: 160, Height: 90, Rate: 30}, v)
}

func TestDistorted(t *testing.T) {
	assert.True(t, stats.Distorted("audio", 39999))
	assert.False(t, stats.Distorted("audio", 48000))
	assert.True(t, stats.Distorted("video", 0))
	assert.False(t, stats.Distorted("video", 1))
}

func TestDistortionDetector(t *testing.T) {
	mt := stats.MediaTrackID("a1#primary", "video")
	assert.Equal(t, "a1#primary#video", mt)
	var d stats.DistortionDetector
	d.Register(mt, t0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

	assert.Empty(t, d.Tick(at(1), []string{mt}), "inside the grace period")
	assert.Empty(t, d.Tick(at(2), []string{mt}))
	assert.Empty(t, d.Tick(at(3), []string{mt}), "starts at 3 s: start 2 s, 1 s long")
	assert.Empty(t, d.Tick(at(4), []string{mt}), "prolonged to 2 s")
	assert.Empty(t, d.Tick(at(5), []string{mt}), "prolonged to 3 s")
	assert.Empty(t, d.Tick(at(6), nil), "1 s quiet is not yet an end")
	got := d.Tick(at(7), nil)
	assert.Equal(t, []string{"1:a1#primary#video:" + itoa(at(2).UnixMilli()) + ":3"}, got)
	assert.Empty(t, d.Tick(at(8), nil), "reported once")

	assert.Empty(t, d.Tick(at(9), []string{"unregistered#audio"}))
	d.Unregister(mt)
	assert.Empty(t, d.Tick(at(10), []string{mt}), "unregistered tracks are not judged")
}

func TestDistortionRestartsAfterEnd(t *testing.T) {
	mt := "conference#audio"
	var d stats.DistortionDetector
	d.Register(mt, t0)
	d.Tick(t0.Add(4*time.Second), []string{mt})
	// 2.5 s later the old one has ended; a new distortion replaces it and
	// the old one is reported at once.
	got := d.Tick(t0.Add(6500*time.Millisecond), []string{mt})
	require.Len(t, got, 1)
	assert.Equal(t, "1:conference#audio:"+itoa(t0.Add(3*time.Second).UnixMilli())+":1", got[0])
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
