package session_test

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/media"
	"github.com/mindsdk/mindgo/session"
	"github.com/mindsdk/mindgo/transport"
)

// Limits that cannot bound anything are refused with ErrInvalidValue, by
// Receive and by SetLimits, before anything reaches the server.
func TestMediaReceiveRefusesOddLimits(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleSpeaker)
	bob := w.participant(t, "Bob", transport.RoleAttendee)
	w.joinMedia(t, alice, nil)
	b := w.joinMedia(t, bob, nil)

	bad := []session.Limits{
		{MaxFrameRate: math.NaN()}, {MaxFrameRate: math.Inf(1)}, {MaxFrameRate: math.Inf(-1)},
		{MaxFrameRate: -1}, {MaxBitrate: -1}, {MaxFrameArea: -1},
	}
	for _, l := range bad {
		_, err := b.Receive(ctx, session.PrimaryStream(alice.ID), session.ReceiveOptions{
			Video: media.NewCounter("video/VP8", nil), Limits: l,
		})
		if !errors.Is(err, session.ErrInvalidValue) {
			t.Errorf("Receive with %+v: err %v, want ErrInvalidValue", l, err)
		}
	}
	sub, err := b.Receive(ctx, session.PrimaryStream(alice.ID), session.ReceiveOptions{
		Video: media.NewCounter("video/VP8", nil), Limits: session.Limits{MaxFrameRate: 0.5, MaxBitrate: math.MaxInt},
	})
	require.NoError(t, err)
	for _, l := range bad {
		if err := sub.SetLimits(ctx, l); !errors.Is(err, session.ErrInvalidValue) {
			t.Errorf("SetLimits %+v: err %v, want ErrInvalidValue", l, err)
		}
	}
	require.NoError(t, sub.SetLimits(ctx, session.Limits{MaxFrameArea: 160 * 90}))
	require.NoError(t, sub.Close())
}
