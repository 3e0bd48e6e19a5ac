package rest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/transport"
	"github.com/mindsdk/mindgo/transport/rest"
)

func TestNegotiatePostsTheOfferAndReturnsTheAnswer(t *testing.T) {
	t.Parallel()

	var got transport.SDP
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, http.MethodPost, r.Method)
		assert.Equal(t, "/"+app+"/"+conf+"/", r.URL.Path)
		assert.NoError(t, json.NewDecoder(r.Body).Decode(&got))
		_ = json.NewEncoder(w).Encode(transport.SDP{SDP: "v=0 answer"})
	})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	answer, err := c.Negotiate(ctx, "v=0 offer", 0)
	require.NoError(t, err)
	assert.Equal(t, "v=0 answer", answer)
	assert.Equal(t, "v=0 offer", got.SDP)
}

func TestNegotiateErrors(t *testing.T) {
	t.Parallel()

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	empty := newClient(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{}`)) })
	_, err := empty.Negotiate(ctx, "v=0", 0)
	require.ErrorIs(t, err, transport.ErrMalformedMessage)

	conflict := newClient(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusConflict) })
	_, err = conflict.Negotiate(ctx, "v=0", 0)
	var se *rest.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusConflict, se.Code)

	release := make(chan struct{})
	slow := newClient(t, func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	_, err = slow.Negotiate(ctx, "v=0", 50*time.Millisecond)
	require.ErrorIs(t, err, rest.ErrTimeout)
}
