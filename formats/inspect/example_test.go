package inspect_test

import (
	"fmt"

	"github.com/foxglove/mcap/go/mcap"

	"github.com/rigsync/rigsync/formats/inspect"
)

// ReadBytes tells what a full read of a log produces: a 3 MB file whose
// two zstd chunks (2.9 MB) hold 10 MB reads 10.1 MB (the 100 kB outside
// the chunks included), within the default budget of a full read
// (DefaultMaxScanBytes, 64 MiB).
func ExampleReadBytes() {
	info := &mcap.Info{ChunkIndexes: []*mcap.ChunkIndex{
		{Compression: "zstd", CompressedSize: 1_500_000, UncompressedSize: 5_000_000},
		{Compression: "zstd", CompressedSize: 1_400_000, UncompressedSize: 5_000_000},
	}}
	n := inspect.ReadBytes(info, 3_000_000)
	fmt.Println(n, "bytes read in full; read in full by default:", n <= inspect.DefaultMaxScanBytes)
	// Output: 10100000 bytes read in full; read in full by default: true
}
