#include "support/network_namespaces.hpp"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

namespace eddy::testing {

namespace {

// Runs an `ip` command; throws with the command when it fails.
void ip(const std::string& arguments) {
    const auto command = "ip " + arguments + " 2>&1";
    const int status = std::system(command.c_str());
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw std::runtime_error("network_namespaces: `" + command + "` failed");
    }
}

void ip_quietly(const std::string& arguments) {
    const auto command = "ip " + arguments + " >/dev/null 2>&1";
    (void)std::system(command.c_str());
}

}  // namespace

network_namespaces::network_namespaces(std::size_t hosts) {
    if (::geteuid() != 0) {
        throw std::runtime_error(
            "the cluster tests need root (network namespaces); run them as root, as CI does");
    }
    // A subnet per test process: 10.(100 + pid % 100).0.0/24.
    const auto tag = static_cast<unsigned>(::getpid());
    _prefix = fmt::format("ed{}", tag % 100000);
    _bridge = _prefix + "br";
    _subnet = fmt::format("10.{}.0.", 100 + tag % 100);
    _bridge_address = _subnet + "254";
    ip_quietly("link del " + _bridge);
    ip("link add " + _bridge + " type bridge");
    ip("addr add " + _bridge_address + "/24 dev " + _bridge);
    ip("link set " + _bridge + " up");
    for (std::size_t h = 0; h < hosts; ++h) {
        const auto name = fmt::format("{}h{}", _prefix, h);
        ip_quietly("netns del " + name);
        ip("netns add " + name);
        _names.push_back(name);
        const auto outside = name + "a";
        const auto inside = name + "b";
        ip("link add " + outside + " type veth peer name " + inside);
        ip("link set " + inside + " netns " + name);
        ip("link set " + outside + " master " + _bridge);
        ip("link set " + outside + " up");
        ip("-n " + name + " addr add " + address(h) + "/24 dev " + inside);
        ip("-n " + name + " link set " + inside + " up");
        ip("-n " + name + " link set lo up");
    }
}

network_namespaces::~network_namespaces() {
    for (const auto& name : _names) {
        ip_quietly("netns del " + name);
        ip_quietly("link del " + name + "a");
    }
    ip_quietly("link del " + _bridge);
}

std::string network_namespaces::address(std::size_t host) const {
    return _subnet + std::to_string(host + 1);
}

std::vector<std::string> network_namespaces::run_on(std::size_t host,
                                                    std::vector<std::string> args) const {
    std::vector<std::string> out{"/usr/sbin/ip", "netns", "exec", _names.at(host)};
    out.insert(out.end(), args.begin(), args.end());
    return out;
}

void network_namespaces::cut(std::size_t host) {
    ip("link set " + _names.at(host) + "a down");
}

void network_namespaces::heal(std::size_t host) {
    ip("link set " + _names.at(host) + "a up");
}

}  // namespace eddy::testing
