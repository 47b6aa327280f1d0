package rtsp

import (
	"bytes"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

func annexB(au [][]byte) []byte {
	b, err := h264.AnnexB(au).Marshal()
	if err != nil {
		panic(err)
	}
	return b
}

func nalType(codec string, n []byte) int {
	if codec == "h264" {
		return int(n[0] & 0x1F)
	}
	return int(n[0]>>1) & 0x3F
}

func isVCL(codec string, n []byte) bool {
	t := nalType(codec, n)
	if codec == "h264" {
		return t >= 1 && t <= 5
	}
	return t < 32
}

// vclOf concatenates the slice NAL units of an Annex-B access unit.
func vclOf(codec string, data []byte) string {
	var nalus h264.AnnexB
	if err := nalus.Unmarshal(data); err != nil {
		return "unparsable: " + err.Error()
	}
	var b bytes.Buffer
	for _, n := range nalus {
		if len(n) > 0 && isVCL(codec, n) {
			b.Write(n)
			b.WriteByte(0xFF)
		}
	}
	return b.String()
}

func hasParamSets(codec string, data []byte) bool {
	var nalus h264.AnnexB
	if nalus.Unmarshal(data) != nil {
		return false
	}
	seen := map[int]bool{}
	for _, n := range nalus {
		if len(n) > 0 {
			seen[nalType(codec, n)] = true
		}
	}
	if codec == "h264" {
		return seen[7] && seen[8]
	}
	return seen[32] && seen[33] && seen[34]
}
