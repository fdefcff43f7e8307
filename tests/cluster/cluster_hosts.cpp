#include "cluster_hosts.hpp"

#include <iostream>

namespace eddy::testing {

cluster_hosts::cluster_hosts()
    : cluster_processes({.hosts = 3,
                         .coordinators = 2,
                         .session_timeout = session_timeout,
                         .cores_per_host = cores_per_host}) {}

void cluster_hosts::TearDown() {
    stop();
    if (HasFailure()) {
        std::cerr << logs();
    }
}

}  // namespace eddy::testing
