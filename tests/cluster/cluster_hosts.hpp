#pragma once

// The fixture of the cluster tests: a real cluster on one machine
// (cluster_processes: three hosts in network namespaces, a 3-node ZooKeeper
// ensemble on the bridge address, two coordinators that can be started, one
// agent per host), built anew for each test.
//
// Teardown stops agents with SIGTERM (they drain and stop their executors),
// then kills whatever still runs from the test's directory, so nothing leaks
// into the next test; a failed test prints every service's log.

#include "cluster_processes.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace eddy::testing {

class cluster_hosts : public ::testing::Test, protected cluster_processes {
protected:
    static constexpr std::chrono::milliseconds session_timeout{4000};
    static constexpr int cores_per_host = 3;  // what each agent offers

    cluster_hosts();
    void TearDown() override;
};

}  // namespace eddy::testing
