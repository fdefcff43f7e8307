# frozen_string_literal: true

module Eddy
  # How a subscribed stream's records are spread over a computation's
  # instances, as the manifest names it: :key (hash of the key; keyed state
  # needs this), :shuffle (round robin), :broadcast (every instance).
  GROUPINGS = %i[key shuffle broadcast].freeze

  # Time domains of timers: :event_time fires when the input watermark passes
  # the timer's time, :processing_time when the wall clock does.
  TIME_DOMAINS = %i[event_time processing_time].freeze

  # Log levels, in the order of their wire numbers 0..3.
  LOG_LEVELS = %i[debug info warn error].freeze

  # One subscribed stream and its grouping (a Symbol or String of GROUPINGS).
  class Subscription
    attr_reader :stream, :grouping

    def initialize(stream, grouping = :shuffle)
      @stream = stream.to_s
      @grouping = grouping.to_sym
      return if GROUPINGS.include?(@grouping)

      raise ArgumentError, "grouping of #{@stream.inspect} is #{grouping.inspect}; " \
                           "expected one of #{GROUPINGS.join(', ')}"
    end

    def to_h = { "stream" => @stream, "grouping" => @grouping.to_s }
  end

  # What a computation is called, reads and writes; sent to the executor in
  # sdk_hello. The manifest stays authoritative: the executor only warns about
  # differences. `inputs` are Subscriptions (none: a source driven by timers).
  class Metadata
    attr_reader :name, :inputs, :outputs

    def initialize(name:, inputs: [], outputs: [])
      @name = name.to_s
      @inputs = inputs.map { |s| s.is_a?(Subscription) ? s : Subscription.new(*s) }.freeze
      @outputs = outputs.map(&:to_s).freeze
    end

    def to_h = { "name" => @name, "inputs" => @inputs.map(&:to_h), "outputs" => @outputs }
  end

  # One input record. `key` and `value` are binary Strings (ASCII-8BIT);
  # `time` is its event time in microseconds since the epoch.
  Record = Struct.new(:stream, :key, :value, :time)

  # A timer that came due. `key` scopes the state calls made while handling
  # it; `domain` is :event_time or :processing_time.
  Timer = Struct.new(:key, :tag, :time, :domain)

  # The class a computation extends. eddy calls one instance's callbacks one
  # at a time, never concurrently, so a computation needs no locks.
  #
  #   class Counter < Eddy::Computation
  #     def metadata = Eddy::Metadata.new(name: "counter",
  #                                       inputs: [Eddy::Subscription.new("words", :key)],
  #                                       outputs: ["counts"])
  #     def process_record(ctx, record)
  #       n = (ctx.get("count")&.to_i || 0) + 1
  #       ctx.put("count", n.to_s)
  #       ctx.produce("counts", record.key, n.to_s)
  #     end
  #   end
  #   Eddy.run(Counter.new)
  #
  # An exception raised by a callback is caught by the SDK, retried up to the
  # executor's max_retries and reported; it never ends the process.
  class Computation
    # The computation's Metadata. Called once, before init.
    def metadata
      raise NotImplementedError, "#{self.class} must define metadata"
    end

    # Called once per instance before any record or timer; ctx has no current
    # key, so state calls raise here. Raising fails the instance's start.
    def init(ctx); end

    # One record from a subscribed stream. State calls act on record.key.
    def process_record(ctx, record)
      raise NotImplementedError, "#{self.class} must define process_record"
    end

    # A timer set with Context#set_timer is due. State calls act on timer.key.
    def process_timer(ctx, timer); end
  end
end
