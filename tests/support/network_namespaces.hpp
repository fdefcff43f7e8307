#pragma once

// Several "hosts" on one machine for the cluster tests (../shared/SERVERS.md):
// one network namespace per host, each with a veth link into a bridge in the
// test's own namespace, which holds the bridge address (where the tests run
// ZooKeeper and the coordinators). Needs root; a test that is not root fails
// loudly in the constructor.
//
//     network_namespaces hosts(3);            // 10.<n>.0.1 .. 10.<n>.0.3, bridge 10.<n>.0.254
//     auto args = hosts.run_on(0, {"/path/eddy", "agent", ...});   // ip netns exec ...
//     hosts.cut(1);   // host 1 reaches nobody, nobody reaches it
//     hosts.heal(1);
//
// Names carry the test's pid, so parallel tests do not collide; everything is
// deleted by the destructor.

#include <cstddef>
#include <string>
#include <vector>

namespace eddy::testing {

class network_namespaces {
public:
    explicit network_namespaces(std::size_t hosts);
    ~network_namespaces();
    network_namespaces(const network_namespaces&) = delete;
    network_namespaces& operator=(const network_namespaces&) = delete;

    [[nodiscard]] std::size_t size() const { return _names.size(); }
    [[nodiscard]] const std::string& name(std::size_t host) const { return _names.at(host); }
    [[nodiscard]] std::string address(std::size_t host) const;
    // The bridge's address, in the namespace the test runs in.
    [[nodiscard]] const std::string& bridge_address() const { return _bridge_address; }
    // `args` run inside the host's namespace.
    [[nodiscard]] std::vector<std::string> run_on(std::size_t host,
                                                  std::vector<std::string> args) const;
    // Takes the host's link down (both directions), or up again.
    void cut(std::size_t host);
    void heal(std::size_t host);

private:
    std::string _prefix;
    std::string _bridge;
    std::string _subnet;  // "10.N.0."
    std::string _bridge_address;
    std::vector<std::string> _names;
};

}  // namespace eddy::testing
