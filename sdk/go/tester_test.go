package eddy_test

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"

	eddy "eddy.local/sdk"
)

// The test binary doubles as a computation program: with
// EDDY_SDK_TEST_CHILD=1 it runs tester under Run, as an executor would start
// a user process.
func TestMain(m *testing.M) {
	if os.Getenv("EDDY_SDK_TEST_CHILD") == "1" {
		eddy.Run(&tester{})
	}
	os.Exit(m.Run())
}

// tester does what each record's value names, so a test can script it.
type tester struct {
	attempts int // failed attempts of the current "fail2" record
}

func (*tester) Metadata() eddy.Metadata {
	return eddy.Metadata{
		Name:    "tester",
		Inputs:  []eddy.Subscription{{Stream: "in", By: eddy.GroupByKey}, {Stream: "ctl", By: eddy.Broadcast}},
		Outputs: []string{"out"},
	}
}

func (*tester) Init(ctx eddy.Context) error {
	greeting, _ := ctx.Config("greeting")
	ctx.Log(eddy.Info, fmt.Sprintf("init %d/%d greeting=%s", ctx.InstanceIndex(), ctx.InstanceCount(), greeting))
	ctx.Produce("out", []byte("init"), []byte("hi"))
	if _, ok := ctx.Config("state_in_init"); ok {
		ctx.Get("x")
	}
	if _, ok := ctx.Config("start_timer"); ok {
		ctx.SetTimer([]byte("k0"), 77, eddy.ProcessingTime, "start")
	}
	return nil
}

func (c *tester) ProcessRecord(ctx eddy.Context, r eddy.Record) error {
	switch string(r.Value) {
	case "count":
		n := 0
		if v, ok := ctx.Get("n"); ok {
			n, _ = strconv.Atoi(string(v))
		}
		n++
		ctx.Put("n", []byte(strconv.Itoa(n)))
		ctx.Produce("out", r.Key, []byte(strconv.Itoa(n)))
	case "at":
		ctx.ProduceAt("out", r.Key, []byte("at"), 1234)
	case "timer":
		ctx.SetTimer(r.Key, r.Time+10, eddy.EventTime, "t")
	case "erase":
		ctx.Erase("n")
		_, ok := ctx.Get("n")
		ctx.Produce("out", r.Key, []byte(fmt.Sprintf("erased, found=%v", ok)))
	case "env":
		ctx.Produce("out", r.Key, []byte(fmt.Sprintf("%d %d %d", ctx.Watermark(), ctx.InstanceIndex(), ctx.InstanceCount())))
	case "fail2":
		if c.attempts < 2 {
			c.attempts++
			ctx.Log(eddy.Debug, "attempt "+strconv.Itoa(c.attempts))
			return fmt.Errorf("fail attempt %d", c.attempts)
		}
		c.attempts = 0
		ctx.Produce("out", r.Key, []byte("ok"))
	case "panic":
		panic("kaboom")
	case "error":
		return errors.New("always")
	case "log":
		ctx.Log(eddy.Warn, "warned "+string(r.Key))
	}
	return nil
}

func (*tester) ProcessTimer(ctx eddy.Context, t eddy.Timer) error {
	v, _ := ctx.Get("n")
	ctx.Produce("out", t.Key, []byte(fmt.Sprintf("fired %s domain=%d n=%s", t.Tag, t.Domain, v)))
	return nil
}
