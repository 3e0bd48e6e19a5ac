package sfu

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"
)

// bitWriter builds H.264 RBSP test data.
type bitWriter struct {
	out  []byte
	nbit int
}

func (w *bitWriter) bit(b uint32) {
	if w.nbit%8 == 0 {
		w.out = append(w.out, 0)
	}
	if b != 0 {
		w.out[len(w.out)-1] |= 1 << (7 - uint(w.nbit%8))
	}
	w.nbit++
}

func (w *bitWriter) bits(v uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		w.bit(v >> uint(i) & 1)
	}
}

func (w *bitWriter) ue(v uint32) {
	v++
	n := 0
	for x := v; x > 1; x >>= 1 {
		n++
	}
	w.bits(0, n)
	w.bits(v, n+1)
}

// testSPS returns an SPS NAL unit (with header) of a baseline stream of the
// given size in whole macroblocks, cropped at the bottom by cropBottom
// pixels (even).
func testSPS(widthMbs, heightMbs uint32, cropBottom uint32) []byte {
	w := &bitWriter{}
	w.bits(66, 8)   // profile_idc baseline
	w.bits(0xe0, 8) // constraint flags
	w.bits(31, 8)   // level
	w.ue(0)         // sps id
	w.ue(0)         // log2_max_frame_num_minus4
	w.ue(0)         // pic_order_cnt_type
	w.ue(0)         // log2_max_pic_order_cnt_lsb_minus4
	w.ue(1)         // max_num_ref_frames
	w.bit(0)        // gaps
	w.ue(widthMbs - 1)
	w.ue(heightMbs - 1)
	w.bit(1) // frame_mbs_only
	w.bit(1) // direct_8x8
	if cropBottom > 0 {
		w.bit(1)
		w.ue(0)
		w.ue(0)
		w.ue(0)
		w.ue(cropBottom / 2)
	} else {
		w.bit(0)
	}
	w.bit(0) // vui_parameters_present_flag
	w.bit(1) // rbsp stop bit

	return append([]byte{0x67}, w.out...)
}

func TestInspectH264(t *testing.T) {
	sps := testSPS(20, 12, 12) // 320×192 cropped to 320×180
	w, h, err := spsSize(sps[1:])
	require.NoError(t, err)
	require.Equal(t, [2]int{320, 180}, [2]int{w, h})

	info := inspectH264(sps)
	require.True(t, info.keyframe)
	require.True(t, info.params)
	require.Equal(t, 320, info.width)

	// STAP-A with SPS and an IDR slice.
	stap := []byte{0x78}
	stap = binary.BigEndian.AppendUint16(stap, uint16(len(sps)))
	stap = append(stap, sps...)
	stap = append(stap, 0, 2, 0x65, 0x88)
	info = inspectH264(stap)
	require.True(t, info.keyframe)
	require.True(t, info.params)
	require.Equal(t, 180, info.height)

	// FU-A start of an IDR slice (a keyframe without parameter sets),
	// FU-A middle, a non-IDR slice.
	info = inspectH264([]byte{0x7c, 0x85, 1, 2})
	require.True(t, info.keyframe)
	require.False(t, info.params)
	require.False(t, inspectH264([]byte{0x7c, 0x05, 1, 2}).keyframe)
	require.False(t, inspectH264([]byte{0x41, 0x9a}).keyframe)
	require.False(t, inspectH264(nil).keyframe)

	// Emulation prevention bytes are removed before parsing.
	require.Equal(t, []byte{0, 0, 1, 0, 0, 0}, unescapeRBSP([]byte{0, 0, 3, 1, 0, 0, 3, 0}))
}

func TestInspectVP8(t *testing.T) {
	key := []byte{0x10, 0x00, 0, 0, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01}
	info := inspectVP8(key)
	require.Equal(t, frameInfo{keyframe: true, width: 640, height: 360}, info)

	// With X, I (two-byte picture id), L and T/K extensions.
	ext := append([]byte{0x90, 0xe0, 0x80, 0x01, 0x05, 0x20}, key[1:]...)
	require.Equal(t, info, inspectVP8(ext))

	require.False(t, inspectVP8([]byte{0x10, 0x01, 0, 0}).keyframe, "inter frame")
	require.False(t, inspectVP8([]byte{0x00, 0x00, 0, 0}).keyframe, "not the start of a frame")
	require.False(t, inspectVP8([]byte{0x90}).keyframe, "truncated")
}

func FuzzInspectPayload(f *testing.F) {
	f.Add([]byte{0x10, 0x00, 0, 0, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01})
	f.Add(testSPS(20, 12, 12))
	f.Add([]byte{0x78, 0, 2, 0x65, 0x88})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, info := range []frameInfo{inspectVP8(b), inspectH264(b)} {
			if info.width < 0 || info.height < 0 || info.width > 1<<17 || info.height > 1<<17 {
				t.Fatalf("implausible size %dx%d", info.width, info.height)
			}
		}
	})
}

func TestParseDistortion(t *testing.T) {
	d, ok := ParseDistortion("1:a1b2c3d4-0000-4000-8000-000000000002#primary#audio:1718000000123:4")
	require.True(t, ok)
	require.Equal(t, "a1b2c3d4-0000-4000-8000-000000000002#primary#audio", d.MTID)
	for _, bad := range []string{"", "2:conference#video:1:1", "1:conference#video:x:1", "1:conference:1:1",
		"1:conference#video:1", "1:conference#video:1:1:1", "1::1:1", "1:conference#video:-1:1"} {
		_, ok := ParseDistortion(bad)
		require.False(t, ok, bad)
	}
}
