package media

import (
	"errors"
	"io"
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// packetList is an RTPReader over a fixed list, ending with err.
type packetList struct {
	packets []*rtp.Packet
	err     error
}

func (l *packetList) ReadRTP() (*rtp.Packet, interceptor.Attributes, error) {
	if len(l.packets) == 0 {
		return nil, nil, l.err
	}

	p := l.packets[0]
	l.packets = l.packets[1:]

	return p, nil, nil
}

func TestCopy(t *testing.T) {
	t.Parallel()

	packets := func(n int) []*rtp.Packet {
		var out []*rtp.Packet
		for i := range n {
			out = append(out, &rtp.Packet{Header: rtp.Header{Timestamp: uint32(i)}, Payload: []byte{1}})
		}

		return out
	}

	// The track ends: everything copied, no error.
	counter := NewCounter(webrtc.MimeTypeVP8, nil)
	require.NoError(t, Copy(counter, &packetList{packets: packets(5), err: io.EOF}))
	assert.Equal(t, uint64(5), counter.Counters().Frames)

	// The sink closes: the copy stops quietly.
	require.NoError(t, counter.Close())
	require.NoError(t, Copy(counter, &packetList{packets: packets(5), err: io.EOF}))

	// A read error is returned.
	errRead := errors.New("read failed")
	require.ErrorIs(t, Copy(NewCounter(webrtc.MimeTypeVP8, nil), &packetList{err: errRead}), errRead)

	// A sink error on one packet does not stop the copy.
	errPacket := errors.New("bad packet")
	n := 0
	picky := SinkFunc(func(p *rtp.Packet) error {
		n++
		if p.Timestamp == 1 {
			return errPacket
		}

		return nil
	})
	require.ErrorIs(t, Copy(picky, &packetList{packets: packets(4), err: io.EOF}), errPacket)
	assert.Equal(t, 4, n)
}
