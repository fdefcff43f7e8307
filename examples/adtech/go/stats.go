package main

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	eddy "eddy.local/sdk"
)

// campaignStats counts each campaign's impressions and clicks (key grouping
// on "enriched_events", keyed by campaign) and reports them every
// report_interval_ms of processing time (config, default 5000), on a timer
// aligned to multiples of the interval:
//
//	name=<n> advertiser=<a> impressions=<n> clicks=<n> ctr=<p>% total_ctr=<p>%
//
// to output (config, default "campaign_stats"), keyed by campaign:
// impressions, clicks and ctr of the window just closed, total_ctr since
// the campaign's first event. A record's value is the enriched event,
// `imp|click name=.. advertiser=.. category=..` (enrich.py).
//
// Keyed state: "counts", "<window imps> <window clicks> <total imps> <total
// clicks>", written on every record; "labels", `name=.. advertiser=..`, written
// when it changes. Callbacks of one process are never concurrent: no locks.
type campaignStats struct {
	intervalUs int64
	output     string
}

func newCampaignStats() *campaignStats {
	return &campaignStats{intervalUs: 5_000_000, output: "campaign_stats"}
}

const reportTag = "report"

func (s *campaignStats) Metadata() eddy.Metadata {
	return eddy.Metadata{
		Name:    "campaign_stats",
		Inputs:  []eddy.Subscription{{Stream: "enriched_events", By: eddy.GroupByKey}},
		Outputs: []string{s.output},
	}
}

func (s *campaignStats) Init(ctx eddy.Context) error {
	if text, ok := ctx.Config("report_interval_ms"); ok {
		ms, err := strconv.ParseInt(text, 10, 64)
		if err != nil || ms <= 0 {
			return fmt.Errorf("campaign_stats: config report_interval_ms must be a positive integer, not %q", text)
		}
		s.intervalUs = ms * 1000
	}
	if output, ok := ctx.Config("output"); ok {
		if output == "" {
			return errors.New("campaign_stats: config output must name a stream")
		}
		s.output = output
	}
	return nil
}

// counts is state "counts": the open window's and all-time counts.
type counts struct{ windowImps, windowClicks, totalImps, totalClicks int64 }

func decodeCounts(stored []byte, found bool, key []byte) (counts, error) {
	var c counts
	if !found {
		return c, nil
	}
	fields := strings.Fields(string(stored))
	values := []*int64{&c.windowImps, &c.windowClicks, &c.totalImps, &c.totalClicks}
	if len(fields) != len(values) {
		return c, fmt.Errorf("campaign_stats: corrupt state counts %q of %q", stored, key)
	}
	for i, field := range fields {
		n, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			return c, fmt.Errorf("campaign_stats: corrupt state counts %q of %q", stored, key)
		}
		*values[i] = n
	}
	return c, nil
}

func (c counts) encode() []byte {
	return []byte(fmt.Sprintf("%d %d %d %d", c.windowImps, c.windowClicks, c.totalImps, c.totalClicks))
}

func percent(clicks, impressions int64) float64 {
	if impressions == 0 {
		return 0
	}
	return 100 * float64(clicks) / float64(impressions)
}

// labels picks `name=.. advertiser=..` out of an enriched event's fields.
func labels(fields [][]byte) []byte {
	var out []byte
	for _, field := range fields {
		if bytes.HasPrefix(field, []byte("name=")) || bytes.HasPrefix(field, []byte("advertiser=")) {
			if len(out) > 0 {
				out = append(out, ' ')
			}
			out = append(out, field...)
		}
	}
	return out
}

func (s *campaignStats) ProcessRecord(ctx eddy.Context, r eddy.Record) error {
	fields := bytes.Fields(r.Value)
	if len(fields) == 0 || !(string(fields[0]) == "imp" || string(fields[0]) == "click") {
		ctx.Log(eddy.Warn, fmt.Sprintf("skipping event %q of campaign %q: it must start with imp or click", r.Value, r.Key))
		return nil
	}
	stored, found := ctx.Get("counts")
	c, err := decodeCounts(stored, found, r.Key)
	if err != nil {
		return err
	}
	if !found {
		// The campaign's first event: start its reports.
		now := ctx.ProcessingTime()
		ctx.SetTimer(r.Key, (now/s.intervalUs+1)*s.intervalUs, eddy.ProcessingTime, reportTag)
	}
	if string(fields[0]) == "click" {
		c.windowClicks++
		c.totalClicks++
	} else {
		c.windowImps++
		c.totalImps++
	}
	ctx.Put("counts", c.encode())
	if l := labels(fields[1:]); len(l) > 0 {
		if old, ok := ctx.Get("labels"); !ok || !bytes.Equal(old, l) {
			ctx.Put("labels", l)
		}
	}
	return nil
}

func (s *campaignStats) ProcessTimer(ctx eddy.Context, t eddy.Timer) error {
	if t.Tag != reportTag {
		return nil
	}
	stored, found := ctx.Get("counts")
	c, err := decodeCounts(stored, found, t.Key)
	if err != nil {
		return err
	}
	label := "name=" + string(t.Key) + " advertiser=unknown"
	if l, ok := ctx.Get("labels"); ok {
		label = string(l)
	}
	report := fmt.Sprintf("%s impressions=%d clicks=%d ctr=%.3f%% total_ctr=%.3f%%", label,
		c.windowImps, c.windowClicks, percent(c.windowClicks, c.windowImps),
		percent(c.totalClicks, c.totalImps))
	ctx.ProduceAt(s.output, t.Key, []byte(report), t.Time)
	c.windowImps, c.windowClicks = 0, 0
	ctx.Put("counts", c.encode())
	ctx.SetTimer(t.Key, t.Time+s.intervalUs, eddy.ProcessingTime, reportTag)
	return nil
}
