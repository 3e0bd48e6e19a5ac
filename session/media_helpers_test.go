package session_test

import "github.com/mindsdk/mindgo/event"

func (l *listenerLog) OnStatisticsUpdated(event.StatisticsUpdated) {}
