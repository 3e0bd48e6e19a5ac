#!/usr/bin/env bash
# gen-testdata.sh regenerates the small media samples used by the tests and by
# the demo. Everything is synthesised by ffmpeg from its built-in test patterns
# (testsrc2 for video, sine for audio): nothing is downloaded.
#
# Output, in testdata/media/ (4 s each):
#   video-640x360.ivf, video-320x180.ivf, video-160x90.ivf
#       VP8 in IVF, 30 fps, a keyframe every 30 frames (1 s), no alt-ref
#       frames; the three sizes are the simulcast layers h, m and l.
#   video-640x360.h264
#       H.264 Annex-B, constrained baseline level 3.1 (profile-level-id
#       42e01f), 30 fps, an IDR every 30 frames with SPS/PPS repeated in front
#       of each IDR, no B-frames.
#   audio.ogg
#       Opus in Ogg, 48 kHz mono 440 Hz tone, 20 ms frames, one packet per page.
#
# And in media/assets/ (2 s each, lower bitrates), the copies that package
# media embeds so that programs can publish test media without any file:
#   pattern-640x360.ivf, pattern-320x180.ivf, pattern-160x90.ivf, tone.ogg
#
# Determinism: single-threaded encoders, bit-exact muxing and no metadata, so
# the same ffmpeg build gives byte-identical files; other ffmpeg/libvpx/x264/
# libopus versions give equivalent but not identical bytes (the tests check
# structure, sizes and frame counts, never hashes).
#
# Usage: scripts/gen-testdata.sh   (from anywhere; needs ffmpeg with libvpx,
# libx264 and libopus, e.g. `apt-get install ffmpeg`).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/testdata/media"
assets="$root/media/assets"
mkdir -p "$out" "$assets"

command -v ffmpeg >/dev/null || { echo "gen-testdata: ffmpeg is required" >&2; exit 1; }

ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
common=(-fflags +bitexact -flags +bitexact -map_metadata -1 -threads 1)

# vp8 SIZE SECONDS BITRATE OUTPUT
vp8() {
	ff -f lavfi -i "testsrc2=size=$1:rate=30:duration=$2" "${common[@]}" \
		-pix_fmt yuv420p -c:v libvpx -b:v "$3" -minrate "$3" -maxrate "$3" \
		-g 30 -keyint_min 30 -auto-alt-ref 0 -lag-in-frames 0 \
		-deadline realtime -cpu-used 8 -error-resilient 1 \
		-f ivf "$4"
}

# opus SECONDS BITRATE OUTPUT
opus() {
	ff -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$1" "${common[@]}" \
		-ac 1 -c:a libopus -b:a "$2" -vbr off -frame_duration 20 \
		-application audio -page_duration 20000 -f ogg "$3"
}

vp8 640x360 4 300k "$out/video-640x360.ivf"
vp8 320x180 4 120k "$out/video-320x180.ivf"
vp8 160x90 4 50k "$out/video-160x90.ivf"

ff -f lavfi -i "testsrc2=size=640x360:rate=30:duration=4" "${common[@]}" \
	-pix_fmt yuv420p -c:v libx264 -profile:v baseline -level 3.1 \
	-preset veryfast -tune zerolatency -b:v 300k -maxrate 300k -bufsize 300k \
	-g 30 -keyint_min 30 -sc_threshold 0 -bf 0 \
	-x264-params repeat-headers=1:aud=0 \
	-bsf:v h264_mp4toannexb -f h264 "$out/video-640x360.h264"

opus 4 32k "$out/audio.ogg"

vp8 640x360 2 150k "$assets/pattern-640x360.ivf"
vp8 320x180 2 60k "$assets/pattern-320x180.ivf"
vp8 160x90 2 25k "$assets/pattern-160x90.ivf"
opus 2 24k "$assets/tone.ogg"

# Every sample must stay well under 1 MiB.
for f in "$out"/* "$assets"/*; do
	size=$(stat -c %s "$f")
	if [ "$size" -ge 1048576 ]; then
		echo "gen-testdata: $f is $size bytes (limit 1 MiB)" >&2
		exit 1
	fi
	printf '%8d  %s\n' "$size" "${f#"$root"/}"
done
