package eddy_test

import (
	"bytes"
	"strconv"
	"testing"

	eddy "eddy.local/sdk"
	"eddy.local/sdk/eddytest"
)

// wordCounter is the counter of docs/protocol.md 11.5.
type wordCounter struct{ eddy.Base }

func (wordCounter) Metadata() eddy.Metadata {
	return eddy.Metadata{Name: "counter", Inputs: []eddy.Subscription{{Stream: "words", By: eddy.GroupByKey}}, Outputs: []string{"counts"}}
}

func (wordCounter) ProcessRecord(ctx eddy.Context, r eddy.Record) error {
	n := int64(0)
	if v, ok := ctx.Get("count"); ok {
		var err error
		if n, err = strconv.ParseInt(string(v), 10, 64); err != nil {
			return err
		}
	}
	n++
	ctx.Put("count", []byte(strconv.FormatInt(n, 10)))
	ctx.Produce("counts", r.Key, []byte(strconv.FormatInt(n, 10)))
	return nil
}

// The counter answers the worked process frame with the worked transaction.
func TestWorkedExampleTransaction(t *testing.T) {
	process, want := eddy.WorkedFrames(t)
	c, _ := eddytest.Start(t, wordCounter{}, eddytest.Init{Count: 1, Config: "{}"})
	c.SendRaw(process)
	if got := c.ReadFrame(); !bytes.Equal(got, want) {
		t.Errorf("transaction\n got % x\nwant % x", got, want)
	}
	c.Shutdown()
}
