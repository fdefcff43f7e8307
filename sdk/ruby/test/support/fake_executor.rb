# frozen_string_literal: true

require "eddy"
require "socket"
require "fileutils"
require "json"
require "stringio"
require "tmpdir"

# The executor's side of the SDK protocol, for tests: encodes requests,
# decodes what the SDK sends, and runs the SDK either as a real child process
# on a Unix socket in a temporary directory, or in-process on a thread over a
# socket pair. Every read has a deadline; #close kills and reaps whatever it
# started.
class FakeExecutor
  DEADLINE = 10 # seconds any single wait may take
  RUBY = ENV.fetch("EDDY_TEST_RUBY", "ruby")
  SDK_LIB = File.expand_path("../../lib", __dir__)

  Hello = Struct.new(:version, :sdk, :metadata)
  Produced = Struct.new(:stream, :key, :value, :time)
  Write = Struct.new(:key, :name, :op, :value)
  TimerSet = Struct.new(:key, :tag, :time, :domain)
  Log = Struct.new(:level, :text)
  Failure = Struct.new(:index, :attempts, :message)
  # traced: {produced index => 25-byte trace context}.
  Transaction = Struct.new(:batch, :produced, :writes, :timers, :logs, :failures, :traced)

  attr_reader :socket, :stderr_path

  # Starts `program` (a Ruby file) as a child with EDDY_SOCKET etc. set and
  # accepts its connection. `env` adds to or (with nil values) removes from
  # the child's environment.
  def self.child(program, *args, env: {}, accept: true)
    executor = new
    executor.start_child(program, args, env, accept)
    executor
  end

  # Runs Eddy::Session for `computation` on a thread over a socket pair.
  def self.in_process(computation)
    executor = new
    executor.start_in_process(computation)
    executor
  end

  def initialize
    @dir = Dir.mktmpdir("eddy-ruby-test")
    @buffer = String.new(encoding: Encoding::BINARY)
  end

  def start_child(program, args, env, accept)
    @socket_path = File.join(@dir, "sdk.sock")
    @server = UNIXServer.new(@socket_path)
    @stderr_path = File.join(@dir, "stderr")
    child_env = { "EDDY_SOCKET" => @socket_path, "EDDY_COMPUTATION" => "test",
                  "EDDY_INSTANCE_INDEX" => "0", "EDDY_INSTANCE_COUNT" => "1",
                  "RUBYLIB" => [SDK_LIB, ENV["RUBYLIB"]].compact.join(":") }.merge(env)
    @pid = Process.spawn(child_env, RUBY, program, *args, err: @stderr_path, out: File::NULL)
    @waiter = Process.detach(@pid)
    accept_connection if accept
  end

  def start_in_process(computation)
    @socket, sdk_end = UNIXSocket.pair
    @stderr = StringIO.new
    @session = Thread.new { Eddy::Session.new(computation, sdk_end, err: @stderr).run }
  end

  def accept_connection
    ready = IO.select([@server], nil, nil, DEADLINE)
    raise "the SDK did not connect within #{DEADLINE} s (stderr: #{stderr})" unless ready

    @socket = @server.accept
  end

  # The SDK's exit status: the child's, or what Session#run returned.
  def exit_status
    if @session
      raise "the session did not end within #{DEADLINE} s" unless @session.join(DEADLINE)

      return @session.value
    end
    raise "the SDK process did not exit within #{DEADLINE} s" unless @waiter.join(DEADLINE)

    @waiter.value.exitstatus
  end

  def stderr
    return @stderr.string if @stderr
    return "" unless @stderr_path && File.exist?(@stderr_path)

    File.read(@stderr_path)
  end

  def close
    @socket&.close unless @socket&.closed?
    if @pid && @waiter.alive?
      Process.kill(:KILL, @pid)
      @waiter.join(DEADLINE)
    end
    @session&.join(DEADLINE)
    @server&.close
    FileUtils.remove_entry(@dir)
  end

  # ---- sending -------------------------------------------------------------

  def send_bytes(bytes) = @socket.write(bytes)

  def send_frame(type, payload = "") = send_bytes(Eddy::Codec.frame(type, payload))

  def send_init(config = {}, index: 0, count: 1, max_retries: 0)
    payload = [index, count, max_retries].pack("L<L<L<")
    Eddy::Codec.append_bytes(payload, JSON.generate(config))
    send_frame(Eddy::Codec::INIT, payload)
  end

  # records: [stream, key, value, time, {state}] each; traces: {record index
  # => 25-byte trace context}.
  def send_process(batch, records, watermark: 0, traces: {})
    payload = [batch, watermark].pack("Q<q<")
    Eddy::Codec.append_varint(payload, records.size)
    records.each do |stream, key, value, time, state|
      [stream, key, value].each { |field| Eddy::Codec.append_bytes(payload, field) }
      [time].pack("q<", buffer: payload)
      append_state(payload, state || {})
    end
    Eddy::Codec.append_varint(payload, traces.size)
    traces.sort.each do |index, trace|
      Eddy::Codec.append_varint(payload, index)
      payload << trace.b
    end
    send_frame(Eddy::Codec::PROCESS, payload)
  end

  # timers: [key, tag, time, domain (0/1), {state}] each.
  def send_fire_timers(batch, timers, watermark: 0)
    payload = [batch, watermark].pack("Q<q<")
    Eddy::Codec.append_varint(payload, timers.size)
    timers.each do |key, tag, time, domain, state|
      Eddy::Codec.append_bytes(payload, key)
      Eddy::Codec.append_bytes(payload, tag)
      [time, domain].pack("q<C", buffer: payload)
      append_state(payload, state || {})
    end
    send_frame(Eddy::Codec::FIRE_TIMERS, payload)
  end

  def send_shutdown = send_frame(Eddy::Codec::SHUTDOWN)

  # ---- receiving -------------------------------------------------------------

  # The next frame as [type, payload]; raises on deadline or end of stream.
  def receive_frame
    fill(5)
    length = @buffer.unpack1("L<")
    fill(4 + length)
    type = @buffer.getbyte(4)
    payload = @buffer.byteslice(5, length - 1)
    @buffer = @buffer.byteslice((4 + length)..)
    [type, payload]
  end

  def receive(expected_type)
    type, payload = receive_frame
    return payload if type == expected_type

    detail = type == Eddy::Codec::ERROR ? ": #{Eddy::Codec.decode_error(payload).message}" : ""
    raise "expected #{Eddy::Codec.frame_name(expected_type)}, got #{Eddy::Codec.frame_name(type)}#{detail}"
  end

  def receive_hello
    r = Eddy::Codec::Reader.new(receive(Eddy::Codec::SDK_HELLO), "sdk_hello")
    hello = Hello.new(r.u16("version"), r.bytes("sdk"), JSON.parse(r.bytes("metadata")))
    r.finish
    hello
  end

  def receive_transaction
    r = Eddy::Codec::Reader.new(receive(Eddy::Codec::TRANSACTION), "transaction")
    transaction = Transaction.new(
      r.u64("batch"),
      list(r) { Produced.new(r.bytes("stream"), r.bytes("key"), r.bytes("value"), r.i64("time")) },
      list(r) { Write.new(r.bytes("key"), r.bytes("name"), r.u8("op"), r.bytes("value")) },
      list(r) { TimerSet.new(r.bytes("key"), r.bytes("tag"), r.i64("time"), r.u8("domain")) },
      list(r) { Log.new(r.u8("level"), r.bytes("text")) },
      list(r) { Failure.new(r.u32("index"), r.u32("attempts"), r.bytes("message")) },
      {}
    )
    smallest = 0
    r.varint("traced").times do
      index = r.varint("traced index")
      raise "traced index #{index} is not in #{smallest}...#{transaction.produced.size}" \
        unless index >= smallest && index < transaction.produced.size

      transaction.traced[index] = r.raw(Eddy::Codec::TRACE_CONTEXT_BYTES)
      smallest = index + 1
    end
    r.finish
    transaction
  end

  def receive_error = Eddy::Codec.decode_error(receive(Eddy::Codec::ERROR))

  def receive_goodbye = Eddy::Codec.decode_empty(receive(Eddy::Codec::GOODBYE), "goodbye")

  # True once the SDK has closed its end (no more bytes, end of stream).
  def closed_by_sdk?
    return false unless IO.select([@socket], nil, nil, DEADLINE)

    @socket.read_nonblock(1, exception: false).nil?
  rescue Errno::ECONNRESET
    true
  end

  private

  def append_state(payload, state)
    Eddy::Codec.append_varint(payload, state.size)
    state.each do |name, value|
      Eddy::Codec.append_bytes(payload, name)
      Eddy::Codec.append_bytes(payload, value)
    end
  end

  def list(reader, &item) = Array.new(reader.varint("count")) { item.call }

  def fill(count)
    while @buffer.bytesize < count
      unless IO.select([@socket], nil, nil, DEADLINE)
        raise "nothing from the SDK within #{DEADLINE} s (stderr: #{stderr})"
      end

      chunk = @socket.read_nonblock(1 << 16, exception: false)
      raise "the SDK closed the connection (stderr: #{stderr})" if chunk.nil?

      @buffer << chunk unless chunk == :wait_readable
    end
  end
end
