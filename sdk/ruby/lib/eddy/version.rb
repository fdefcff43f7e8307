# frozen_string_literal: true

module Eddy
  # The SDK's own version, sent in sdk_hello as "ruby/VERSION".
  VERSION = "1.0.0"
end
