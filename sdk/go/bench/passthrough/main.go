// Command passthrough is the SDK's throughput benchmark computation: it
// produces every record of "in" unchanged (key, value and time) to "out".
package main

import eddy "eddy.local/sdk"

type passthrough struct{ eddy.Base }

func (passthrough) Metadata() eddy.Metadata {
	return eddy.Metadata{
		Name:    "passthrough",
		Inputs:  []eddy.Subscription{{Stream: "in", By: eddy.Shuffle}},
		Outputs: []string{"out"},
	}
}

func (passthrough) ProcessRecord(ctx eddy.Context, r eddy.Record) error {
	ctx.ProduceAt("out", r.Key, r.Value, r.Time)
	return nil
}

func main() { eddy.Run(passthrough{}) }
