#pragma once

// What the ZooKeeper store's integration tests share: one ZooKeeper (server
// or ensemble) per test binary, started before the first test and stopped
// after the last; a fresh root per test, so tests never see each other's
// nodes; and a log of session events to wait on.

#include "control/zookeeper_store.hpp"
#include "support/zookeeper_server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace eddy::control::zookeeper_testing {

// The binary's ZooKeeper; registered with ::testing::AddGlobalTestEnvironment.
class zookeeper_environment : public ::testing::Environment {
public:
    explicit zookeeper_environment(int nodes) : _nodes(nodes) {}
    void SetUp() override {
        _ensemble = std::make_unique<eddy::testing::zookeeper_ensemble>(
            eddy::testing::zookeeper_ensemble_options{.nodes = _nodes});
        instance = _ensemble.get();
    }
    void TearDown() override {
        instance = nullptr;
        _ensemble.reset();
    }

    static inline eddy::testing::zookeeper_ensemble* instance = nullptr;

private:
    int _nodes;
    std::unique_ptr<eddy::testing::zookeeper_ensemble> _ensemble;
};

// Throws (failing the test) when the environment could not start it.
inline eddy::testing::zookeeper_ensemble& zookeeper() {
    if (zookeeper_environment::instance == nullptr) {
        throw std::runtime_error("ZooKeeper did not start (see the environment's failure)");
    }
    return *zookeeper_environment::instance;
}

// "/t-<suite>-<test>-<n>", unique per test and run (typed suites' '/'
// become '-'; n counts the roots of this process, for --gtest_repeat).
inline std::string fresh_root() {
    static std::atomic<int> made{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string root = std::string("/t-") + info->test_suite_name() + "-" + info->name() + "-" +
                       std::to_string(++made);
    std::replace(root.begin() + 1, root.end(), '/', '-');
    return root;
}

inline std::unique_ptr<zookeeper_store> connect(zookeeper_options options) {
    if (options.hosts.empty()) {
        options.hosts = zookeeper().hosts();
    }
    auto store = zookeeper_store::connect(options);
    EXPECT_TRUE(store) << store.error().message;
    return store ? std::move(*store) : nullptr;
}

inline std::string describe(session_event event) {
    switch (event) {
        case session_event::connected:
            return "connected";
        case session_event::disconnected:
            return "disconnected";
        case session_event::expired:
            return "expired";
        case session_event::reconnected_new_session:
            return "reconnected_new_session";
    }
    return "?";
}

// Records session events; waits for them with a deadline.
class session_log {
public:
    session_callback callback() {
        return [this](session_event event) {
            std::lock_guard lock(_mu);
            _events.push_back(describe(event));
            _changed.notify_all();
        };
    }

    // True once `expected` appeared in this order (other events between
    // them allowed) within 20 s.
    bool wait_for(const std::vector<std::string>& expected) {
        std::unique_lock lock(_mu);
        return _changed.wait_for(lock, std::chrono::seconds(20), [&] {
            auto at = _events.begin();
            for (const auto& wanted : expected) {
                at = std::find(at, _events.end(), wanted);
                if (at == _events.end()) {
                    return false;
                }
                ++at;
            }
            return true;
        });
    }

    std::vector<std::string> events() {
        std::lock_guard lock(_mu);
        return _events;
    }

private:
    std::mutex _mu;
    std::condition_variable _changed;
    std::vector<std::string> _events;
};

}  // namespace eddy::control::zookeeper_testing
