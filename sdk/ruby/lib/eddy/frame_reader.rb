# frozen_string_literal: true

require_relative "codec"
require_relative "errors"

module Eddy
  # Reads frames from a stream socket (or any IO with readpartial) in large
  # chunks. A frame's length is checked as soon as its 4 bytes are in, and its
  # type as soon as its type byte is, before waiting for the payload, so a
  # bad header is reported without buffering what follows it.
  class FrameReader
    CHUNK = 1 << 20
    # Types the executor may send; the rest of the SDK range are ours to send.
    RECEIVABLE = [Codec::INIT, Codec::PROCESS, Codec::FIRE_TIMERS, Codec::SHUTDOWN, Codec::ERROR].freeze

    # The peer closed the connection; `mid_frame` says whether it cut a frame short.
    class Closed < StandardError
      attr_reader :mid_frame

      def initialize(mid_frame)
        @mid_frame = mid_frame
        super(mid_frame ? "the executor closed the connection in the middle of a frame"
                        : "the executor closed the connection without shutdown")
      end
    end

    def initialize(io)
      @io = io
      @buf = String.new(encoding: Codec::BINARY)
      @pos = 0
      @chunk = String.new(capacity: CHUNK, encoding: Codec::BINARY)
    end

    # The next frame as [type, payload]. Raises ProtocolError for a bad
    # header, Closed at the end of the stream.
    def next_frame
      fill(4)
      length = @buf.unpack1("L<", offset: @pos)
      if length.zero? || length > Codec::MAX_FRAME_LENGTH
        raise ProtocolError, "frame length #{length} is outside 1..#{Codec::MAX_FRAME_LENGTH}"
      end

      fill(5)
      type = @buf.getbyte(@pos + 4)
      check_type(type)
      fill(4 + length)
      payload = @buf.byteslice(@pos + 5, length - 1)
      @pos += 4 + length
      [type, payload]
    end

    private

    def check_type(type)
      return if RECEIVABLE.include?(type)

      what = if type.between?(Codec::SDK_HELLO, 0x7f)
               Codec::FRAME_NAMES.key?(type) ? "#{Codec.frame_name(type)}, which only an SDK sends" : "unknown #{Codec.frame_name(type)}"
             elsif type.between?(0x01, 0x3f)
               "#{Codec.frame_name(type)}, a data-plane frame not valid on an SDK connection"
             else
               "reserved #{Codec.frame_name(type)}"
             end
      raise ProtocolError, "unexpected frame: #{what}"
    end

    # Reads until `count` bytes past the current frame start are buffered.
    def fill(count)
      while @buf.bytesize - @pos < count
        if @pos.positive?
          @buf = @buf.byteslice(@pos..)
          @pos = 0
        end
        begin
          @io.readpartial(CHUNK, @chunk)
        rescue EOFError
          raise Closed, @buf.bytesize > @pos
        end
        @buf << @chunk
      end
    end
  end
end
