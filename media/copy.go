package media

import (
	"errors"
	"io"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// RTPReader is the reading side of a received track; *webrtc.TrackRemote
// is one.
type RTPReader interface {
	ReadRTP() (*rtp.Packet, interceptor.Attributes, error)
}

// Copy reads every packet of r and writes it to sink, until r ends or
// sink is closed. It returns nil when r reports io.EOF (pion's signal that
// the track ended) or sink returns [ErrClosed], and r's error otherwise.
// A sink error about one packet does not stop the copy, so a malformed
// payload cannot end a recording; the first such error is returned at the
// end, joined with the reason the copy stopped. Copy does not close sink.
func Copy(sink Sink, r RTPReader) error {
	var first error
	for {
		packet, _, err := r.ReadRTP()
		if errors.Is(err, io.EOF) {
			return first
		} else if err != nil {
			return errors.Join(err, first)
		}

		if err := sink.WriteRTP(packet); errors.Is(err, ErrClosed) {
			return first
		} else if err != nil && first == nil {
			first = err
		}
	}
}
