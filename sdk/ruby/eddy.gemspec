# frozen_string_literal: true

require_relative "lib/eddy/version"

Gem::Specification.new do |spec|
  spec.name = "eddy"
  spec.version = Eddy::VERSION
  spec.summary = "Write eddy stream-processing computations in Ruby"
  spec.description = "Speaks the eddy executor <-> SDK protocol over the executor's Unix socket " \
                     "and turns it into callbacks of an Eddy::Computation."
  spec.authors = ["eddy"]
  spec.required_ruby_version = ">= 3.1"
  spec.files = Dir["lib/**/*.rb"] + ["README.md"]
  spec.require_paths = ["lib"]
end
