package session_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/media"
	"github.com/mindsdk/mindgo/session"
	"github.com/mindsdk/mindgo/transport"
)

// The conference stream keeps the codec it started with: when the VP8
// presenter leaves, the next VP8 publisher is forwarded, not the H.264
// speaker that ranks before it, and the VP8 recording stays valid.
func TestMediaConferenceStreamKeepsItsCodec(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	w := newWorld(t)
	pa := w.participant(t, "Presenter", transport.RolePresenter)
	ph := w.participant(t, "H264", transport.RoleSpeaker)
	pv := w.participant(t, "VP8", transport.RoleSpeaker)
	pc := w.participant(t, "Recorder", transport.RoleAttendee)

	a := w.joinMedia(t, pa, nil)
	h := w.joinMedia(t, ph, nil)
	require.NoError(t, a.SetPrimaryStream(ctx, testStream(t, 1)))
	clip, err := media.OpenH264(filepath.Join("..", "testdata", "media", "video-640x360.h264"), &media.Options{Loop: true})
	require.NoError(t, err)
	require.NoError(t, h.SetPrimaryStream(ctx, &media.Stream{Video: media.SingleLayer(clip)}))
	w.waitMedia(ctx, t, ph.ID, false, transport.MediaFlags{Video: true})
	v := w.joinMedia(t, pv, nil) // joins after the H.264 speaker: ranks after it
	require.NoError(t, v.SetPrimaryStream(ctx, testStream(t, 1)))
	w.waitMedia(ctx, t, pv.ID, false, transport.MediaFlags{Audio: true, Video: true})

	c := w.joinMedia(t, pc, nil)
	path := filepath.Join(t.TempDir(), "conference.ivf")
	rec, err := media.CreateIVF(path)
	require.NoError(t, err)
	sub, err := c.Receive(ctx, session.ConferenceStream(), session.ReceiveOptions{Video: rec})
	require.NoError(t, err)
	waitCounts(ctx, t, sub, 0, 20)

	require.NoError(t, a.Close()) // the presenter leaves
	_, before := sub.Counts()
	waitCounts(ctx, t, sub, 0, before.Frames+40) // the VP8 speaker takes over
	_, dropped := sub.Dropped()
	assert.Zero(t, dropped, "packets of another codec reached the subscription")
	_, counted := sub.Counts()
	require.NoError(t, sub.Close())

	info, err := media.Inspect(path)
	require.NoError(t, err)
	assert.Equal(t, "video/VP8", info.MimeType)
	assert.GreaterOrEqual(t, uint64(info.Frames), counted.Frames*3/4)
}
