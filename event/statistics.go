package event

import "github.com/mindsdk/mindgo/stats"

// StatisticsUpdated reports the statistics a media session computed in one
// tick (protocol §6): the transport it uses and the figures of every stream
// it sends or receives. A signalling-only session never reports it.
type StatisticsUpdated struct {
	// Session describes the selected transport.
	Session stats.Session
	// Streams holds the figures of the local publications and of the
	// remote streams being received, in no particular order. The slice is
	// shared by every subscriber: do not modify it.
	Streams []StreamStatistics
}

// StreamStatistics are the latest figures of one media stream.
type StreamStatistics struct {
	// Label names the stream: "me#primary" or "me#secondary" for a local
	// publication, "conference", "<participant id>#primary" or
	// "<participant id>#secondary" for a received stream.
	Label string
	// Direction says whether the stream is sent or received.
	Direction stats.Direction
	// Audio and Video are the figures of each kind; zero values when the
	// stream has no track of that kind.
	Audio stats.Audio
	Video stats.Video
}

// OnStatisticsUpdated does nothing.
func (Base) OnStatisticsUpdated(StatisticsUpdated) {}

// Dispatch calls l.OnStatisticsUpdated.
func (e StatisticsUpdated) Dispatch(l Listener) { l.OnStatisticsUpdated(e) }

func (StatisticsUpdated) event() {}
