// Package stats computes the statistics of a Mind session (protocol §6): the
// session's selected transport, and per media stream the audio and video
// figures (bitrate, delay, losses, round-trip time, level or frame rate,
// frame size) that the SDK publishes every second.
//
// The package is pure computation. Its inputs are cumulative counters, a
// sample of them per tick, which the session gathers from pion's statistics
// report and from its own media pipeline (pion does not count frames,
// samples or jitter-buffer delay; see protocol §6.7). A [AudioMeter] or
// [VideoMeter] keeps the previous sample as its baseline and turns the
// difference into the published figures. The [DistortionDetector]
// implements the media-quality reports of protocol §4.3.
//
// Every figure is an integer truncated toward zero; a division by zero or
// any other non-finite intermediate gives 0.
package stats
