# frozen_string_literal: true

# A computation for the SDK's tests that uses every part of the API; each
# record's value is a command saying what to do with it.

require "eddy"

class Probe < Eddy::Computation
  def initialize
    super
    @flaky = Hash.new(0)
  end

  def metadata = Eddy::Metadata.new(name: "probe",
                                    inputs: [Eddy::Subscription.new("in", :key),
                                             Eddy::Subscription.new("control", :broadcast)],
                                    outputs: %w[out])

  def init(ctx)
    raise "init refused: fail_init is set" if ctx.config("fail_init")
    ctx.get("anything") if ctx.config("state_in_init")

    ctx.log(:info, "init #{ctx.config('greeting')} #{ctx.instance_index}/#{ctx.instance_count}")
    ctx.produce("out", "init", "hello")
  end

  def process_record(ctx, record)
    case record.value
    when "count" # read-your-writes: the running count in state "n"
      n = (ctx.get("n")&.to_i || 0) + 1
      ctx.put("n", n.to_s)
      ctx.produce("out", record.key, n.to_s)
    when "erase"
      ctx.erase("n")
      ctx.produce("out", record.key, ctx.get("n") || "none", 77)
    when "timer"
      ctx.set_timer(record.key, record.time + 10, :event_time, "t1")
      ctx.set_timer(record.key, 123, :processing_time)
    when "fail"
      ctx.produce("out", record.key, "attempt")
      raise ArgumentError, "boom #{record.key}"
    when "flaky" # raises on its first attempt only
      @flaky[record.key] += 1
      raise "flaky #{record.key}" if @flaky[record.key] == 1

      ctx.produce("out", record.key, "recovered")
    when "log"
      ctx.log(:warn, "warned about #{record.key}")
      ctx.log(:debug, "débogage")
    when "clock"
      ctx.produce("out", record.key, "#{ctx.watermark} #{ctx.processing_time}")
    else
      raise "unknown command #{record.value.inspect}"
    end
  end

  def process_timer(ctx, timer)
    ctx.produce("out", timer.key, "fired #{timer.tag} #{timer.domain} n=#{ctx.get('n')}", timer.time + 1)
    ctx.put("n", "100")
  end
end

Eddy.run(Probe.new) if $PROGRAM_NAME == __FILE__
