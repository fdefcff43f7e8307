# frozen_string_literal: true

require "socket"
require_relative "eddy/version"
require_relative "eddy/errors"
require_relative "eddy/types"
require_relative "eddy/codec"
require_relative "eddy/context"
require_relative "eddy/frame_reader"
require_relative "eddy/session"

# The Ruby SDK of eddy: write a computation as a subclass of
# Eddy::Computation and hand an instance to Eddy.run. The executor starts the
# program with EDDY_SOCKET set; Eddy.run connects, serves the executor's
# requests with the computation's callbacks and exits when it is done.
module Eddy
  EXIT_NO_SOCKET = 2 # EDDY_SOCKET unset, or nothing to connect to there

  # Runs `computation` for the executor named by $EDDY_SOCKET and exits the
  # process: status 0 after shutdown, non-zero (with a line on stderr) when
  # the conversation broke off.
  def self.run(computation)
    path = ENV["EDDY_SOCKET"]
    if path.nil? || path.empty?
      warn "eddy (#{Session::SDK_NAME}): EDDY_SOCKET is not set; " \
           "this program is meant to be started by an eddy executor (or by hand with attach: true)"
      exit EXIT_NO_SOCKET
    end
    socket = begin
      UNIXSocket.new(path)
    rescue SystemCallError => e
      warn "eddy (#{Session::SDK_NAME}): cannot connect to EDDY_SOCKET #{path}: #{e.message}"
      exit EXIT_NO_SOCKET
    end
    socket.binmode
    $stdout.sync = true
    exit Session.new(computation, socket).run
  end
end
