package eddytest

import (
	"reflect"
	"strings"
	"testing"

	eddy "eddy.local/sdk"
)

// A transaction in the bytes of docs/protocol.md 11.5, with one of each
// other kind of entry appended by hand.
func TestDecodeTransaction(t *testing.T) {
	payload := []byte("\x01\x00\x00\x00\x00\x00\x00\x00" +
		"\x01\x06counts\x02ab\x013\x05\x00\x00\x00\x00\x00\x00\x00" +
		"\x01\x02ab\x05count\x01\x00" +
		"\x01\x02ab\x01t\x07\x00\x00\x00\x00\x00\x00\x00\x01" +
		"\x01\x02\x02hi" +
		"\x01\x02\x00\x00\x00\x03\x00\x00\x00\x04oops" +
		"\x01\x00" + strings.Repeat("\x07", TraceContextBytes))
	tx, err := DecodeTransaction(payload)
	if err != nil {
		t.Fatal(err)
	}
	want := Transaction{
		Batch:    1,
		Produced: []Output{{"counts", "ab", "3", 5, strings.Repeat("\x07", TraceContextBytes)}},
		Writes:   []Write{{"ab", "count", Erase, ""}},
		Timers:   []TimerSet{{"ab", "t", 7, eddy.ProcessingTime}},
		Logs:     []Log{{eddy.Warn, "hi"}},
		Failures: []Failure{{2, 3, "oops"}},
	}
	if !reflect.DeepEqual(tx, want) {
		t.Errorf("decoded\n %+v\nwant %+v", tx, want)
	}
}

func TestDecodeTransactionRejects(t *testing.T) {
	empty := "\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	cases := []struct{ name, payload, want string }{
		{"trailing byte", empty + "\x00", "1 trailing bytes"},
		{"truncated batch", empty[:5], "batch: truncated"},
		{"truncated string", empty[:8] + "\x01\x05ab", "stream: truncated"},
		{"overlong varint", empty[:8] + "\x80\x00", "not in its shortest form"},
		{"trace of nothing produced", empty[:13] + "\x01\x00" + strings.Repeat("\x07", TraceContextBytes), "traced index 0"},
		{"no trace section", empty[:13], "traced: truncated"},
	}
	for _, c := range cases {
		if _, err := DecodeTransaction([]byte(c.payload)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error naming %q", c.name, err, c.want)
		}
	}
}
