# frozen_string_literal: true

require_relative "codec"
require_relative "errors"
require_relative "types"

module Eddy
  # What a callback can do: produce records, set timers, read and write the
  # state of the current key, read the watermark, the configuration, log.
  #
  # One Context serves a whole session. For each request the session calls
  # #begin_request, then #focus before each callback, then #finish_request,
  # which returns the request's transaction frame and forgets its effects.
  # Effects are encoded as they happen, straight into per-section buffers, so
  # a transaction costs one concatenation. Keys, values and names may be
  # binary or text Strings (text goes out as its bytes, UTF-8 by convention);
  # state values read back are frozen binary Strings.
  class Context
    NO_KEY = Object.new.freeze # the current key in init: state calls raise
    private_constant :NO_KEY

    def initialize(index:, count:, config:)
      @index = index
      @count = count
      @config = config
      @key = NO_KEY
      @time = 0
      @trace = nil
      @watermark = 0
      reset_effects
      @views = nil
    end

    # ---- the API callbacks use ------------------------------------------------

    # Sends a record on `stream` (one of the computation's outputs). Without
    # `time` the record keeps the event time of the record or timer being
    # handled (0 in init).
    def produce(stream, key, value, time = @time)
      unless String === key && String === value && Integer === time
        check_string(key, "key")
        check_string(value, "value")
        raise UsageError, "produce time must be an Integer, not #{time.class}" unless Integer === time
      end
      stream = stream.to_s unless String === stream
      if stream.bytesize < 0x80 && key.bytesize < 0x80 && value.bytesize < 0x80
        [stream.bytesize, stream, key.bytesize, key, value.bytesize, value, time]
          .pack("Ca*Ca*Ca*q<", buffer: @produced)
      else
        Codec.append_bytes(@produced, stream)
        Codec.append_bytes(@produced, key)
        Codec.append_bytes(@produced, value)
        [time].pack("q<", buffer: @produced)
      end
      if @trace
        Codec.append_varint(@traced, @produced_count)
        @traced << @trace
        @traced_count += 1
      end
      @produced_count += 1
      nil
    end

    # Asks for process_timer with `key` at `time` in `domain` (:event_time or
    # :processing_time). Setting it again for the same (key, tag, domain)
    # replaces it.
    def set_timer(key, time, domain, tag = "")
      check_string(key, "timer key")
      check_string(tag, "timer tag")
      raise UsageError, "timer time must be an Integer, not #{time.class}" unless Integer === time

      domain_number = TIME_DOMAINS.index(domain.to_sym)
      raise UsageError, "time domain #{domain.inspect} is not one of #{TIME_DOMAINS.join(', ')}" unless domain_number

      Codec.append_bytes(@timers, key)
      Codec.append_bytes(@timers, tag)
      [time, domain_number].pack("q<C", buffer: @timers)
      @timers_count += 1
      nil
    end

    # State of the current key: the value stored under `name`, or nil. Sees
    # every put and erase made earlier in the same request.
    def get(name)
      view[binary_name(name)]
    end

    def put(name, value)
      check_string(value, "state value")
      name = binary_name(name)
      value = value.b.freeze
      view[name] = value
      append_write(name, 0, value)
    end

    def erase(name)
      name = binary_name(name)
      view.delete(name)
      append_write(name, 1, "")
    end

    # The request's input watermark, µs.
    attr_reader :watermark

    # Wall-clock time now, µs since the epoch.
    def processing_time = Process.clock_gettime(Process::CLOCK_REALTIME, :microsecond)

    # The configuration value `name` from the manifest, or nil.
    def config(name) = @config[name.to_s]

    def instance_index = @index
    def instance_count = @count

    # Writes a line to the instance's log; level is :debug, :info, :warn or :error.
    def log(level, message)
      level_number = LOG_LEVELS.index(level.to_sym)
      raise UsageError, "log level #{level.inspect} is not one of #{LOG_LEVELS.join(', ')}" unless level_number

      @logs << level_number
      Codec.append_bytes(@logs, message.to_s)
      @logs_count += 1
      nil
    end

    # ---- the session's side -----------------------------------------------------

    # Starts a request: `seeds` (key => {name => value}, or nil) are the state
    # entries the executor sent with it.
    def begin_request(watermark, seeds)
      @watermark = watermark
      @views = seeds
    end

    # Makes `key` (nil in init: no key) and `time` current for the next
    # callback; `trace` is the input record's trace context (25 bytes) or nil,
    # carried unchanged by every record the callback produces.
    def focus(key, time, trace = nil)
      @key = key.nil? ? NO_KEY : key
      @time = time
      @trace = trace
    end

    # Counts a failed callback: `index` of its item, `attempts` raises, the
    # last exception.
    def add_failure(index, attempts, error)
      [index, attempts].pack("L<L<", buffer: @failures)
      Codec.append_bytes(@failures, "#{error.class}: #{error.message}")
      @failures_count += 1
    end

    # The transaction frame answering `batch`; clears the effects for the next request.
    def finish_request(batch)
      payload = String.new(capacity: 16 + @produced.bytesize + @writes.bytesize + @timers.bytesize +
                                     @logs.bytesize + @failures.bytesize, encoding: Codec::BINARY)
      [batch].pack("Q<", buffer: payload)
      append_section(payload, @produced_count, @produced)
      append_section(payload, @writes_count, @writes)
      append_section(payload, @timers_count, @timers)
      append_section(payload, @logs_count, @logs)
      append_section(payload, @failures_count, @failures)
      append_section(payload, @traced_count, @traced)
      reset_effects
      @views = nil
      @key = NO_KEY
      @trace = nil
      Codec.frame(Codec::TRANSACTION, payload)
    end

    private

    def reset_effects
      @produced = String.new(capacity: 1 << 16, encoding: Codec::BINARY)
      @writes = String.new(encoding: Codec::BINARY)
      @timers = String.new(encoding: Codec::BINARY)
      @logs = String.new(encoding: Codec::BINARY)
      @failures = String.new(encoding: Codec::BINARY)
      @traced = String.new(encoding: Codec::BINARY)
      @produced_count = @writes_count = @timers_count = @logs_count = @failures_count = 0
      @traced_count = 0
    end

    def append_section(payload, count, bytes)
      Codec.append_varint(payload, count)
      payload << bytes
    end

    # The state view of the current key, created empty on first use.
    def view
      raise UsageError, "state calls need a current key; there is none in init" if @key.equal?(NO_KEY)

      views = (@views ||= {})
      views[@key] ||= {}
    end

    def append_write(name, op, value)
      Codec.append_bytes(@writes, @key)
      Codec.append_bytes(@writes, name)
      @writes << op
      Codec.append_bytes(@writes, value)
      @writes_count += 1
      nil
    end

    def binary_name(name)
      name = name.to_s unless String === name
      name.encoding == Codec::BINARY ? name : name.b
    end

    def check_string(value, what)
      return if String === value

      raise UsageError, "#{what} must be a String (binary or text), not #{value.class}"
    end
  end
end
