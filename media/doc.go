// Package media supplies encoded media to publish and collects the media a
// participant receives.
//
// Nothing here encodes or decodes: sources play media that was encoded
// beforehand, and sinks store what arrives without looking inside the
// pictures or the sound.
//
// # Sources
//
// A [Source] is one track of encoded media. Its Run method writes
// [github.com/pion/webrtc/v4/pkg/media.Sample] values to a [SampleWriter],
// such as a *webrtc.TrackLocalStaticSample, paced in real time from the
// timing stored in the file. [Clip] is the Source this package provides; it
// is read from
//
//   - VP8 in IVF ([OpenIVF], [NewIVFSource]),
//   - Opus in Ogg ([OpenOgg], [NewOggSource]),
//   - H.264 Annex-B, constrained baseline ([OpenH264], [NewH264Source]),
//
// or built from media embedded in the package ([TestPattern], [TestTone],
// [Silence]), so that a program can publish something without any file.
//
// A [Stream] is what a participant publishes as its primary or secondary
// stream (protocol §8.2): at most one audio Source and one [Video], which
// holds one to three simulcast layers sent with the RTP stream ids "l", "m"
// and "h" (protocol §4.8). Layers are separate files encoded at different
// sizes; this package cannot derive one from another. A [Player] turns a
// Stream into pion tracks, one per audio source and per video layer, and
// runs every source into its track.
//
// # Sinks
//
// A [Sink] consumes RTP packets of one received track. [Recorder] writes
// them to IVF, Ogg or H.264 files ([CreateRecording] picks the container from
// the codec), [Counter] counts packets, bytes and frames, [SinkFunc] adapts a
// function and [Tee] copies packets to several sinks. [Copy] pumps the
// packets of a received track into a sink. Every sink in this package may
// be closed while another goroutine writes to it.
//
// [Inspect] and the Read*Info functions read a file back and describe it;
// tests use them to check recordings.
//
// # Limitations
//
//   - File sources load the whole file into memory (at most 256 MiB); they
//     are meant for test and demo media, not for long recordings.
//   - No transcoding, scaling or bitrate adaptation: a file is sent as it
//     was encoded, whatever the receiver asks for.
//   - H.264 files must be constrained baseline (profile-level-id 42e01f is
//     the only H.264 format the protocol allows) and are paced at a fixed
//     frame rate, because Annex-B carries no timestamps.
//   - A file source cannot make a keyframe when a receiver asks for one
//     (a new subscriber, a lost picture): the receiver waits for the
//     file's next keyframe, up to the file's keyframe interval (1 s for
//     the sample files in testdata/media) before its first picture.
//   - Opus is sent as stored; mono files are sent as they are under the
//     usual opus/48000/2 format, which decoders accept.
package media
