# frozen_string_literal: true

require "minitest/autorun"
require_relative "../../../sdk/ruby/test/support/fake_executor"
require_relative "wordcount"

# The three word-count computations through the SDK, against counts worked
# out by hand; the sink runs as a real child process.
class WordcountTest < Minitest::Test
  PROGRAM = File.expand_path("wordcount.rb", __dir__)

  def teardown
    @executor&.close
  end

  def test_splitter_splits_on_single_spaces_only
    @executor = start(FakeExecutor.in_process(Wordcount::Splitter.new), "splitter")
    @executor.send_process(1, [["lines", "", "the river  the\tsea ", 7], ["lines", "", "  ", 8]])
    t = @executor.receive_transaction
    assert_equal [["words", "the", "1", 7], ["words", "river", "1", 7], ["words", "the\tsea", "1", 7]],
                 t.produced.map(&:to_a)
    assert_empty t.writes
  end

  def test_counter_counts_per_word
    @executor = start(FakeExecutor.in_process(Wordcount::Counter.new), "counter")
    @executor.send_process(1, [["words", "the", "1", 1, { "count" => "41" }], ["words", "sea", "1", 2],
                               ["words", "the", "1", 3]])
    t = @executor.receive_transaction
    assert_equal [["counts", "the", "42", 1], ["counts", "sea", "1", 2], ["counts", "the", "43", 3]],
                 t.produced.map(&:to_a)
    assert_equal [["the", "count", 0, "42"], ["sea", "count", 0, "1"], ["the", "count", 0, "43"]],
                 t.writes.map(&:to_a)
  end

  def test_sink_writes_every_line_before_the_transaction
    Dir.mktmpdir do |dir|
      path = File.join(dir, "counts.txt")
      @executor = start(FakeExecutor.child(PROGRAM, "sink"), "sink", { "path" => path })
      @executor.send_process(1, [["counts", "the", "1", 1], ["counts", "sea", "2", 2]])
      assert_empty @executor.receive_transaction.failures
      assert_equal "the 1\nsea 2\n", File.read(path), "lines are in the file when the transaction arrives"
      @executor.send_process(2, [["counts", "the", "2", 3]])
      @executor.receive_transaction
      assert_equal "the 1\nsea 2\nthe 2\n", File.read(path)
      @executor.send_shutdown
      @executor.receive_goodbye
      assert_equal 0, @executor.exit_status
    end
  end

  def test_sink_without_path_fails_its_init
    @executor = FakeExecutor.in_process(Wordcount::Sink.new)
    @executor.receive_hello
    @executor.send_init
    failures = @executor.receive_transaction.failures
    assert_equal 1, failures.size
    assert_match(/sink needs config `path`/, failures[0].message)
  end

  private

  def start(executor, name, config = {})
    assert_equal name, executor.receive_hello.metadata["name"]
    executor.send_init(config)
    assert_empty executor.receive_transaction.failures
    executor
  end
end
