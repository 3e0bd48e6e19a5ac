package event_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/stats"
)

func (r *recorder) OnStatisticsUpdated(e event.StatisticsUpdated) { r.add("Stats", e) }

func TestStatisticsUpdatedDispatch(t *testing.T) {
	t.Parallel()

	var r recorder
	e := event.StatisticsUpdated{Streams: []event.StreamStatistics{{Label: "conference", Direction: stats.Received}}}
	e.Dispatch(&r)
	assert.Equal(t, []string{"Stats:event.StatisticsUpdated"}, r.got)

	var b event.Base
	e.Dispatch(b) // does nothing
}
