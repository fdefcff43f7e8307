package eddy

import (
	"errors"
	"fmt"
	"net"
	"os"
)

// Exit statuses of Run.
const (
	exitShutdown      = 0 // the executor sent shutdown
	exitConnection    = 1 // cannot connect, or the connection ended without shutdown
	exitUsage         = 2 // EDDY_SOCKET is not set
	exitProtocolError = 3 // a protocol, internal or executor-reported error
)

// Run connects to the executor at $EDDY_SOCKET, serves c until the
// conversation ends and exits the process: status 0 after shutdown, 1 when
// the connection fails or closes unasked, 2 when EDDY_SOCKET is unset, 3 on
// a protocol error (after sending an error frame). Failures are described in
// one line on standard error. Run does not return.
func Run(c Computation) {
	os.Exit(run(c))
}

func run(c Computation) int {
	who := "eddy go sdk"
	if name := os.Getenv("EDDY_COMPUTATION"); name != "" {
		who += " (" + name + ")"
	}
	path := os.Getenv("EDDY_SOCKET")
	if path == "" {
		fmt.Fprintf(os.Stderr, "%s: EDDY_SOCKET is not set: this program is an eddy computation, started by its executor (or by hand with the variables an attach: true executor logs)\n", who)
		return exitUsage
	}
	conn, err := net.Dial("unix", path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: cannot connect to the executor: %v\n", who, err)
		return exitConnection
	}
	defer conn.Close()
	err = Serve(conn, c)
	if err == nil {
		return exitShutdown
	}
	fmt.Fprintf(os.Stderr, "%s: %v\n", who, err)
	var protocolErr *ProtocolError
	var internalErr *InternalError
	var peerErr *PeerError
	if errors.As(err, &protocolErr) || errors.As(err, &internalErr) || errors.As(err, &peerErr) {
		return exitProtocolError
	}
	return exitConnection
}
