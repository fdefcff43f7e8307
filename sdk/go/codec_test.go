package eddy

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"strings"
	"testing"
)

// unhex reads bytes written as in docs/protocol.md: hex pairs, with any
// spaces and line breaks between them.
func unhex(t *testing.T, text string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(text), ""))
	if err != nil {
		t.Fatalf("bad hex in the test: %v", err)
	}
	return b
}

// The frames of docs/protocol.md 11.5, byte for byte.
const workedProcess = `
49 00 00 00  42
01 00 00 00 00 00 00 00  ff ff ff ff ff ff ff ff  01
05 77 6f 72 64 73  02 61 62  01 31  05 00 00 00 00 00 00 00
01  05 63 6f 75 6e 74  01 32
01  00  ` + workedTrace

const workedTransaction = `
49 00 00 00  44
01 00 00 00 00 00 00 00
01  06 63 6f 75 6e 74 73  02 61 62  01 33  05 00 00 00 00 00 00 00
01  02 61 62  05 63 6f 75 6e 74  00  01 33
00  00  00
01  00  ` + workedTrace

// The worked example's trace context: the W3C example traceparent.
const workedTrace = `4b f9 2f 35 77 b3 4d a6 a3 ce 92 9d 0e 0e 47 36  00 f0 67 aa 0b a9 02 b7  01`

func TestVarintEncodings(t *testing.T) {
	cases := []struct {
		value uint64
		bytes string
	}{
		{0, "00"}, {1, "01"}, {127, "7f"}, {128, "80 01"}, {300, "ac 02"},
		{16384, "80 80 01"}, {math.MaxUint64, "ff ff ff ff ff ff ff ff ff 01"},
	}
	for _, c := range cases {
		want := unhex(t, c.bytes)
		if got := appendVarint(nil, c.value); !bytes.Equal(got, want) {
			t.Errorf("appendVarint(%d) = % x, want % x", c.value, got, want)
		}
		got, n, err := decodeVarint(want)
		if err != nil || got != c.value || n != len(want) {
			t.Errorf("decodeVarint(% x) = %d, %d, %v; want %d, %d", want, got, n, err, c.value, len(want))
		}
	}
}

func TestVarintRejects(t *testing.T) {
	cases := []struct {
		name  string
		bytes string
		want  error
	}{
		{"overlong zero", "80 00", errBadVarint},
		{"overlong one", "81 00", errBadVarint},
		{"overlong 127", "ff 80 00", errBadVarint},
		{"tenth byte above 01", "ff ff ff ff ff ff ff ff ff 02", errBadVarint},
		{"eleven bytes", "ff ff ff ff ff ff ff ff ff 81 01", errBadVarint},
		{"cut off", "80 80", errTruncated},
		{"empty", "", errTruncated},
	}
	for _, c := range cases {
		_, _, err := decodeVarint(unhex(t, c.bytes))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: decodeVarint(%s) gave %v, want %v", c.name, c.bytes, err, c.want)
		}
	}
}

func TestDecodeWorkedProcess(t *testing.T) {
	frame := unhex(t, workedProcess)
	if len(frame) != 4+73 {
		t.Fatalf("the worked process frame has %d bytes, want 77", len(frame))
	}
	var req request
	var names interner
	if err := decodeProcess(frame[5:], &req, &names); err != nil {
		t.Fatal(err)
	}
	if req.batch != 1 || req.watermark != -1 || len(req.records) != 1 {
		t.Fatalf("batch %d watermark %d records %d, want 1, -1, 1", req.batch, req.watermark, len(req.records))
	}
	r := req.records[0]
	if r.record.Stream != "words" || string(r.record.Key) != "ab" || string(r.record.Value) != "1" || r.record.Time != 5 {
		t.Errorf("record %+v, want words ab 1 5", r.record)
	}
	entries := req.state[r.state.from:r.state.to]
	if len(entries) != 1 || entries[0].name != "count" || string(entries[0].value) != "2" {
		t.Errorf("state %+v, want count=2", entries)
	}
	if want := unhex(t, workedTrace); !bytes.Equal(r.trace, want) {
		t.Errorf("trace % x, want % x", r.trace, want)
	}
}

func TestDecodeProcessRejectsABadTraceSection(t *testing.T) {
	records := unhex(t, workedProcess)[5 : 4+73-27]
	trace := unhex(t, workedTrace)
	cases := []struct {
		name string
		tail []byte
		want string
	}{
		{"missing", nil, "traced count: truncated"},
		{"index past the records", append([]byte{1, 1}, trace...), "traced index 1 is not after the previous one and below the 1 records"},
		{"context cut short", append([]byte{1, 0}, trace[:10]...), "1 traced records cannot fit"},
		{"trailing byte", []byte{0, 0}, "1 trailing bytes"},
	}
	for _, c := range cases {
		var req request
		var names interner
		payload := append(append([]byte{}, records...), c.tail...)
		err := decodeProcess(payload, &req, &names)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error naming %q", c.name, err, c.want)
		}
	}
}
