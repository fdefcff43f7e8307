# frozen_string_literal: true

# The pass-through benchmark computation: every record of "in" goes to "out"
# unchanged (key, value and time), so its throughput is the SDK's own cost.

require "eddy"

class Passthrough < Eddy::Computation
  def metadata = Eddy::Metadata.new(name: "passthrough",
                                    inputs: [Eddy::Subscription.new("in", :shuffle)],
                                    outputs: ["out"])

  def process_record(ctx, record)
    ctx.produce("out", record.key, record.value, record.time)
  end
end

Eddy.run(Passthrough.new) if $PROGRAM_NAME == __FILE__
