# frozen_string_literal: true

# The word count example in Ruby: one program, three computations; the first
# argument picks which one this process runs (splitter, counter or sink).
# Produces exactly what the C++ word count (examples/wordcount) produces.
#
#   lines ──► splitter ──words──► counter ──counts──► sink
#            (shuffle)          (key: word)          (shuffle)

require "eddy"

module Wordcount
  # Splits each line on the space byte and produces every non-empty word as
  # a key with "1" as its value, keeping the line's time. Stateless.
  class Splitter < Eddy::Computation
    SPACE = / /

    def metadata = Eddy::Metadata.new(name: "splitter",
                                      inputs: [Eddy::Subscription.new("lines", :shuffle)],
                                      outputs: ["words"])

    def process_record(ctx, record)
      # A regexp, not " ": String#split(" ") would split on every kind of
      # whitespace, and the C++ splitter splits on ' ' only.
      record.value.split(SPACE).each do |word|
        ctx.produce("words", word, "1") unless word.empty?
      end
    end
  end

  # The running count of each word in keyed state; every occurrence produces
  # word → n, so a word's last count is its total.
  class Counter < Eddy::Computation
    def metadata = Eddy::Metadata.new(name: "counter",
                                      inputs: [Eddy::Subscription.new("words", :key)],
                                      outputs: ["counts"])

    def process_record(ctx, record)
      n = (ctx.get("count")&.to_i || 0) + 1
      ctx.put("count", n.to_s)
      ctx.produce("counts", record.key, n.to_s)
    end
  end

  # Appends "KEY VALUE\n" per record to the file named by config `path`.
  # Every line is written through to the file before the next callback, so
  # it is in the file before the request's transaction reaches the executor.
  class Sink < Eddy::Computation
    def metadata = Eddy::Metadata.new(name: "sink",
                                      inputs: [Eddy::Subscription.new("counts", :shuffle)],
                                      outputs: [])

    def init(ctx)
      path = ctx.config("path") or raise ArgumentError, "sink needs config `path`: the file to append to"
      @file = File.open(path, "ab")
      @file.sync = true
    end

    def process_record(_ctx, record)
      raise "sink has no file: its init failed" unless @file

      @file.write(record.key, " ", record.value, "\n")
    end
  end

  ROLES = { "splitter" => Splitter, "counter" => Counter, "sink" => Sink }.freeze
end

if $PROGRAM_NAME == __FILE__
  role = Wordcount::ROLES[ARGV[0]]
  unless role
    warn "usage: wordcount.rb #{Wordcount::ROLES.keys.join('|')}"
    exit 2
  end
  Eddy.run(role.new)
end
