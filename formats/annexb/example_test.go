package annexb_test

import (
	"fmt"

	"github.com/rigsync/rigsync/formats/annexb"
)

// An H.264 access unit with SPS, PPS and an IDR slice (NAL types 7, 8, 5;
// payload bytes shortened) is a keyframe a decoder can start from.
func ExampleInspect() {
	au := annexb.Join(nil,
		[]byte{0x67, 0x42, 0x00, 0x1f}, // SPS
		[]byte{0x68, 0xce, 0x3c, 0x80}, // PPS
		[]byte{0x65, 0x88, 0x84, 0x00}, // IDR slice
	)
	info := annexb.Inspect(annexb.H264, au)
	fmt.Println(info.NALUs, info.Keyframe, info.HasParams)

	p := annexb.Join(nil, []byte{0x41, 0x9a, 0x00}) // a non-IDR slice
	info = annexb.Inspect(annexb.H264, p)
	fmt.Println(info.NALUs, info.Keyframe, info.HasParams)
	// Output:
	// 3 true true
	// 1 false false
}
