# frozen_string_literal: true

# Runs the SDK's tests and the Ruby word count's tests in one process:
#   ruby -Ilib test/run_all.rb
# (ctest runs this as `sdk_ruby`).

require "minitest/autorun"

Dir[File.join(__dir__, "*_test.rb")].sort.each { |test| require test }
require File.expand_path("../../../examples/wordcount/ruby/wordcount_test.rb", __dir__)
