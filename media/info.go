package media

import (
	"bytes"
	"fmt"
)

// ReadIVFInfo reads a VP8 IVF file and describes it; it fails like
// [OpenIVF] on a file that is not valid.
func ReadIVFInfo(path string) (Info, error) { return readInfo(path, parseIVF) }

// ReadOggInfo reads an Opus-in-Ogg file and describes it; it fails like
// [OpenOgg] on a file that is not valid.
func ReadOggInfo(path string) (Info, error) { return readInfo(path, parseOgg) }

// ReadH264Info reads an H.264 Annex-B file and describes it, timed at 30
// fps; it fails like [OpenH264] on a file that is not valid.
func ReadH264Info(path string) (Info, error) { return readInfo(path, parseH264) }

// Inspect describes a media file of any format this package reads,
// recognised by its first bytes rather than its name. Unrecognised content
// gives [ErrUnsupportedCodec].
func Inspect(path string) (Info, error) {
	data, err := openInput(path)
	if err != nil {
		return Info{}, err
	}

	var parse parser
	switch {
	case bytes.HasPrefix(data, []byte("DKIF")):
		parse = parseIVF
	case bytes.HasPrefix(data, []byte("OggS")):
		parse = parseOgg
	case bytes.HasPrefix(data, []byte{0, 0, 1}), bytes.HasPrefix(data, []byte{0, 0, 0, 1}):
		parse = parseH264
	default:
		return Info{}, fmt.Errorf("%s: %w: not IVF, Ogg or H.264 Annex-B", path, ErrUnsupportedCodec)
	}

	clip, err := parse(data, nil)
	if err != nil {
		return Info{}, fmt.Errorf("%s: %w", path, err)
	}

	return clip.Info(), nil
}

func readInfo(path string, parse parser) (Info, error) {
	data, err := openInput(path)
	if err != nil {
		return Info{}, err
	}

	clip, err := parse(data, nil)
	if err != nil {
		return Info{}, fmt.Errorf("%s: %w", path, err)
	}

	return clip.Info(), nil
}
