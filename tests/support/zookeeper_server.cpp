#include "support/zookeeper_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <stdexcept>

namespace eddy::testing {

namespace {

using namespace std::chrono_literals;

constexpr const char* java = "/usr/bin/java";
constexpr const char* classpath =
    "/usr/share/java/zookeeper.jar:/usr/share/java/zookeeper-jute.jar:"
    "/usr/share/java/slf4j-simple.jar:/usr/share/java/*";

// A socket connected to address:port within `timeout`, or -1.
int connect_to(const std::string& address, int port, std::chrono::milliseconds timeout) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1) {
        return -1;
    }
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        if (errno != EINPROGRESS) {
            ::close(fd);
            return -1;
        }
        pollfd waiting{fd, POLLOUT, 0};
        int error = 0;
        socklen_t length = sizeof error;
        if (::poll(&waiting, 1, static_cast<int>(timeout.count())) != 1 ||
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
            ::close(fd);
            return -1;
        }
    }
    return fd;
}

void ignore_events(zhandle_t*, int, int, const char*, void*) {}

}  // namespace

zookeeper_ensemble::zookeeper_ensemble(zookeeper_ensemble_options options)
    : _options(std::move(options)) {
    if (_options.nodes < 1) {
        throw std::invalid_argument("zookeeper_ensemble: at least one node");
    }
    if (!_options.addresses.empty() &&
        static_cast<int>(_options.addresses.size()) != _options.nodes) {
        throw std::invalid_argument("zookeeper_ensemble: one address per node");
    }
    std::set<int> taken;
    const auto port = [&] {
        while (true) {
            const int candidate = free_port();
            if (taken.insert(candidate).second) {
                return candidate;
            }
        }
    };
    for (int i = 0; i < _options.nodes; ++i) {
        peer p;
        p.address = _options.addresses.empty() ? _options.address : _options.addresses[i];
        p.client_port = port();
        p.quorum_port = port();
        p.election_port = port();
        p.dir = _dir / ("node" + std::to_string(i + 1));
        _nodes.push_back(std::move(p));
    }
    for (int i = 0; i < size(); ++i) {
        const auto& p = _nodes[i];
        std::filesystem::create_directories(p.dir / "data");
        std::ofstream(p.dir / "data" / "myid") << (i + 1) << "\n";
        std::ofstream cfg(p.dir / "zoo.cfg");
        cfg << "tickTime=" << _options.tick_ms << "\n"
            << "initLimit=10\nsyncLimit=5\n"
            << "dataDir=" << (p.dir / "data").string() << "\n"
            << "clientPort=" << p.client_port << "\n"
            << "clientPortAddress=" << p.address << "\n"
            << "admin.enableServer=false\n"
            << "4lw.commands.whitelist=*\n";
        if (size() > 1) {
            for (int j = 0; j < size(); ++j) {
                const auto& q = _nodes[j];
                cfg << "server." << (j + 1) << "=" << q.address << ":" << q.quorum_port << ":"
                    << q.election_port << "\n";
            }
        }
    }
    for (int i = 0; i < size(); ++i) {
        launch(i);
    }
    wait_serving(_options.start_timeout);
}

zookeeper_ensemble::~zookeeper_ensemble() {
    for (auto& p : _nodes) {
        p.process.reset();  // SIGKILL and reap
    }
}

void zookeeper_ensemble::launch(int node) {
    auto& p = _nodes.at(node);
    p.process = std::make_unique<child_process>(child_process::options{
        .args = {java, "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classpath,
                 "org.apache.zookeeper.server.quorum.QuorumPeerMain", (p.dir / "zoo.cfg").string()},
        .stdout_path = p.dir / "zookeeper.out",
        .stderr_path = p.dir / "zookeeper.log"});
}

std::string zookeeper_ensemble::hosts() const {
    std::string out;
    for (int i = 0; i < size(); ++i) {
        out += (i == 0 ? "" : ",") + host(i);
    }
    return out;
}

std::string zookeeper_ensemble::host(int node) const {
    const auto& p = _nodes.at(node);
    return p.address + ":" + std::to_string(p.client_port);
}

std::optional<int> zookeeper_ensemble::node_of(std::string_view host_port) const {
    for (int i = 0; i < size(); ++i) {
        if (host(i) == host_port) {
            return i;
        }
    }
    return std::nullopt;
}

void zookeeper_ensemble::kill(int node) {
    auto& p = _nodes.at(node);
    if (p.process) {
        p.process->signal(SIGKILL);
        (void)p.process->wait_exit(10s);
        p.process.reset();
    }
}

void zookeeper_ensemble::stop(int node) {
    auto& p = _nodes.at(node);
    if (!p.process) {
        return;
    }
    p.process->signal(SIGTERM);
    if (!p.process->wait_exit(10s)) {
        p.process->signal(SIGKILL);
        (void)p.process->wait_exit(10s);
    }
    p.process.reset();
}

void zookeeper_ensemble::start(int node) {
    if (running(node)) {
        return;
    }
    launch(node);
    if (!wait_until([&] { return serving(node); }, _options.start_timeout)) {
        throw std::runtime_error("ZooKeeper node " + std::to_string(node + 1) +
                                 " did not serve again: " + logs());
    }
}

void zookeeper_ensemble::restart(int node) {
    stop(node);
    start(node);
}

bool zookeeper_ensemble::running(int node) {
    auto& p = _nodes.at(node);
    return p.process && p.process->running();
}

std::string zookeeper_ensemble::four_letter(int node, std::string_view command) const {
    const auto& p = _nodes.at(node);
    const int fd = connect_to(p.address, p.client_port, 2s);
    if (fd < 0) {
        return {};
    }
    std::string answer;
    if (::send(fd, command.data(), command.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(command.size())) {
        const auto deadline = std::chrono::steady_clock::now() + 2s;
        char buffer[4096];
        while (true) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            pollfd readable{fd, POLLIN, 0};
            if (left.count() <= 0 || ::poll(&readable, 1, static_cast<int>(left.count())) != 1) {
                break;
            }
            const auto got = ::recv(fd, buffer, sizeof buffer, 0);
            if (got <= 0) {
                break;  // the server closes after its answer
            }
            answer.append(buffer, static_cast<std::size_t>(got));
        }
    }
    ::close(fd);
    return answer;
}

std::string zookeeper_ensemble::mode(int node) const {
    const auto status = four_letter(node, "srvr");
    const auto at = status.find("Mode: ");
    if (at == std::string::npos) {
        return {};
    }
    const auto end = status.find('\n', at);
    return status.substr(at + 6, end == std::string::npos ? std::string::npos : end - at - 6);
}

std::optional<int> zookeeper_ensemble::leader() const {
    for (int i = 0; i < size(); ++i) {
        const auto m = mode(i);
        if (m == "leader" || m == "standalone") {
            return i;
        }
    }
    return std::nullopt;
}

bool zookeeper_ensemble::serving(int node) const {
    const auto& p = _nodes.at(node);
    if (!p.process) {
        return false;
    }
    if (four_letter(node, "ruok") != "imok") {
        return false;
    }
    const auto m = mode(node);
    return size() == 1 ? m == "standalone" : (m == "leader" || m == "follower");
}

void zookeeper_ensemble::wait_serving(std::chrono::milliseconds timeout) const {
    const bool ready = wait_until(
        [&] {
            for (int i = 0; i < size(); ++i) {
                if (_nodes[i].process && !serving(i)) {
                    return false;
                }
            }
            return true;
        },
        timeout);
    if (!ready) {
        throw std::runtime_error("ZooKeeper did not serve within " +
                                 std::to_string(timeout.count()) + " ms: " + logs());
    }
}

std::string zookeeper_ensemble::logs() const {
    std::string out;
    for (int i = 0; i < size(); ++i) {
        auto text = read_file(_nodes[i].dir / "zookeeper.log");
        if (text.size() > 4000) {
            text = "..." + text.substr(text.size() - 4000);
        }
        out += "\n--- node " + std::to_string(i + 1) + " (" + host(i) + ") ---\n" + text;
    }
    return out;
}

bool expire_zookeeper_session(const std::string& hosts, std::int64_t session_id,
                              std::string_view password, std::chrono::milliseconds timeout) {
    clientid_t id{};
    id.client_id = session_id;
    std::memcpy(id.passwd, password.data(), std::min(password.size(), sizeof id.passwd));
    // Attaching takes the session's connection from its owner, which
    // reconnects at once; when the owner wins that race back before our
    // close reaches the server, the close is lost with our connection and
    // the session lives on. So: attach and close until an attach is told
    // that the session has expired.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool attached_once = false;
    while (std::chrono::steady_clock::now() < deadline) {
        zhandle_t* zh = zookeeper_init(hosts.c_str(), ignore_events, 10000, &id, nullptr, 0);
        if (zh == nullptr) {
            return false;
        }
        int state = 0;
        (void)wait_until(
            [&] {
                state = zoo_state(zh);
                return state == ZOO_CONNECTED_STATE || state == ZOO_EXPIRED_SESSION_STATE;
            },
            std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now()));
        zookeeper_close(zh);  // closes the session: the server ends it for its owner too
        if (state == ZOO_EXPIRED_SESSION_STATE) {
            return attached_once;
        }
        attached_once = attached_once || state == ZOO_CONNECTED_STATE;
    }
    return false;
}

}  // namespace eddy::testing
