package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pion/webrtc/v4/pkg/media/oggreader"
)

// OpenOgg reads an Opus-in-Ogg file into a [Clip]. See [NewOggSource].
func OpenOgg(path string, opts *Options) (*Clip, error) {
	data, err := openInput(path)
	if err != nil {
		return nil, err
	}

	clip, err := parseOgg(data, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}

	return clip, nil
}

// NewOggSource reads Opus in an Ogg container (RFC 7845) from r into a
// [Clip], one sample per Opus packet. Packets are reassembled across Ogg
// pages whatever the page layout, and each packet's duration comes from
// its table-of-contents byte (RFC 6716 §3.1), so pacing does not depend on
// how the file was paged. Only the first logical stream is read; page
// checksums are verified. Other codecs (Vorbis, FLAC) and multichannel
// Opus give [ErrUnsupportedCodec].
func NewOggSource(r io.Reader, opts *Options) (*Clip, error) {
	data, err := readInput(r)
	if err != nil {
		return nil, err
	}

	return parseOgg(data, opts)
}

func parseOgg(data []byte, opts *Options) (*Clip, error) {
	packets, err := oggPackets(data)
	if err != nil {
		return nil, fmt.Errorf("%w: Ogg: %w", ErrInvalidMedia, err)
	}

	if len(packets) == 0 || !bytes.HasPrefix(packets[0], []byte(oggreader.HeaderOpusID)) {
		return nil, fmt.Errorf("%w: Ogg stream does not start with an OpusHead", ErrUnsupportedCodec)
	}

	head, err := oggreader.ParseOpusHead(packets[0])
	if err != nil {
		return nil, fmt.Errorf("%w: OpusHead: %w", ErrInvalidMedia, err)
	}

	if head.ChannelMap != 0 || head.Channels < 1 || head.Channels > 2 {
		return nil, fmt.Errorf("%w: Opus with %d channels (mapping family %d); only mono and stereo",
			ErrUnsupportedCodec, head.Channels, head.ChannelMap)
	}

	if len(packets) < 2 || !bytes.HasPrefix(packets[1], []byte(oggreader.HeaderOpusTags)) {
		return nil, fmt.Errorf("%w: Ogg Opus stream without OpusTags", ErrInvalidMedia)
	}

	clip := &Clip{
		codec:    OpusCodec(),
		channels: int(head.Channels),
		opts:     optionsOrDefault(opts),
	}

	for i, packet := range packets[2:] {
		if len(packet) == 0 {
			continue
		}

		d, err := opusDuration(packet)
		if err != nil {
			return nil, fmt.Errorf("%w: Opus packet %d: %w", ErrInvalidMedia, i, err)
		}

		clip.frames = append(clip.frames, frame{data: packet, duration: d})
	}

	if err := clip.finish(); err != nil {
		return nil, fmt.Errorf("read Ogg: %w", err)
	}

	return clip, nil
}

const (
	oggPageHeaderSize = 27
	oggFlagContinued  = 0x01
	oggFlagFirst      = 0x02
)

// oggPackets splits the first logical stream of an Ogg file into packets
// (RFC 3533): a lacing value below 255 ends a packet, and a packet may
// continue on the next page of the same stream.
func oggPackets(data []byte) ([][]byte, error) {
	var (
		packets [][]byte
		partial []byte
		serial  uint32
		pending bool // partial holds the start of a packet
		crc     = oggCRCTable()
	)

	for page := 0; len(data) > 0; page++ {
		if len(data) < oggPageHeaderSize {
			return nil, fmt.Errorf("page %d: truncated header", page)
		}

		if string(data[:4]) != "OggS" || data[4] != 0 {
			return nil, fmt.Errorf("page %d: no Ogg page signature", page)
		}

		flags := data[5]
		segments := int(data[26])
		if len(data) < oggPageHeaderSize+segments {
			return nil, fmt.Errorf("page %d: truncated segment table", page)
		}

		lacing := data[oggPageHeaderSize : oggPageHeaderSize+segments]
		bodySize := 0
		for _, l := range lacing {
			bodySize += int(l)
		}

		end := oggPageHeaderSize + segments + bodySize
		if len(data) < end {
			return nil, fmt.Errorf("page %d: truncated body", page)
		}

		if oggChecksum(crc, data[:end]) != binary.LittleEndian.Uint32(data[22:]) {
			return nil, fmt.Errorf("page %d: %w", page, errOggChecksum)
		}

		pageSerial := binary.LittleEndian.Uint32(data[14:])
		body := data[oggPageHeaderSize+segments : end]
		data = data[end:]

		if page == 0 {
			if flags&oggFlagFirst == 0 {
				return nil, errors.New("first page does not begin a stream")
			}
			serial = pageSerial
		} else if pageSerial != serial {
			continue // another logical stream
		}

		if flags&oggFlagContinued != 0 != pending {
			return nil, fmt.Errorf("page %d: packet continuation does not match", page)
		}

		for _, l := range lacing {
			partial = append(partial, body[:l]...)
			body = body[l:]
			pending = l == 255

			if !pending {
				packets = append(packets, partial)
				partial = nil
			}
		}
	}

	if pending {
		return nil, errors.New("last packet is cut short")
	}

	return packets, nil
}

// oggChecksum computes the CRC of an Ogg page (polynomial 0x04c11db7, no
// reflection, zero initial value) with its checksum field taken as zero.
func oggChecksum(table *[256]uint32, page []byte) uint32 {
	var crc uint32
	for i, b := range page {
		if i >= 22 && i < 26 {
			b = 0
		}
		crc = crc<<8 ^ table[byte(crc>>24)^b]
	}

	return crc
}

// oggCRCTable builds the lookup table of oggChecksum.
func oggCRCTable() *[256]uint32 {
	var table [256]uint32
	for i := range table {
		r := uint32(i) << 24
		for range 8 {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04c11db7
			} else {
				r <<= 1
			}
		}
		table[i] = r
	}

	return &table
}

// opusFrameSamples gives the samples per frame at 48 kHz of each Opus
// configuration number (RFC 6716 §3.1, table 2).
func opusFrameSamples(config byte) int {
	switch {
	case config < 12: // SILK: 10, 20, 40, 60 ms
		return [4]int{480, 960, 1920, 2880}[config%4]
	case config < 16: // hybrid: 10, 20 ms
		return [2]int{480, 960}[config%2]
	default: // CELT: 2.5, 5, 10, 20 ms
		return [4]int{120, 240, 480, 960}[config%4]
	}
}

// opusSamples returns the number of 48 kHz samples an Opus packet decodes
// to, from its table-of-contents byte and, for code 3, its frame count.
func opusSamples(packet []byte) (int, error) {
	if len(packet) == 0 {
		return 0, errors.New("empty Opus packet")
	}

	toc := packet[0]
	frames := 1
	switch toc & 0x03 {
	case 1, 2:
		frames = 2
	case 3:
		if len(packet) < 2 {
			return 0, errors.New("no frame count in code 3 Opus packet")
		}
		frames = int(packet[1] & 0x3f)
	}

	samples := frames * opusFrameSamples(toc>>3)
	if frames == 0 || samples > 5760 { // at most 120 ms
		return 0, fmt.Errorf("%d frames (%d samples) in one Opus packet", frames, samples)
	}

	return samples, nil
}

func opusDuration(packet []byte) (time.Duration, error) {
	samples, err := opusSamples(packet)
	if err != nil {
		return 0, err
	}

	return time.Duration(samples) * time.Second / 48000, nil
}
