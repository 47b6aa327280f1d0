package rtsp

import (
	"encoding/binary"
	"fmt"
)

// ntpUnixEpoch is the number of seconds from the NTP epoch (1900-01-01
// 00:00:00 UTC) to the UNIX epoch (1970-01-01 00:00:00 UTC), RFC 868.
const ntpUnixEpoch = 2208988800

// NTPToUnixNano converts a 64-bit NTP timestamp as RFC 3550 §4 defines it
// (the high 32 bits are whole seconds since 1900, the low 32 bits are a
// fraction of a second in units of 2^-32 s) to nanoseconds since the UNIX
// epoch, rounding the fraction to the nearest nanosecond.
//
// gortsplib v4 reads the low 32 bits as nanoseconds instead; this function
// is the standards-compliant reading and what the Client uses.
func NTPToUnixNano(ntp uint64) int64 {
	sec := int64(ntp>>32) - ntpUnixEpoch
	frac := ntp & 0xFFFFFFFF
	ns := int64((frac*1e9 + 1<<31) >> 32) // frac < 2^32, so frac*1e9 < 2^62: no overflow
	return sec*1e9 + ns
}

// UnixNanoToNTP is the inverse of NTPToUnixNano: nanoseconds since the
// UNIX epoch to an RFC 3550 64-bit NTP timestamp (fraction rounded to the
// nearest 2^-32 s). Times before 1900 or after 2036-02-07 (NTP era 0) wrap
// as the 32-bit seconds field does.
func UnixNanoToNTP(ns int64) uint64 {
	sec := ns / 1e9
	rem := ns % 1e9
	if rem < 0 {
		sec--
		rem += 1e9
	}
	frac := (uint64(rem)<<32 + 5e8) / 1e9
	if frac > 0xFFFFFFFF { // rem rounds up to a whole second
		frac = 0
		sec++
	}
	return uint64(uint32(sec+ntpUnixEpoch))<<32 | frac
}

// SenderReport is the part of an RTCP sender report (RFC 3550 §6.4.1) that
// timing needs: it pairs the sender's wall clock (NTP) with an instant on
// the stream's RTP media clock.
type SenderReport struct {
	// SSRC identifies the RTP stream the report describes.
	SSRC uint32
	// NTP is the sender's wall-clock time, 64-bit NTP format (see NTPToUnixNano).
	NTP uint64
	// RTP is the same instant on the stream's RTP timestamp clock.
	RTP uint32
	// Packets and Octets are the sender's packet and payload-octet counts.
	Packets, Octets uint32
}

// UnixNano is the report's NTP time in ns since the UNIX epoch.
func (sr SenderReport) UnixNano() int64 { return NTPToUnixNano(sr.NTP) }

// rtcpSR is the RTCP packet type of a sender report.
const rtcpSR = 200

// ParseSenderReport finds the first sender report in a raw RTCP packet or
// compound packet (RFC 3550 §6.1: packets back to back, each with a 4-byte
// header whose length field counts 32-bit words minus one) and decodes it.
// Other packet types are skipped. Errors name the byte offset of the
// offending packet.
func ParseSenderReport(b []byte) (SenderReport, error) {
	off := 0
	for off < len(b) {
		if len(b)-off < 4 {
			return SenderReport{}, fmt.Errorf("rtsp: rtcp packet at offset %d: %d bytes left, header needs 4", off, len(b)-off)
		}
		h := b[off:]
		if v := h[0] >> 6; v != 2 {
			return SenderReport{}, fmt.Errorf("rtsp: rtcp packet at offset %d: version %d, want 2", off, v)
		}
		n := (int(binary.BigEndian.Uint16(h[2:4])) + 1) * 4
		if n > len(h) {
			return SenderReport{}, fmt.Errorf("rtsp: rtcp packet at offset %d: length %d bytes exceeds the %d left", off, n, len(h))
		}
		if h[1] == rtcpSR {
			rc := int(h[0] & 0x1F)
			if need := 28 + 24*rc; n < need {
				return SenderReport{}, fmt.Errorf("rtsp: sender report at offset %d: %d bytes, %d report blocks need %d", off, n, rc, need)
			}
			return SenderReport{
				SSRC:    binary.BigEndian.Uint32(h[4:8]),
				NTP:     binary.BigEndian.Uint64(h[8:16]),
				RTP:     binary.BigEndian.Uint32(h[16:20]),
				Packets: binary.BigEndian.Uint32(h[20:24]),
				Octets:  binary.BigEndian.Uint32(h[24:28]),
			}, nil
		}
		off += n
	}
	return SenderReport{}, fmt.Errorf("rtsp: no sender report in %d bytes of rtcp", len(b))
}
