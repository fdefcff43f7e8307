// Command campaign_stats is the ad-tech pipeline's campaign statistics
// (examples/adtech) on the Go SDK: impressions, clicks and click-through
// rate per campaign and reporting window, from the stream the Python
// enrichment (examples/adtech/python/enrich.py) produces.
//
//	enrich ─enriched_events─► campaign_stats ─campaign_stats─► stdout
//	         (key: campaign)
//
// It is run by an eddy executor (manifest `command: [./campaign_stats]`).
package main

import eddy "eddy.local/sdk"

func main() { eddy.Run(newCampaignStats()) }
