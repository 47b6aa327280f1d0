package jsonvalue

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/rigsync/rigsync/formats"
)

func TestConvert(t *testing.T) {
	long := make([]float64, 20)
	for i := range long {
		long[i] = float64(i)
	}
	rec := &formats.Record{}
	rec.Add("nan", math.NaN())
	rec.Add("inf", []float64{math.Inf(1), math.Inf(-1), 1.5})
	rec.Add("long", long)
	rec.Add("data", []byte{0xde, 0xad, 0xbe, 0xef})
	cases := []struct {
		name string
		opts Options
		want string
	}{
		{"summarized", Options{Summarize: true},
			`{"nan":"NaN","inf":["+Inf","-Inf",1.5],"long":{"len":20,"head":[0,1,2,3,4,5,6,7]},"data":{"bytes":4,"head_hex":"deadbeef"}}`},
		{"full", Options{},
			`{"nan":"NaN","inf":["+Inf","-Inf",1.5],"long":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19],"data":"3q2+7w=="}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := json.Marshal(Convert(rec, c.opts))
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != c.want {
				t.Errorf("got  %s\nwant %s", b, c.want)
			}
		})
	}
}
