# frozen_string_literal: true

require "minitest/autorun"
require_relative "support/fake_executor"

# The SDK as the executor sees it: a real child process (test/programs/probe.rb)
# connecting to a Unix socket in a temporary directory.
class ChildProcessTest < Minitest::Test
  PROBE = File.expand_path("programs/probe.rb", __dir__)
  Codec = Eddy::Codec

  def setup
    @executor = FakeExecutor.child(PROBE)
  end

  def teardown
    @executor.close
  end

  def test_hello_init_and_shutdown
    hello = @executor.receive_hello
    assert_equal 2, hello.version
    assert_equal "ruby/#{Eddy::VERSION}", hello.sdk
    assert_equal({ "name" => "probe",
                   "inputs" => [{ "stream" => "in", "grouping" => "key" },
                                { "stream" => "control", "grouping" => "broadcast" }],
                   "outputs" => ["out"] }, hello.metadata)

    @executor.send_init({ "greeting" => "bonjour" }, index: 2, count: 5)
    init = @executor.receive_transaction
    assert_equal 0, init.batch
    assert_equal [FakeExecutor::Log.new(1, "init bonjour 2/5")], init.logs
    assert_equal [FakeExecutor::Produced.new("out", "init", "hello", 0)], init.produced
    assert_empty init.failures

    @executor.send_shutdown
    @executor.receive_goodbye
    assert @executor.closed_by_sdk?
    assert_equal 0, @executor.exit_status
    assert_empty @executor.stderr
  end

  def test_state_is_seeded_read_back_within_a_request_and_fresh_in_the_next
    start
    @executor.send_process(1, [["in", "a", "count", 10, { "n" => "5" }],
                               ["in", "b", "count", 11],
                               ["in", "a", "count", 12],
                               ["in", "a", "erase", 13]], watermark: 9)
    t = @executor.receive_transaction
    assert_equal 1, t.batch
    assert_equal [%w[a 6], %w[b 1], %w[a 7], %w[a none]], t.produced.map { |p| [p.key, p.value] }
    assert_equal [10, 11, 12, 77], t.produced.map(&:time), "inherited times, then an explicit one"
    assert_equal [["a", "n", 0, "6"], ["b", "n", 0, "1"], ["a", "n", 0, "7"], ["a", "n", 1, ""]],
                 t.writes.map(&:to_a)

    # The next request's view comes from its own entries only.
    @executor.send_process(2, [["in", "a", "count", 20, { "n" => "40" }], ["in", "b", "count", 21]])
    t = @executor.receive_transaction
    assert_equal [%w[a 41], %w[b 1]], t.produced.map { |p| [p.key, p.value] }
    finish
  end

  def test_timers_are_set_and_fired
    start
    @executor.send_process(1, [["in", "k", "timer", 100]])
    t = @executor.receive_transaction
    assert_equal [["k", "t1", 110, 0], ["k", "", 123, 1]], t.timers.map(&:to_a)
    assert_empty t.produced

    @executor.send_fire_timers(2, [["k", "t1", 110, 0, { "n" => "3" }], ["k", "", 123, 1]], watermark: 200)
    t = @executor.receive_transaction
    assert_equal 2, t.batch
    assert_equal [["out", "k", "fired t1 event_time n=3", 111], ["out", "k", "fired  processing_time n=100", 124]],
                 t.produced.map(&:to_a)
    assert_equal [["k", "n", 0, "100"], ["k", "n", 0, "100"]], t.writes.map(&:to_a)
    finish
  end

  def test_failures_are_retried_and_reported
    start(max_retries: 2)
    @executor.send_process(1, [["in", "x", "fail", 1], ["in", "y", "flaky", 2], ["in", "z", "count", 3]])
    t = @executor.receive_transaction
    assert_equal [[0, 3, "ArgumentError: boom x"], [1, 1, "RuntimeError: flaky y"]], t.failures.map(&:to_a)
    assert_equal [%w[x attempt], %w[x attempt], %w[x attempt], %w[y recovered], %w[z 1]],
                 t.produced.map { |p| [p.key, p.value] }, "the effects of every attempt stay"
    finish
  end

  def test_a_traced_inputs_outputs_carry_its_context_and_others_none
    start(max_retries: 2)
    first = ["4bf92f3577b34da6a3ce929d0e0e4736" "00f067aa0ba902b7" "01"].pack("H*")
    second = "\x01".b * Codec::TRACE_CONTEXT_BYTES
    @executor.send_process(1, [["in", "a", "count", 1], ["in", "b", "count", 2],
                               ["in", "x", "fail", 3], ["in", "k", "timer", 100]],
                           traces: { 0 => first, 2 => second, 3 => first })
    t = @executor.receive_transaction
    assert_equal [%w[a 1], %w[b 1], %w[x attempt], %w[x attempt], %w[x attempt]],
                 t.produced.map { |p| [p.key, p.value] }
    assert_equal({ 0 => first, 2 => second, 3 => second, 4 => second }, t.traced,
                 "every attempt's outputs carry the input's context; the untraced input's none")

    @executor.send_fire_timers(2, [["k", "t1", 110, 0]], watermark: 200)
    t = @executor.receive_transaction
    assert_equal 1, t.produced.size
    assert_empty t.traced, "a timer set under a traced record fires untraced"
    @executor.send_process(3, [["in", "c", "count", 4]])
    assert_empty @executor.receive_transaction.traced
    finish
  end

  def test_logs_watermark_and_processing_time
    start
    before = Process.clock_gettime(Process::CLOCK_REALTIME, :microsecond)
    @executor.send_process(1, [["in", "k", "log", 1], ["in", "k", "clock", 2]], watermark: -42)
    t = @executor.receive_transaction
    after = Process.clock_gettime(Process::CLOCK_REALTIME, :microsecond)
    assert_equal [[2, "warned about k"], [0, "débogage".b]], t.logs.map(&:to_a)
    watermark, now = t.produced[0].value.split.map(&:to_i)
    assert_equal(-42, watermark)
    assert_includes before..after, now
    finish
  end

  def test_init_failure_and_state_calls_in_init_are_reported
    @executor.receive_hello
    @executor.send_init({ "state_in_init" => "yes" }, max_retries: 1)
    t = @executor.receive_transaction
    assert_equal 1, t.failures.size
    assert_equal [0, 2], [t.failures[0].index, t.failures[0].attempts]
    assert_match(/Eddy::UsageError: state calls need a current key/, t.failures[0].message)
    finish
  end

  def test_garbage_is_a_protocol_error
    @executor.receive_hello
    @executor.send_bytes("\x05\x00\x00\x00\x99garbage")
    error = @executor.receive_error
    assert_equal Codec::ERROR_PROTOCOL, error.code
    assert_match(/reserved type 0x99/, error.message)
    assert @executor.closed_by_sdk?
    assert_equal 3, @executor.exit_status
    assert_match(/\Aeddy \(ruby\/[\d.]+\): protocol error: .*0x99.*\n\z/, @executor.stderr)
  end

  def test_closing_without_shutdown_exits_non_zero
    start
    @executor.socket.close
    assert_equal 3, @executor.exit_status
    assert_match(/closed the connection without shutdown/, @executor.stderr)
  end

  private

  def start(max_retries: 0)
    @executor.receive_hello
    @executor.send_init({}, max_retries: max_retries)
    @executor.receive_transaction
  end

  def finish
    @executor.send_shutdown
    @executor.receive_goodbye
    assert_equal 0, @executor.exit_status
  end
end

# Eddy.run without an executor to talk to.
class RunWithoutExecutorTest < Minitest::Test
  PROBE = File.expand_path("programs/probe.rb", __dir__)

  def test_missing_eddy_socket_exits_2
    executor = FakeExecutor.child(PROBE, env: { "EDDY_SOCKET" => nil }, accept: false)
    assert_equal 2, executor.exit_status
    assert_match(/EDDY_SOCKET is not set/, executor.stderr)
  ensure
    executor&.close
  end
end
