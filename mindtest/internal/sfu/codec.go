package sfu

import (
	"encoding/binary"
	"errors"

	"github.com/mindsdk/mindgo/media"
)

// frameInfo is what the forwarder learns from the first RTP packet of a
// video frame.
type frameInfo struct {
	keyframe      bool
	width, height int // 0 when unknown
	// params is set for an H.264 packet that carries a sequence parameter
	// set, without which a decoder cannot start on the keyframe.
	params bool
}

// inspectVP8 reads the payload descriptor of RFC 7741 and, on the first
// packet of a frame, the VP8 frame tag; keyframes also give the frame size.
func inspectVP8(payload []byte) frameInfo {
	if len(payload) < 1 {
		return frameInfo{}
	}
	b0 := payload[0]
	start := b0&0x10 != 0
	partition := b0 & 0x07
	i := 1
	if b0&0x80 != 0 { // X: extension byte follows
		if len(payload) < 2 {
			return frameInfo{}
		}
		x := payload[1]
		i = 2
		if x&0x80 != 0 { // I: picture id
			if len(payload) <= i {
				return frameInfo{}
			}
			if payload[i]&0x80 != 0 {
				i += 2
			} else {
				i++
			}
		}
		if x&0x40 != 0 { // L: TL0PICIDX
			i++
		}
		if x&0x30 != 0 { // T or K
			i++
		}
	}
	if !start || partition != 0 || len(payload) < i+3 {
		return frameInfo{}
	}
	frame := payload[i:]
	if frame[0]&0x01 != 0 { // P bit set: inter frame
		return frameInfo{}
	}
	info := frameInfo{keyframe: true}
	if w, h, ok := media.VP8KeyframeSize(frame); ok {
		info.width, info.height = w, h
	}

	return info
}

// H.264 NAL unit types used here.
const (
	nalIDR  = 5
	nalSPS  = 7
	nalSTAP = 24
	nalFUA  = 28
)

// inspectH264 reads an RTP payload of RFC 6184 (single NAL unit, STAP-A or
// FU-A). A packet with an IDR slice or an SPS counts as a keyframe; an SPS
// also gives the frame size.
func inspectH264(payload []byte) frameInfo {
	if len(payload) < 1 {
		return frameInfo{}
	}
	var info frameInfo
	switch typ := payload[0] & 0x1f; typ {
	case nalSTAP:
		rest := payload[1:]
		for len(rest) >= 2 {
			size := int(binary.BigEndian.Uint16(rest))
			rest = rest[2:]
			if size == 0 || size > len(rest) {
				break
			}
			info.merge(inspectNAL(rest[:size]))
			rest = rest[size:]
		}
	case nalFUA:
		if len(payload) < 2 || payload[1]&0x80 == 0 {
			return frameInfo{}
		}
		inner := payload[1] & 0x1f
		info.keyframe = inner == nalIDR || inner == nalSPS
	default:
		info = inspectNAL(payload)
	}

	return info
}

func (f *frameInfo) merge(o frameInfo) {
	f.keyframe = f.keyframe || o.keyframe
	f.params = f.params || o.params
	if o.width > 0 {
		f.width, f.height = o.width, o.height
	}
}

func inspectNAL(nal []byte) frameInfo {
	if len(nal) < 1 {
		return frameInfo{}
	}
	switch nal[0] & 0x1f {
	case nalIDR:
		return frameInfo{keyframe: true}
	case nalSPS:
		info := frameInfo{keyframe: true, params: true}
		if w, h, err := spsSize(nal[1:]); err == nil {
			info.width, info.height = w, h
		}

		return info
	}

	return frameInfo{}
}

var errShortSPS = errors.New("sps too short")

// bitReader reads an RBSP (emulation prevention bytes already removed).
type bitReader struct {
	data []byte
	pos  int // in bits
}

func (r *bitReader) bit() (uint32, error) {
	if r.pos >= len(r.data)*8 {
		return 0, errShortSPS
	}
	b := r.data[r.pos/8] >> (7 - uint(r.pos%8)) & 1
	r.pos++

	return uint32(b), nil
}

func (r *bitReader) bits(n int) (uint32, error) {
	var v uint32
	for range n {
		b, err := r.bit()
		if err != nil {
			return 0, err
		}
		v = v<<1 | b
	}

	return v, nil
}

// ue reads an unsigned Exp-Golomb value.
func (r *bitReader) ue() (uint32, error) {
	zeros := 0
	for {
		b, err := r.bit()
		if err != nil {
			return 0, err
		}
		if b == 1 {
			break
		}
		zeros++
		if zeros > 31 {
			return 0, errShortSPS
		}
	}
	rest, err := r.bits(zeros)
	if err != nil {
		return 0, err
	}

	return (1<<uint(zeros) - 1) + rest, nil
}

// se reads a signed Exp-Golomb value.
func (r *bitReader) se() (int64, error) {
	v, err := r.ue()
	if err != nil {
		return 0, err
	}
	if v&1 == 1 {
		return int64(v+1) / 2, nil
	}

	return -int64(v / 2), nil
}

func unescapeRBSP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	zeros := 0
	for _, c := range b {
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

// highProfiles carry chroma format and scaling lists in their SPS.
var highProfiles = map[uint32]bool{
	100: true, 110: true, 122: true, 244: true, 44: true, 83: true, 86: true,
	118: true, 128: true, 138: true, 139: true, 134: true, 135: true,
}

// spsSize returns the frame size coded in an SPS (the bytes after the NAL
// header), following ITU-T H.264 §7.3.2.1.1.
func spsSize(body []byte) (int, int, error) {
	r := &bitReader{data: unescapeRBSP(body)}
	profile, err := r.bits(8)
	if err != nil {
		return 0, 0, err
	}
	if _, err := r.bits(16); err != nil { // constraint flags, level
		return 0, 0, err
	}
	if _, err := r.ue(); err != nil { // seq_parameter_set_id
		return 0, 0, err
	}
	chroma := uint32(1)
	if highProfiles[profile] {
		if chroma, err = r.ue(); err != nil {
			return 0, 0, err
		}
		if chroma == 3 {
			if _, err := r.bit(); err != nil {
				return 0, 0, err
			}
		}
		if err := skipHighFields(r, chroma); err != nil {
			return 0, 0, err
		}
	}
	if _, err := r.ue(); err != nil { // log2_max_frame_num_minus4
		return 0, 0, err
	}
	if err := skipPicOrderCount(r); err != nil {
		return 0, 0, err
	}

	return readFrameSize(r, chroma)
}

func skipHighFields(r *bitReader, chroma uint32) error {
	for range 2 { // bit depths
		if _, err := r.ue(); err != nil {
			return err
		}
	}
	if _, err := r.bit(); err != nil { // qpprime_y_zero_transform_bypass_flag
		return err
	}
	present, err := r.bit()
	if err != nil || present == 0 {
		return err
	}
	lists := 8
	if chroma == 3 {
		lists = 12
	}
	for i := range lists {
		flag, err := r.bit()
		if err != nil {
			return err
		}
		if flag == 0 {
			continue
		}
		size := 16
		if i >= 6 {
			size = 64
		}
		last, next := int64(8), int64(8)
		for range size {
			if next != 0 {
				delta, err := r.se()
				if err != nil {
					return err
				}
				next = (last + delta + 256) % 256
			}
			if next != 0 {
				last = next
			}
		}
	}

	return nil
}

func skipPicOrderCount(r *bitReader) error {
	typ, err := r.ue()
	if err != nil {
		return err
	}
	switch typ {
	case 0:
		_, err = r.ue()

		return err
	case 1:
		if _, err := r.bit(); err != nil {
			return err
		}
		for range 2 {
			if _, err := r.se(); err != nil {
				return err
			}
		}
		n, err := r.ue()
		if err != nil {
			return err
		}
		if n > 255 {
			return errShortSPS
		}
		for range n {
			if _, err := r.se(); err != nil {
				return err
			}
		}
	}

	return nil
}

func readFrameSize(r *bitReader, chroma uint32) (int, int, error) {
	var v [4]uint32
	var err error
	if _, err = r.ue(); err != nil { // max_num_ref_frames
		return 0, 0, err
	}
	if _, err = r.bit(); err != nil { // gaps_in_frame_num_value_allowed_flag
		return 0, 0, err
	}
	wMbs, err := r.ue()
	if err != nil {
		return 0, 0, err
	}
	hMaps, err := r.ue()
	if err != nil {
		return 0, 0, err
	}
	frameMbsOnly, err := r.bit()
	if err != nil {
		return 0, 0, err
	}
	if frameMbsOnly == 0 {
		if _, err = r.bit(); err != nil {
			return 0, 0, err
		}
	}
	if _, err = r.bit(); err != nil { // direct_8x8_inference_flag
		return 0, 0, err
	}
	cropping, err := r.bit()
	if err != nil {
		return 0, 0, err
	}
	if cropping == 1 {
		for i := range v {
			if v[i], err = r.ue(); err != nil {
				return 0, 0, err
			}
		}
	}
	if wMbs > 1<<12 || hMaps > 1<<12 {
		return 0, 0, errShortSPS
	}
	unitX, unitY := int64(1), int64(2-frameMbsOnly)
	if chroma == 1 || chroma == 2 {
		unitX = 2
	}
	if chroma == 1 {
		unitY *= 2
	}
	w := int64(wMbs+1)*16 - int64(v[0]+v[1])*unitX
	h := int64(2-frameMbsOnly)*int64(hMaps+1)*16 - int64(v[2]+v[3])*unitY
	if w <= 0 || h <= 0 {
		return 0, 0, errShortSPS
	}

	return int(w), int(h), nil
}
