package media

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/pion/webrtc/v4/pkg/media/h264reader"
)

// H.264 NAL unit types this package looks at (ITU-T H.264 table 7-1).
const (
	nalSlice    = 1
	nalIDR      = 5
	nalSEI      = 6
	nalSPS      = 7
	nalPPS      = 8
	nalAUD      = 9
	profileBase = 66
)

// annexBStartCode precedes every NAL unit in the samples of an H.264 clip.
const annexBStartCode = "\x00\x00\x00\x01"

// OpenH264 reads an H.264 Annex-B file into a [Clip]. See [NewH264Source].
func OpenH264(path string, opts *Options) (*Clip, error) {
	data, err := openInput(path)
	if err != nil {
		return nil, err
	}

	clip, err := parseH264(data, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}

	return clip, nil
}

// NewH264Source reads an H.264 Annex-B byte stream from r into a [Clip],
// one sample per access unit (a picture with the parameter sets and other
// NAL units in front of it). Samples last 1/FrameRate each (Options, 30 by
// default). The stream must carry a sequence parameter set, from which the
// size is read, and must be baseline profile: the protocol only allows
// profile-level-id 42e01f (§4.9); other profiles give [ErrUnsupportedCodec].
// SEI units are dropped.
func NewH264Source(r io.Reader, opts *Options) (*Clip, error) {
	data, err := readInput(r)
	if err != nil {
		return nil, err
	}

	return parseH264(data, opts)
}

func parseH264(data []byte, opts *Options) (*Clip, error) {
	o := optionsOrDefault(opts)
	if o.FrameRate == 0 {
		o.FrameRate = 30
	}

	if math.IsNaN(o.FrameRate) || o.FrameRate < 1 || o.FrameRate > 240 {
		return nil, fmt.Errorf("%w: frame rate %v outside 1..240", ErrInvalidArgument, o.FrameRate)
	}

	frameDuration := time.Duration(float64(time.Second) / o.FrameRate)
	clip := &Clip{codec: H264Codec(), opts: o}

	reader, err := h264reader.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: H.264: %w", ErrInvalidMedia, err)
	}

	var (
		au      []byte // access unit being built
		hasVCL  bool   // au holds a slice
		isKey   bool   // au holds an IDR slice
		haveSPS bool
	)

	flush := func() {
		if hasVCL {
			clip.frames = append(clip.frames, frame{data: au, duration: frameDuration, key: isKey})
			au, hasVCL, isKey = nil, false, false
		}
	}

	for index := 0; ; index++ {
		nal, err := reader.NextNAL()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%w: H.264 NAL unit %d: %w", ErrInvalidMedia, index, err)
		}

		if nal.ForbiddenZeroBit {
			return nil, fmt.Errorf("%w: H.264 NAL unit %d: forbidden bit set", ErrInvalidMedia, index)
		}

		typ := nal.UnitType
		switch {
		case typ == nalSlice || typ == nalIDR:
			// A slice that starts at macroblock 0 begins a new picture:
			// first_mb_in_slice is ue(v), so 0 is a single 1 bit.
			if len(nal.Data) < 2 {
				return nil, fmt.Errorf("%w: H.264 NAL unit %d: empty slice", ErrInvalidMedia, index)
			}

			if nal.Data[1]&0x80 != 0 {
				flush()
			}
			hasVCL, isKey = true, isKey || typ == nalIDR
		case typ == nalSPS:
			flush()
			if !haveSPS {
				if err := clip.applySPS(nal.Data); err != nil {
					return nil, err
				}
				haveSPS = true
			}
		case typ == nalAUD || typ == nalPPS || typ == nalSEI || (typ >= 14 && typ <= 18):
			flush()
		}

		au = append(au, annexBStartCode...)
		au = append(au, nal.Data...)
	}

	flush()

	if !haveSPS {
		return nil, fmt.Errorf("%w: H.264 stream without a sequence parameter set", ErrInvalidMedia)
	}

	if err := clip.finish(); err != nil {
		return nil, fmt.Errorf("read H.264: %w", err)
	}

	return clip, nil
}

// applySPS checks the profile of a sequence parameter set and takes the
// picture size from it.
func (c *Clip) applySPS(nal []byte) error {
	if len(nal) > 1 && nal[1] != profileBase {
		return fmt.Errorf("%w: H.264 profile %d; only constrained baseline (42e01f)",
			ErrUnsupportedCodec, nal[1])
	}

	sps, err := parseSPS(nal)
	if err != nil {
		return fmt.Errorf("%w: H.264 sequence parameter set: %w", ErrInvalidMedia, err)
	}

	c.width, c.height = sps.width, sps.height

	return nil
}

// spsInfo holds what this package needs from a sequence parameter set.
type spsInfo struct {
	profile       int
	width, height int
}

// parseSPS reads a sequence parameter set NAL unit (ITU-T H.264 §7.3.2.1),
// header byte included, far enough to compute the cropped picture size.
func parseSPS(nal []byte) (spsInfo, error) {
	if len(nal) < 4 {
		return spsInfo{}, errors.New("too short")
	}

	info := spsInfo{profile: int(nal[1])}
	b := &bitReader{data: unescapeRBSP(nal[4:])}

	b.ue() // seq_parameter_set_id

	chroma := 1
	switch info.profile {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		chroma = int(b.ue())
		if chroma == 3 {
			b.bits(1) // separate_colour_plane_flag
		}

		b.ue()    // bit_depth_luma_minus8
		b.ue()    // bit_depth_chroma_minus8
		b.bits(1) // qpprime_y_zero_transform_bypass_flag
		if b.bits(1) == 1 {
			return spsInfo{}, errors.New("scaling matrices are not supported")
		}
	}

	b.ue() // log2_max_frame_num_minus4

	switch b.ue() { // pic_order_cnt_type
	case 0:
		b.ue() // log2_max_pic_order_cnt_lsb_minus4
	case 1:
		b.bits(1) // delta_pic_order_always_zero_flag
		b.ue()    // offset_for_non_ref_pic
		b.ue()    // offset_for_top_to_bottom_field
		cycle := b.ue()
		if cycle > 255 {
			return spsInfo{}, errors.New("picture order count cycle too long")
		}

		for range cycle {
			b.ue() // offset_for_ref_frame
		}
	}

	b.ue()    // max_num_ref_frames
	b.bits(1) // gaps_in_frame_num_value_allowed_flag

	widthMBs := b.ue() + 1
	heightMaps := b.ue() + 1
	frameMBsOnly := b.bits(1)
	if frameMBsOnly == 0 {
		b.bits(1) // mb_adaptive_frame_field_flag
	}

	b.bits(1) // direct_8x8_inference_flag

	var cropLeft, cropRight, cropTop, cropBottom uint64
	if b.bits(1) == 1 {
		cropLeft, cropRight, cropTop, cropBottom = b.ue(), b.ue(), b.ue(), b.ue()
	}

	if b.err != nil {
		return spsInfo{}, b.err
	}

	cropX, cropY := uint64(1), 2-frameMBsOnly
	if chroma == 1 || chroma == 2 {
		cropX = 2
	}
	if chroma == 1 {
		cropY *= 2
	}

	width := widthMBs*16 - cropX*(cropLeft+cropRight)
	height := (2-frameMBsOnly)*heightMaps*16 - cropY*(cropTop+cropBottom)
	if widthMBs > 1024 || heightMaps > 1024 || width == 0 || height == 0 ||
		width > widthMBs*16 || height > (2-frameMBsOnly)*heightMaps*16 {
		return spsInfo{}, errors.New("picture size out of range")
	}

	info.width, info.height = int(width), int(height)

	return info, nil
}

// unescapeRBSP removes the emulation prevention bytes (00 00 03) of a NAL
// unit payload.
func unescapeRBSP(data []byte) []byte {
	out := make([]byte, 0, len(data))
	zeros := 0
	for _, c := range data {
		if zeros >= 2 && c == 3 {
			zeros = 0

			continue
		}

		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}

		out = append(out, c)
	}

	return out
}

// bitReader reads bits most significant first; after running out of data
// it returns zeros and remembers the error.
type bitReader struct {
	data []byte
	pos  int // in bits
	err  error
}

func (b *bitReader) bits(n int) uint64 {
	var v uint64
	for range n {
		if b.pos >= len(b.data)*8 {
			b.err = errors.New("truncated")

			return 0
		}

		bit := b.data[b.pos/8] >> (7 - b.pos%8) & 1
		v = v<<1 | uint64(bit)
		b.pos++
	}

	return v
}

// ue reads an unsigned Exp-Golomb code; signed codes have the same length,
// so callers that skip se(v) fields use it too.
func (b *bitReader) ue() uint64 {
	zeros := 0
	for b.bits(1) == 0 {
		if b.err != nil || zeros == 31 {
			b.err = errors.New("bad Exp-Golomb code")

			return 0
		}
		zeros++
	}

	return 1<<zeros - 1 + b.bits(zeros)
}
