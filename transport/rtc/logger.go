package rtc

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// levelTrace is the slog level pion's trace messages are logged at.
const levelTrace = slog.LevelDebug - 4

// slogFactory adapts a *slog.Logger to pion's logging.LoggerFactory: each
// pion scope becomes a child logger with a "scope" attribute.
type slogFactory struct {
	logger *slog.Logger
}

// NewLoggerFactory bridges pion's leveled logging into logger: each pion
// scope becomes a child logger with a "scope" attribute, and pion's trace
// level maps to slog.LevelDebug-4. A nil logger gives a factory whose
// loggers discard everything.
func NewLoggerFactory(logger *slog.Logger) logging.LoggerFactory {
	if logger == nil {
		return silentFactory{}
	}

	return slogFactory{logger: logger}
}

func (f slogFactory) NewLogger(scope string) logging.LeveledLogger {
	return slogLogger{logger: f.logger.With(slog.String("scope", "pion/"+scope))}
}

type slogLogger struct {
	logger *slog.Logger
}

func (l slogLogger) log(level slog.Level, msg string) {
	l.logger.Log(context.Background(), level, msg)
}

func (l slogLogger) logf(level slog.Level, format string, args ...any) {
	if !l.logger.Enabled(context.Background(), level) {
		return
	}
	l.logger.Log(context.Background(), level, fmt.Sprintf(format, args...))
}

func (l slogLogger) Trace(msg string)                  { l.log(levelTrace, msg) }
func (l slogLogger) Tracef(format string, args ...any) { l.logf(levelTrace, format, args...) }
func (l slogLogger) Debug(msg string)                  { l.log(slog.LevelDebug, msg) }
func (l slogLogger) Debugf(format string, args ...any) { l.logf(slog.LevelDebug, format, args...) }
func (l slogLogger) Info(msg string)                   { l.log(slog.LevelInfo, msg) }
func (l slogLogger) Infof(format string, args ...any)  { l.logf(slog.LevelInfo, format, args...) }
func (l slogLogger) Warn(msg string)                   { l.log(slog.LevelWarn, msg) }
func (l slogLogger) Warnf(format string, args ...any)  { l.logf(slog.LevelWarn, format, args...) }
func (l slogLogger) Error(msg string)                  { l.log(slog.LevelError, msg) }
func (l slogLogger) Errorf(format string, args ...any) { l.logf(slog.LevelError, format, args...) }

// silentFactory hands out loggers that drop everything, without formatting.
type silentFactory struct{}

func (silentFactory) NewLogger(string) logging.LeveledLogger { return silentLogger{} }

type silentLogger struct{}

func (silentLogger) Trace(string)          {}
func (silentLogger) Tracef(string, ...any) {}
func (silentLogger) Debug(string)          {}
func (silentLogger) Debugf(string, ...any) {}
func (silentLogger) Info(string)           {}
func (silentLogger) Infof(string, ...any)  {}
func (silentLogger) Warn(string)           {}
func (silentLogger) Warnf(string, ...any)  {}
func (silentLogger) Error(string)          {}
func (silentLogger) Errorf(string, ...any) {}
