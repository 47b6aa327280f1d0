package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
)

// mutant is one corrupted input: its bytes, what was done, and whether
// the mutation is known to lose messages (so a command that exits 0
// without a reader warning lost them silently).
type mutant struct {
	name  string // kind and parameters, e.g. "truncate@40%"
	data  []byte
	lossy bool
}

// mcapMagic starts and ends every MCAP file.
var mcapMagic = []byte{0x89, 'M', 'C', 'A', 'P', '0', '\r', '\n'}

// MCAP record opcodes the mutators know.
const (
	opChunk   = 0x06
	opDataEnd = 0x0F
)

// record is one top-level MCAP record: its offset, opcode and total
// length (opcode + length field + body).
type record struct {
	off int
	op  byte
	n   int
}

// mcapRecords lists the top-level records after the leading magic, up to
// the first one that does not fit.
func mcapRecords(b []byte) []record {
	if !bytes.HasPrefix(b, mcapMagic) {
		return nil
	}
	var recs []record
	for off := len(mcapMagic); off+9 <= len(b); {
		l := binary.LittleEndian.Uint64(b[off+1:])
		if l > uint64(len(b)-off-9) {
			break
		}
		n := 9 + int(l)
		recs = append(recs, record{off: off, op: b[off], n: n})
		off += n
	}
	return recs
}

// dataEnd is the offset of the DataEnd record (where the summary starts),
// or len(b).
func dataEnd(recs []record, size int) int {
	for _, r := range recs {
		if r.op == opDataEnd {
			return r.off
		}
	}
	return size
}

func chunks(recs []record) []record {
	var out []record
	for _, r := range recs {
		if r.op == opChunk {
			out = append(out, r)
		}
	}
	return out
}

// splice returns b with [off, off+n) replaced by repl.
func splice(b []byte, off, n int, repl []byte) []byte {
	out := make([]byte, 0, len(b)-n+len(repl))
	out = append(out, b[:off]...)
	out = append(out, repl...)
	return append(out, b[off+n:]...)
}

// logMutants returns count mutants of a log of the given kind ("mcap",
// "bag", "db3"), deterministic in seed: truncations spread over the file,
// bit flips, zeroed 4 KiB blocks, and for MCAP chunks duplicated,
// dropped and swapped and record lengths made huge.
func logMutants(kind string, b []byte, count int, seed uint64) []mutant {
	rng := rand.New(rand.NewPCG(seed, 0x70727475))
	recs := mcapRecords(b)
	end := dataEnd(recs, len(b))
	chs := chunks(recs)
	var kinds []string
	if kind == "mcap" && len(chs) >= 2 {
		kinds = []string{"truncate", "flip", "zero", "dupchunk", "dropchunk", "swapchunks", "hugelen"}
	} else if kind == "bag" {
		kinds = []string{"truncate", "flip", "zero", "hugelen"}
	} else {
		kinds = []string{"truncate", "flip", "zero"}
	}
	var out []mutant
	for i := 0; i < count; i++ {
		k := kinds[i%len(kinds)]
		round := i / len(kinds)
		rounds := (count + len(kinds) - 1) / len(kinds)
		var m mutant
		switch k {
		case "truncate":
			// Spread over the file: 1 % .. 99 %, the last ones near the end.
			at := 1 + (len(b)-2)*(2*round+1)/(2*rounds)
			m = mutant{name: fmt.Sprintf("truncate@%d/%d", at, len(b)), data: b[:at]}
			m.lossy = kind == "mcap" && at < end
		case "flip":
			d := append([]byte(nil), b...)
			bits := 1 + rng.IntN(8)
			var where []int
			for j := 0; j < bits; j++ {
				p := rng.IntN(len(d))
				d[p] ^= 1 << rng.IntN(8)
				where = append(where, p)
			}
			m = mutant{name: fmt.Sprintf("flip%d@%v", bits, where), data: d}
		case "zero":
			d := append([]byte(nil), b...)
			p := rng.IntN(len(d))
			n := min(4096, len(d)-p)
			clear(d[p : p+n])
			m = mutant{name: fmt.Sprintf("zero@%d+%d", p, n), data: d}
			if kind == "mcap" {
				for _, c := range chs {
					if p < c.off+c.n && p+n > c.off {
						m.lossy = true
					}
				}
			}
		case "dupchunk":
			c := chs[rng.IntN(len(chs))]
			m = mutant{name: fmt.Sprintf("dupchunk@%d", c.off), data: splice(b, c.off+c.n, 0, b[c.off:c.off+c.n])}
		case "dropchunk":
			c := chs[rng.IntN(len(chs))]
			m = mutant{name: fmt.Sprintf("dropchunk@%d", c.off), data: splice(b, c.off, c.n, nil), lossy: true}
		case "swapchunks":
			i := rng.IntN(len(chs) - 1)
			a, c := chs[i], chs[i+1]
			d := append([]byte(nil), b[:a.off]...)
			d = append(d, b[c.off:c.off+c.n]...)
			d = append(d, b[a.off:a.off+a.n]...)
			d = append(d, b[c.off+c.n:]...)
			m = mutant{name: fmt.Sprintf("swapchunks@%d,%d", a.off, c.off), data: d}
		case "hugelen":
			d := append([]byte(nil), b...)
			huge := []uint64{1 << 62, 0xFFFFFFFF, 1 << 40}[round%3]
			if kind == "mcap" && len(recs) > 0 {
				r := recs[rng.IntN(len(recs))]
				binary.LittleEndian.PutUint64(d[r.off+1:], huge)
				m = mutant{name: fmt.Sprintf("hugelen@%d=%d", r.off, huge), data: d, lossy: r.off < end}
			} else {
				// A ROS 1 bag record starts with its header length (uint32):
				// the first record after the 13-byte version line.
				p := 13
				if len(d) >= p+4 {
					binary.LittleEndian.PutUint32(d[p:], uint32(huge))
				}
				m = mutant{name: fmt.Sprintf("hugelen@%d=%d", p, uint32(huge)), data: d}
			}
		}
		m.name = kind + ":" + m.name
		out = append(out, m)
	}
	return out
}

// floatRe finds decimal numbers with a fraction.
var floatRe = regexp.MustCompile(`-?[0-9]+\.[0-9]+`)

// textMutants returns broken versions of a calibration or rig file: cut
// in half, bytes flipped, a number replaced by NaN, infinities, a number
// beyond float64 and a word, an integer made huge, a key repeated, a YAML
// alias bomb, an 8 MiB list, deep nesting, binary garbage. lossy is not
// used for them.
func textMutants(name string, b []byte, seed uint64) []mutant {
	rng := rand.New(rand.NewPCG(seed, 0x63616c69))
	s := string(b)
	var out []mutant
	add := func(kind string, data []byte) { out = append(out, mutant{name: name + ":" + kind, data: data}) }
	add("half", b[:len(b)/2])
	d := append([]byte(nil), b...)
	for j := 0; j < 4 && len(d) > 0; j++ {
		d[rng.IntN(len(d))] ^= byte(1 << rng.IntN(8))
	}
	add("flip", d)
	locs := floatRe.FindAllStringIndex(s, -1)
	for _, bad := range []string{"nan", ".nan", "NaN", "-.inf", "Infinity", "1e999", "abc"} {
		if len(locs) == 0 {
			break
		}
		l := locs[rng.IntN(len(locs))]
		add("num="+bad, []byte(s[:l[0]]+bad+s[l[1]:]))
	}
	if loc := regexp.MustCompile(`\b[0-9]{2,}\b`).FindStringIndex(s); loc != nil {
		add("int=huge", []byte(s[:loc[0]]+"99999999999999999999999"+s[loc[1]:]))
		add("int=negative", []byte(s[:loc[0]]+"-2147483648"+s[loc[1]:]))
	}
	if i := strings.IndexByte(s, '\n'); i > 0 {
		add("dupline", []byte(s[:i+1]+s))
	}
	var bomb strings.Builder
	bomb.WriteString("a: &a [x, x, x, x, x, x, x, x, x]\n")
	for j := 'b'; j <= 'j'; j++ {
		fmt.Fprintf(&bomb, "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", j, j, j-1, j-1, j-1, j-1, j-1, j-1, j-1, j-1, j-1)
	}
	add("aliasbomb", []byte(bomb.String()))
	var list bytes.Buffer
	list.WriteString(s + "\nbig_list:\n")
	for j := 0; list.Len() < 8<<20; j++ {
		fmt.Fprintf(&list, "  - %d\n", j)
	}
	add("list8MiB", list.Bytes())
	add("deepnest", []byte(strings.Repeat("[", 100000)+strings.Repeat("]", 100000)))
	g := make([]byte, 4096)
	for j := range g {
		g[j] = byte(rng.IntN(256))
	}
	add("garbage", g)
	return out
}
