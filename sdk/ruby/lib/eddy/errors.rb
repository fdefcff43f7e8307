# frozen_string_literal: true

module Eddy
  # Base of the errors the SDK itself raises.
  class Error < StandardError; end

  # The executor sent something this SDK cannot decode or did not expect now.
  # The session answers it with `error` code 1 (protocol_error) and exits.
  class ProtocolError < Error; end

  # A callback used the API wrongly (a state call in init, a bad time domain,
  # a value that is not a String). Raised into the callback, so it is reported
  # as that callback's failure like any other exception.
  class UsageError < Error; end
end
