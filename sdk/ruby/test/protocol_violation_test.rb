# frozen_string_literal: true

require "minitest/autorun"
require_relative "support/fake_executor"
require_relative "programs/probe"

# Everything the SDK must refuse: it answers `error` code 1 (protocol_error)
# naming what it saw, closes the connection and ends with status 3. Runs the
# session in-process over a socket pair; child_process_test.rb checks the same
# path in a real process.
class ProtocolViolationTest < Minitest::Test
  Codec = Eddy::Codec

  def setup
    @executor = FakeExecutor.in_process(Probe.new)
    @executor.receive_hello
  end

  def teardown
    @executor.close
  end

  def test_garbage_bytes
    @executor.send_bytes("not a frame at all")
    assert_protocol_error(/reserved type 0x61|outside 1\.\./)
  end

  def test_unknown_frame_type
    @executor.send_frame(0x7f, "abc")
    assert_protocol_error(/unknown type 0x7f/)
  end

  def test_data_plane_frame_type
    @executor.send_frame(0x02)
    assert_protocol_error(/type 0x02, a data-plane frame/)
  end

  def test_frame_only_an_sdk_sends
    @executor.send_frame(Codec::TRANSACTION, "\x00" * 13)
    assert_protocol_error(/transaction \(0x44\), which only an SDK sends/)
  end

  def test_truncated_payload
    init
    @executor.send_frame(Codec::PROCESS, [1, 0].pack("Q<q<") + "\x01\x02in\x01")
    assert_protocol_error(/truncated|bad_length/)
  end

  def test_bytes_past_the_end_of_the_payload
    init
    @executor.send_frame(Codec::PROCESS, [1, 0].pack("Q<q<") + "\x01\x7fin")
    assert_protocol_error(/bad_length in process .*record stream of 127 bytes/)
  end

  def test_trailing_bytes
    init
    @executor.send_frame(Codec::PROCESS, [1, 0].pack("Q<q<") + "\x00\x00\x00")
    assert_protocol_error(/trailing_bytes in process/)
  end

  def test_a_trace_context_for_a_record_not_sent
    init
    @executor.send_frame(Codec::PROCESS, [1, 0].pack("Q<q<") + "\x00\x01\x00" + ("\x00" * 25))
    assert_protocol_error(/bad_length in process .*traced index 0 is not after the previous one and below the 0 records/)
  end

  def test_trailing_bytes_after_shutdown
    @executor.send_frame(Codec::SHUTDOWN, "x")
    assert_protocol_error(/trailing_bytes in shutdown/)
  end

  def test_process_before_init
    @executor.send_process(1, [["in", "k", "count", 1]])
    assert_protocol_error(/process before init/)
  end

  def test_fire_timers_before_init
    @executor.send_fire_timers(1, [])
    assert_protocol_error(/fire_timers before init/)
  end

  def test_a_second_init
    init
    @executor.send_init
    assert_protocol_error(/a second init/)
  end

  def test_oversized_length
    @executor.send_bytes([Codec::MAX_FRAME_LENGTH + 1, Codec::PROCESS].pack("L<C"))
    assert_protocol_error(/frame length 67108865 is outside 1\.\.67108864/)
  end

  def test_zero_length
    @executor.send_bytes([0].pack("L<"))
    assert_protocol_error(/frame length 0/)
  end

  def test_bad_varint
    init
    @executor.send_frame(Codec::PROCESS, [1, 0].pack("Q<q<") + "\x80\x00")
    assert_protocol_error(/bad_varint.*record count is overlong/)
  end

  def test_bad_init_config
    @executor.send_frame(Codec::INIT, [0, 1, 0].pack("L<3") + "\x02[]")
    assert_protocol_error(/config is not a JSON object of strings/)
  end

  def test_end_of_stream_in_the_middle_of_a_frame
    @executor.send_bytes([10, Codec::INIT].pack("L<C"))
    @executor.socket.close_write
    assert_equal 3, @executor.exit_status
    assert_match(/in the middle of a frame/, @executor.stderr)
  end

  def test_an_error_from_the_executor_ends_the_session
    payload = [Codec::ERROR_INTERNAL].pack("S<")
    Codec.append_bytes(payload, "executor is going away")
    @executor.send_frame(Codec::ERROR, payload)
    assert @executor.closed_by_sdk?
    assert_equal 3, @executor.exit_status
    assert_match(/reported error 3: executor is going away/, @executor.stderr)
  end

  def test_shutdown_before_init_is_a_clean_end
    @executor.send_shutdown
    @executor.receive_goodbye
    assert_equal 0, @executor.exit_status
  end

  private

  def init
    @executor.send_init
    @executor.receive_transaction
  end

  def assert_protocol_error(message)
    error = @executor.receive_error
    assert_equal Codec::ERROR_PROTOCOL, error.code
    assert_match message, error.message
    assert @executor.closed_by_sdk?, "the SDK closes the connection after error"
    assert_equal 3, @executor.exit_status
    assert_match(/protocol error/, @executor.stderr)
    assert_equal 1, @executor.stderr.lines.size, "one line on stderr"
  end
end
