package main

import (
	"reflect"
	"strings"
	"testing"
	"time"

	eddy "eddy.local/sdk"
	"eddy.local/sdk/eddytest"
)

// start serves campaignStats as instance 0 of 1 with the configuration
// config and returns the conversation and init's transaction.
func start(t *testing.T, config string) (*eddytest.Conversation, eddytest.Transaction) {
	return eddytest.Start(t, newCampaignStats(), eddytest.Init{Count: 1, Config: config})
}

// event is an enriched event of campaign key with its key's state entries
// (name, value, ...).
func event(key, value string, time int64, state ...string) eddytest.Record {
	return eddytest.Record{Stream: "enriched_events", Key: key, Value: value, Time: time, State: state}
}

func put(key, name, value string) eddytest.Write {
	return eddytest.Write{Key: key, Name: name, Op: eddytest.Put, Value: value}
}

const enrichedC03 = " name=trail_runners advertiser=northwind category=sports"

func TestCountsAndStartsReportsOnTheFirstEvent(t *testing.T) {
	e, _ := start(t, `{"report_interval_ms":"2000"}`)
	before := time.Now().UnixMicro()
	tx := e.Process(1, 0,
		event("c03", "imp"+enrichedC03, 1),
		event("c03", "click"+enrichedC03, 2),
		event("c03", "imp"+enrichedC03, 3))
	check(t, "produced", tx.Produced, []eddytest.Output(nil))
	check(t, "writes", tx.Writes, []eddytest.Write{
		put("c03", "counts", "1 0 1 0"), put("c03", "labels", "name=trail_runners advertiser=northwind"),
		put("c03", "counts", "1 1 1 1"), put("c03", "counts", "2 1 2 1")})
	if len(tx.Timers) != 1 {
		t.Fatalf("timers %+v, want one report timer", tx.Timers)
	}
	timer := tx.Timers[0]
	if timer.Key != "c03" || timer.Tag != "report" || timer.Domain != eddy.ProcessingTime || timer.Time%2_000_000 != 0 ||
		timer.Time <= before || timer.Time > before+2_000_000 {
		t.Errorf("timer %+v, want c03 report at the next 2 s boundary after %d in processing time", timer, before)
	}
	e.Shutdown()
}

func TestReportsTheWindowAndTotalsThenStartsTheNextWindow(t *testing.T) {
	e, _ := start(t, "{}")
	state := []string{"counts", "2000 100 6000 150", "labels", "name=trail_runners advertiser=northwind"}
	tx := e.FireTimers(1, 0, eddytest.Timer{Key: "c03", Tag: "report", Time: 10_000_000, Domain: eddy.ProcessingTime, State: state})
	check(t, "produced", tx.Produced, []eddytest.Output{{Stream: "campaign_stats", Key: "c03", Value: "name=trail_runners advertiser=northwind " +
		"impressions=2000 clicks=100 ctr=5.000% total_ctr=2.500%", Time: 10_000_000}})
	check(t, "writes", tx.Writes, []eddytest.Write{put("c03", "counts", "0 0 6000 150")})
	check(t, "timers", tx.Timers, []eddytest.TimerSet{{Key: "c03", Tag: "report", Time: 15_000_000, Domain: eddy.ProcessingTime}})
	e.Shutdown()
}

func TestSkipsMalformedEventsAndFailsOnCorruptState(t *testing.T) {
	e, _ := start(t, "{}")
	tx := e.Process(1, 0, event("c01", "view name=x", 1), event("c02", "imp", 2, "counts", "1 2"))
	check(t, "writes", tx.Writes, []eddytest.Write(nil))
	if len(tx.Logs) != 1 || !strings.Contains(tx.Logs[0].Text, "view") {
		t.Errorf("logs %+v, want one naming the malformed event", tx.Logs)
	}
	if len(tx.Failures) != 1 || !strings.Contains(tx.Failures[0].Message, "corrupt state") {
		t.Errorf("failures %+v, want one naming the corrupt state", tx.Failures)
	}
	e.Shutdown()
}

func TestBadIntervalFailsInit(t *testing.T) {
	_, init := start(t, `{"report_interval_ms":"0"}`)
	if len(init.Failures) != 1 || !strings.Contains(init.Failures[0].Message, "report_interval_ms") {
		t.Errorf("init failures %+v, want one naming report_interval_ms", init.Failures)
	}
}

func check(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s\n got %+v\nwant %+v", what, got, want)
	}
}
