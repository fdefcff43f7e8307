# frozen_string_literal: true

# In-process throughput of the SDK's hot path: decode `process` frames, call
# Passthrough#process_record for every record, encode the transactions. No
# executor and no socket: the frames come from memory, the transactions are
# counted and dropped. Usage: ruby [--yjit] -Ilib bench/bench.rb [requests] [records per request]

require "eddy"
require_relative "passthrough"

# An IO stand-in: init, `requests` copies of one process frame, shutdown.
class ScriptedIO
  attr_reader :written

  def initialize(input)
    @input = input
    @pos = 0
    @written = 0
  end

  def readpartial(max, buffer)
    raise EOFError if @pos >= @input.bytesize

    buffer.replace(@input.byteslice(@pos, max))
    @pos += buffer.bytesize
    buffer
  end

  def write(bytes)
    @written += bytes.bytesize
  end

  def close; end
end

requests = Integer(ARGV[0] || 2000)
per_request = Integer(ARGV[1] || 512)

init = [0, 1, 0].pack("L<L<L<")
Eddy::Codec.append_bytes(init, "{}")
input = Eddy::Codec.frame(Eddy::Codec::INIT, init)
requests.times do |batch|
  payload = [batch + 1, 0].pack("Q<q<")
  Eddy::Codec.append_varint(payload, per_request)
  per_request.times do |i|
    Eddy::Codec.append_bytes(payload, "in")
    Eddy::Codec.append_bytes(payload, "key-#{i % 100}")
    Eddy::Codec.append_bytes(payload, "v" * 100)
    [1_700_000_000_000_000 + i, 0].pack("q<C", buffer: payload)
  end
  Eddy::Codec.append_varint(payload, 0) # no traced records
  input << Eddy::Codec.frame(Eddy::Codec::PROCESS, payload)
end
input << Eddy::Codec.frame(Eddy::Codec::SHUTDOWN)

io = ScriptedIO.new(input)
started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
status = Eddy::Session.new(Passthrough.new, io).run
elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
raise "session ended with status #{status}" unless status.zero?

records = requests * per_request
yjit = defined?(RubyVM::YJIT) && RubyVM::YJIT.enabled? ? "yjit" : "interpreter"
printf("%d records in %d requests: %.3f s, %.0f records/s (%s, %.1f MB out)\n",
       records, requests, elapsed, records / elapsed, yjit, io.written / 1e6)
