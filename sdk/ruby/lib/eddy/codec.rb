# frozen_string_literal: true

require "json"
require_relative "errors"
require_relative "types"

module Eddy
  # The bytes of the executor <-> SDK protocol (docs/protocol.md sections 1-3
  # and 11): frame types, varints, and a decoder or encoder for every frame
  # the SDK receives or sends. Pure functions over binary Strings, no I/O.
  # Decoders raise ProtocolError naming the frame, the field and the offset.
  module Codec
    BINARY = Encoding::BINARY
    PROTOCOL_VERSION = 2
    # A trace context (docs/protocol.md 6.3): trace id 16, span id 8, flags 1.
    TRACE_CONTEXT_BYTES = 25

    SDK_HELLO = 0x40
    INIT = 0x41
    PROCESS = 0x42
    FIRE_TIMERS = 0x43
    TRANSACTION = 0x44
    SHUTDOWN = 0x45
    GOODBYE = 0x46
    ERROR = 0x47

    FRAME_NAMES = {
      SDK_HELLO => "sdk_hello", INIT => "init", PROCESS => "process",
      FIRE_TIMERS => "fire_timers", TRANSACTION => "transaction",
      SHUTDOWN => "shutdown", GOODBYE => "goodbye", ERROR => "error"
    }.freeze

    # Largest frame `length` accepted from the executor, and the largest the
    # executor accepts from us (section 11.4: requests are at most 16 MiB,
    # transactions at most 64 MiB).
    MAX_FRAME_LENGTH = 64 * 1024 * 1024

    ERROR_PROTOCOL = 1
    ERROR_UNSUPPORTED_VERSION = 2
    ERROR_INTERNAL = 3

    # What `init` carries.
    Init = Struct.new(:index, :count, :max_retries, :config)
    # A decoded `process` (items are Records) or `fire_timers` (items are
    # Timers). `seeds` maps a key to its stored state (name => value), from
    # the first item of that key carrying entries; nil when no item had any.
    # traces: {record index => 25-byte trace context} or nil (process only).
    Request = Struct.new(:batch, :watermark, :items, :seeds, :traces)
    # A decoded `error` from the executor.
    ErrorMessage = Struct.new(:code, :message)

    module_function

    # A name for a frame type in error messages: "process (0x42)".
    def frame_name(type)
      name = FRAME_NAMES[type]
      name ? format("%s (0x%02x)", name, type) : format("type 0x%02x", type)
    end

    # Appends the LEB128 encoding of 0 <= value < 2^64 to buffer.
    def append_varint(buffer, value)
      raise RangeError, "varint #{value} out of range" if value.negative? || value >= 1 << 64

      while value >= 0x80
        buffer << ((value & 0x7f) | 0x80)
        value >>= 7
      end
      buffer << value
    end

    # Appends a `bytes` field. `text` may be in any encoding; its bytes go out
    # as they are (pack "a*" ignores the encoding, where String#<< would not).
    def append_bytes(buffer, text)
      size = text.bytesize
      if size < 0x80
        [size, text].pack("Ca*", buffer: buffer)
      else
        append_varint(buffer, size)
        [text].pack("a*", buffer: buffer)
      end
    end

    # Cursor over one frame's payload. Every read checks the payload's end,
    # so nothing outside it is ever read.
    class Reader
      def initialize(payload, frame)
        @buf = payload
        @pos = 0
        @size = payload.bytesize
        @frame = frame
      end

      def varint(field)
        byte = @buf.getbyte(@pos)
        if byte && byte < 0x80
          @pos += 1
          return byte
        end
        long_varint(field)
      end

      def bytes(field)
        size = @buf.getbyte(@pos)
        if size && size < 0x80
          @pos += 1
        else
          size = long_varint(field)
        end
        if @pos + size > @size
          fail!("bad_length", "#{field} of #{size} bytes runs past the end of the payload (#{@size - @pos} left)")
        end
        text = @buf.byteslice(@pos, size)
        @pos += size
        text
      end

      def i64(field) = fixed(8, "q<", field)
      def u64(field) = fixed(8, "Q<", field)
      def u32(field) = fixed(4, "L<", field)
      def u16(field) = fixed(2, "S<", field)
      def u8(field) = fixed(1, "C", field)

      # Raises trailing_bytes unless the whole payload was consumed.
      def finish
        return if @pos == @size

        fail!("trailing_bytes", "#{@size - @pos} bytes after the last field")
      end

      def remaining = @size - @pos

      # The next `size` bytes, which the caller has checked are there.
      def raw(size)
        text = @buf.byteslice(@pos, size)
        @pos += size
        text
      end

      # The offset of the next field, for a caller that reads a stretch itself.
      attr_accessor :pos

      def fail!(kind, what)
        raise ProtocolError, "#{kind} in #{@frame} at payload offset #{@pos}: #{what}"
      end

      private

      def fixed(width, directive, field)
        fail!("truncated", "#{field} needs #{width} bytes, #{@size - @pos} left") if @pos + width > @size
        value = @buf.unpack1(directive, offset: @pos)
        @pos += width
        value
      end

      def long_varint(field)
        start = @pos
        value = 0
        shift = 0
        loop do
          byte = @buf.getbyte(@pos)
          unless byte
            @pos = start
            fail!("truncated", "varint #{field} is cut off by the end of the payload")
          end
          @pos += 1
          if shift == 63 && byte > 1
            @pos = start
            fail!("bad_varint", "varint #{field} exceeds 2^64 - 1")
          end
          value |= (byte & 0x7f) << shift
          if byte < 0x80
            if byte.zero? && shift.positive?
              @pos = start
              fail!("bad_varint", "varint #{field} is overlong")
            end
            return value
          end
          shift += 7
        end
      end
    end

    # Decodes a varint alone (tests, tools): [value, next offset].
    def decode_varint(buffer, offset = 0)
      reader = Reader.new(buffer.byteslice(offset..), "varint")
      value = reader.varint("value")
      [value, buffer.bytesize - reader.remaining]
    end

    def decode_init(payload)
      r = Reader.new(payload, "init")
      index = r.u32("index")
      count = r.u32("count")
      max_retries = r.u32("max_retries")
      config_json = r.bytes("config")
      r.finish
      Init.new(index, count, max_retries, parse_config(config_json))
    end

    def parse_config(json)
      config = JSON.parse(json.dup.force_encoding(Encoding::UTF_8))
      unless config.is_a?(Hash) && config.each_value.all?(String)
        raise ProtocolError, "init config is not a JSON object of strings: #{json[0, 200].inspect}"
      end

      config
    rescue JSON::ParserError => e
      raise ProtocolError, "init config is not valid JSON: #{e.message.lines.first.strip}"
    end

    # process: records with the state entries of each key's first record.
    # The loop reads a record whose lengths are single-byte varints inline
    # (the common case, and most of the SDK's time); anything else goes
    # through Reader, which also produces the errors.
    def decode_process(payload)
      r = Reader.new(payload, "process")
      batch = r.u64("batch")
      watermark = r.i64("watermark")
      n = r.varint("record count")
      size = payload.bytesize
      pos = r.pos
      records = []
      seeds = nil
      i = 0
      while i < n
        start = pos
        stream_size = payload.getbyte(pos)
        if stream_size && stream_size < 0x80 && (key_size = payload.getbyte(pos += 1 + stream_size)) &&
           key_size < 0x80 && (value_size = payload.getbyte(pos += 1 + key_size)) &&
           value_size < 0x80 && (pos += 1 + value_size) + 9 <= size &&
           (entries = payload.getbyte(pos + 8)) < 0x80
          stream = payload.byteslice(start + 1, stream_size)
          key = payload.byteslice(start + 2 + stream_size, key_size)
          value = payload.byteslice(pos - value_size, value_size)
          time = payload.unpack1("q<", offset: pos)
          pos += 9
        else
          r.pos = start
          stream = r.bytes("record stream")
          key = r.bytes("record key")
          value = r.bytes("record value")
          time = r.i64("record time")
          entries = r.varint("state entry count")
          pos = r.pos
        end
        if entries.positive?
          r.pos = pos
          (seeds ||= {})[key] ||= decode_state(r, entries)
          pos = r.pos
        end
        records << Record.new(stream, key, value, time)
        i += 1
      end
      r.pos = pos
      traces = decode_traces(r, n)
      r.finish
      Request.new(batch, watermark, records, seeds, traces)
    end

    # fire_timers: timers in firing order, state entries as in process.
    def decode_fire_timers(payload)
      r = Reader.new(payload, "fire_timers")
      batch = r.u64("batch")
      watermark = r.i64("watermark")
      n = r.varint("timer count")
      timers = []
      seeds = nil
      n.times do
        key = r.bytes("timer key")
        tag = r.bytes("timer tag")
        time = r.i64("timer time")
        domain = TIME_DOMAINS[r.u8("timer domain")] || r.fail!("bad_domain", "timer domain is not 0 or 1")
        entries = r.varint("state entry count")
        (seeds ||= {})[key] ||= decode_state(r, entries) if entries.positive?
        timers << Timer.new(key, tag, time, domain)
      end
      r.finish
      Request.new(batch, watermark, timers, seeds)
    end

    # The trace section closing a process: (index, context) pairs, indices
    # increasing and below `items`. nil when nothing is traced.
    def decode_traces(reader, items)
      n = reader.varint("traced count")
      return nil if n.zero?

      if n > reader.remaining / (1 + TRACE_CONTEXT_BYTES)
        reader.fail!("count_mismatch", "#{n} traced records cannot fit in the #{reader.remaining} bytes left")
      end
      traces = {}
      smallest = 0
      n.times do
        index = reader.varint("traced index")
        if index < smallest || index >= items
          reader.fail!("bad_length", "traced index #{index} is not after the previous one and below the #{items} records")
        end
        if reader.remaining < TRACE_CONTEXT_BYTES
          reader.fail!("truncated", "the trace context of record #{index} runs past the end")
        end
        traces[index] = reader.raw(TRACE_CONTEXT_BYTES)
        smallest = index + 1
      end
      traces
    end

    def decode_state(reader, entries)
      state = {}
      entries.times do
        name = reader.bytes("state name")
        state[name] = reader.bytes("state value").freeze
      end
      state
    end

    def decode_error(payload)
      r = Reader.new(payload, "error")
      code = r.u16("code")
      message = r.bytes("message")
      r.finish
      ErrorMessage.new(code, message)
    end

    # Raises trailing_bytes for a frame that must be empty (shutdown).
    def decode_empty(payload, frame)
      Reader.new(payload, frame).finish
    end

    # A whole frame: u32 length (type + payload), u8 type, payload.
    def frame(type, payload = "")
      [payload.bytesize + 1, type, payload].pack("L<Ca*")
    end

    def encode_sdk_hello(sdk, metadata)
      payload = [PROTOCOL_VERSION].pack("S<")
      append_bytes(payload, sdk)
      append_bytes(payload, JSON.generate(metadata.to_h))
      frame(SDK_HELLO, payload)
    end

    def encode_error(code, message)
      payload = [code].pack("S<")
      append_bytes(payload, message)
      frame(ERROR, payload)
    end

    def encode_goodbye = frame(GOODBYE)
  end
end
