package foxglove

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// BenchmarkDecodeHeaderJSON reads the stamp of a 1 MB JSON annotations
// document (20000 points and colours) with DecodeHeader; MB/s is of JSON
// text skipped.
func BenchmarkDecodeHeaderJSON(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	var sb strings.Builder
	sb.WriteString(`{"points":[{"type":1,"points":[`)
	for k := 0; k < 20000; k++ {
		if k > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"x":%.7g,"y":%.7g}`, rng.Float64()*1280, rng.Float64()*800)
	}
	sb.WriteString(`],"outline_colors":[`)
	for k := 0; k < 20000; k++ {
		if k > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"r":%.3f,"g":%.3f,"b":%.3f,"a":1}`, rng.Float64(), rng.Float64(), rng.Float64())
	}
	sb.WriteString(`]}],"timestamp":{"sec":1,"nsec":2},"frame_id":"cam"}`)
	data := []byte(sb.String())
	dec := jsonDecoder(b, "foxglove.ImageAnnotations").(*decoder)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, err := dec.DecodeHeader(data)
		if err != nil || !d.HasStamp || d.FrameID != "cam" {
			b.Fatal(d, err)
		}
	}
}
