# frozen_string_literal: true

require_relative "codec"
require_relative "context"
require_relative "errors"
require_relative "frame_reader"
require_relative "version"

module Eddy
  # One conversation with an executor over a connected stream (section 11.2):
  # sdk_hello, init, then process / fire_timers until shutdown. Each request
  # is decoded whole before any callback runs, then answered with exactly one
  # transaction, written in one call.
  #
  # #run never raises and never exits the process: it returns the exit status
  # (see EXIT_*) and writes a one-line reason to `err` unless the conversation
  # ended with shutdown. Eddy.run wraps it for a real process; tests drive it
  # over a socket pair.
  class Session
    EXIT_OK = 0
    EXIT_INTERNAL = 1      # the SDK or the computation's metadata failed
    EXIT_PROTOCOL = 3      # a bad or unexpected frame, or the connection was lost

    SDK_NAME = "ruby/#{VERSION}"

    def initialize(computation, io, err: $stderr)
      @computation = computation
      @io = io
      @err = err
      @frames = FrameReader.new(io)
      @context = nil
      @max_retries = 0
    end

    def run
      metadata = begin
        @computation.metadata
      rescue StandardError, ScriptError => e
        return fail_internal("metadata of #{@computation.class} raised #{e.class}: #{e.message}")
      end
      @io.write(Codec.encode_sdk_hello(SDK_NAME, metadata))
      converse
    rescue ProtocolError => e
      send_error(Codec::ERROR_PROTOCOL, e.message)
      finish(EXIT_PROTOCOL, "protocol error: #{e.message}")
    rescue FrameReader::Closed => e
      finish(EXIT_PROTOCOL, e.message)
    rescue IOError, SystemCallError => e
      finish(EXIT_PROTOCOL, "connection to the executor lost: #{e.message}")
    rescue StandardError => e
      fail_internal("#{e.class}: #{e.message}")
    end

    private

    def converse
      loop do
        type, payload = @frames.next_frame
        case type
        when Codec::INIT
          raise ProtocolError, "unexpected frame: a second init" if @context

          serve_init(Codec.decode_init(payload))
        when Codec::PROCESS
          expect_init("process")
          serve(Codec.decode_process(payload), :process_record)
        when Codec::FIRE_TIMERS
          expect_init("fire_timers")
          serve(Codec.decode_fire_timers(payload), :process_timer)
        when Codec::SHUTDOWN
          Codec.decode_empty(payload, "shutdown")
          @io.write(Codec.encode_goodbye)
          return finish(EXIT_OK, nil)
        when Codec::ERROR
          error = Codec.decode_error(payload)
          return finish(EXIT_PROTOCOL, "the executor reported error #{error.code}: " \
                                       "#{error.message.dup.force_encoding(Encoding::UTF_8).scrub}")
        end
      end
    end

    def expect_init(frame)
      raise ProtocolError, "unexpected frame: #{frame} before init" unless @context
    end

    def serve_init(init)
      @max_retries = init.max_retries
      @context = Context.new(index: init.index, count: init.count, config: init.config)
      @context.begin_request(0, nil)
      @context.focus(nil, 0)
      call_with_retries(0) { @computation.init(@context) }
      @io.write(@context.finish_request(0))
    end

    # Runs `callback` for every item of `request`, then sends its transaction.
    def serve(request, callback)
      context = @context
      computation = @computation
      items = request.items
      traces = request.traces
      context.begin_request(request.watermark, request.seeds)
      index = 0
      count = items.size
      while index < count
        item = items[index]
        context.focus(item.key, item.time, traces && traces[index])
        begin
          if callback == :process_record
            computation.process_record(context, item)
          else
            computation.process_timer(context, item)
          end
        rescue StandardError, ScriptError => e
          retry_failed(index, e) { computation.__send__(callback, context, item) }
        end
        index += 1
      end
      send_transaction(context.finish_request(request.batch), request.batch)
    end

    def send_transaction(transaction, batch)
      if transaction.bytesize - 4 > Codec::MAX_FRAME_LENGTH
        raise Error, "transaction for batch #{batch} is #{transaction.bytesize} bytes, " \
                     "above the executor's limit of #{Codec::MAX_FRAME_LENGTH}"
      end
      @io.write(transaction)
    end

    def call_with_retries(index, &callback)
      callback.call
    rescue StandardError, ScriptError => e
      retry_failed(index, e, &callback)
    end

    # `first_error` was the first raise of the callback at `index`; retries it
    # up to max_retries times (every attempt's effects stay) and reports how
    # many times it raised, succeeded at last or not.
    def retry_failed(index, first_error)
      attempts = 1
      last_error = first_error
      while attempts <= @max_retries
        begin
          yield
          break
        rescue StandardError, ScriptError => e
          attempts += 1
          last_error = e
        end
      end
      @context.add_failure(index, attempts, last_error)
    end

    def send_error(code, message)
      @io.write(Codec.encode_error(code, message))
    rescue IOError, SystemCallError
      nil # the executor is gone already; the exit status still tells
    end

    def fail_internal(message)
      send_error(Codec::ERROR_INTERNAL, message)
      finish(EXIT_INTERNAL, "internal error: #{message}")
    end

    def finish(status, message)
      @err.puts("eddy (#{SDK_NAME}): #{message}") if message
      begin
        @io.close
      rescue IOError, SystemCallError
        nil
      end
      status
    end
  end
end
