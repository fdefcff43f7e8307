#include "socket_baseline.hpp"

#include "latency_histogram.hpp"
#include "wire/frame.hpp"
#include "wire/record_batch.hpp"

#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace eddy::bench {

namespace {

// Distinct records the sender cycles through: enough that the encoder reads
// different bytes batch after batch, few enough to be made before timing.
constexpr std::size_t record_pool = 4096;
// What the executor's server reads with (transport/detail/session.cpp).
constexpr std::size_t read_buffer_bytes = 64 * 1024;

time_micros wall_micros() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

[[noreturn]] void fail_errno(const std::string& what) {
    throw std::runtime_error(fmt::format("socket baseline: {}: {}", what, std::strerror(errno)));
}

// A socket descriptor closed when it goes out of scope.
class descriptor {
public:
    explicit descriptor(int fd) : _fd(fd) {}
    ~descriptor() {
        if (_fd >= 0) {
            ::close(_fd);
        }
    }
    descriptor(descriptor&& other) noexcept : _fd(std::exchange(other._fd, -1)) {}
    descriptor(const descriptor&) = delete;
    descriptor& operator=(const descriptor&) = delete;
    [[nodiscard]] int get() const { return _fd; }

private:
    int _fd;
};

void set_nodelay(int fd) {
    // As the transport does for TCP (transport/detail/asio_util.cpp).
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

// Where the child connects: a TCP port on loopback or a Unix socket path.
struct listener {
    int fd = -1;
    sockaddr_storage address{};
    socklen_t address_size = 0;
};

listener listen_on(socket_kind kind, const std::filesystem::path& unix_path) {
    listener out;
    if (kind == socket_kind::tcp) {
        out.fd = ::socket(AF_INET, SOCK_STREAM, 0);
        auto* in = reinterpret_cast<sockaddr_in*>(&out.address);
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        in->sin_port = 0;
        out.address_size = sizeof(sockaddr_in);
    } else {
        const auto path = unix_path.string();
        ::unlink(path.c_str());
        out.fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        auto* un = reinterpret_cast<sockaddr_un*>(&out.address);
        un->sun_family = AF_UNIX;
        if (path.size() >= sizeof un->sun_path) {
            throw std::runtime_error("socket baseline: socket path too long: " + path);
        }
        std::memcpy(un->sun_path, path.c_str(), path.size() + 1);
        out.address_size = sizeof(sockaddr_un);
    }
    if (out.fd < 0) {
        fail_errno("socket");
    }
    if (::bind(out.fd, reinterpret_cast<sockaddr*>(&out.address), out.address_size) != 0) {
        fail_errno("bind");
    }
    if (::listen(out.fd, 1) != 0) {
        fail_errno("listen");
    }
    // Learn the port the kernel picked.
    ::getsockname(out.fd, reinterpret_cast<sockaddr*>(&out.address), &out.address_size);
    return out;
}

void send_all(int fd, const std::byte* data, std::size_t size) {
    while (size > 0) {
        const ssize_t sent = ::send(fd, data, size, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail_errno("send");
        }
        data += sent;
        size -= static_cast<std::size_t>(sent);
    }
}

descriptor accept_from(const listener& where) {
    descriptor fd(::accept(where.fd, nullptr, nullptr));
    if (fd.get() < 0) {
        fail_errno("accept");
    }
    if (where.address.ss_family == AF_INET) {
        set_nodelay(fd.get());
    }
    return fd;
}

descriptor connect_to(const listener& where) {
    descriptor fd(::socket(where.address.ss_family, SOCK_STREAM, 0));
    if (fd.get() < 0 || ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&where.address),
                                  where.address_size) != 0) {
        fail_errno("connect");
    }
    if (where.address.ss_family == AF_INET) {
        set_nodelay(fd.get());
    }
    return fd;
}

// The child: connect, then encode and send every batch. Each batch's records
// carry the wall-clock time they were encoded at, like the generator's.
// `rate` > 0 paces the batches: batch k leaves k * batch_records / rate
// seconds after the first (sleeping until then), which is how far apart a
// paced generator's full batches are.
void stream_records(const listener& where, std::chrono::milliseconds duration,
                    std::size_t batch_records, std::uint64_t key_space, std::size_t value_size,
                    double rate) {
    std::mt19937_64 rng(1);
    constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::vector<std::string> keys;
    std::vector<std::string> values;
    for (std::size_t i = 0; i < record_pool; ++i) {
        keys.push_back(fmt::format("key-{}", rng() % key_space));
        std::string value(value_size, ' ');
        for (auto& c : value) {
            c = alphabet[rng() % alphabet.size()];
        }
        values.push_back(std::move(value));
    }
    descriptor fd(::socket(where.address.ss_family, SOCK_STREAM, 0));
    if (fd.get() < 0 || ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&where.address),
                                  where.address_size) != 0) {
        fail_errno("connect");
    }
    if (where.address.ss_family == AF_INET) {
        set_nodelay(fd.get());
    }
    wire::byte_buffer frame;
    std::uint64_t sequence = 1;
    std::size_t next = 0;
    const time_micros until = wall_micros() + duration.count() * 1000;
    const auto paced_from = std::chrono::steady_clock::now();
    const std::chrono::duration<double> batch_spacing(
        rate > 0 ? static_cast<double>(batch_records) / rate : 0.0);
    for (time_micros now = wall_micros(); now < until; now = wall_micros()) {
        if (rate > 0) {
            std::this_thread::sleep_until(
                paced_from + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 batch_spacing * static_cast<double>(sequence - 1)));
            now = wall_micros();
        }
        frame.clear();
        wire::record_batch_writer writer(frame);
        writer.begin({.stream = "records",
                      .sender = instance_id(1),
                      .epoch = topology_epoch(1),
                      .sequence = sequence_number(sequence++),
                      .base_time = now});
        for (std::size_t i = 0; i < batch_records; ++i) {
            writer.add(keys[next], values[next], now);
            next = (next + 1) % record_pool;
        }
        if (!writer.finish()) {
            throw std::runtime_error("socket baseline: batch too large");
        }
        send_all(fd.get(), frame.data(), frame.size());
    }
}

// Reads `fd` until the peer closes, splitting frames as the executor's server
// does, and calls on_batch(header, records) for every decoded record_batch.
template <class OnBatch>
void read_batches(int fd, OnBatch&& on_batch) {
    std::vector<std::byte> buffer(read_buffer_bytes);
    std::vector<wire::record_view> views;
    std::size_t begin = 0;
    std::size_t end = 0;
    for (;;) {
        for (;;) {
            auto split = wire::split_frame({buffer.data() + begin, end - begin},
                                           wire::default_max_frame_bytes);
            if (!split) {
                throw std::runtime_error("socket baseline: " + split.error().message);
            }
            if (const auto* need = std::get_if<wire::need_more_bytes>(&*split)) {
                if (need->frame_bytes > buffer.size() - begin) {
                    std::memmove(buffer.data(), buffer.data() + begin, end - begin);
                    end -= begin;
                    begin = 0;
                    if (need->frame_bytes > buffer.size()) {
                        buffer.resize(need->frame_bytes);
                    }
                }
                break;
            }
            const auto& frame = std::get<wire::frame_view>(*split);
            auto header = wire::decode_record_batch(frame.payload, views);
            if (!header) {
                throw std::runtime_error("socket baseline: " + header.error().message);
            }
            on_batch(*header, views);
            begin += frame.frame_bytes;
        }
        if (begin == end) {
            begin = end = 0;
        }
        const ssize_t received = ::recv(fd, buffer.data() + end, buffer.size() - end, 0);
        if (received < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail_errno("recv");
        }
        if (received == 0) {
            return;
        }
        end += static_cast<std::size_t>(received);
    }
}

// The middle process of two hops: decodes each batch and encodes its records
// into a new frame for the next hop, as a pass-through executor must.
void relay_records(const listener& from, const listener& to) {
    descriptor upstream = accept_from(from);
    descriptor downstream = connect_to(to);
    wire::byte_buffer frame;
    std::uint64_t sequence = 1;
    read_batches(upstream.get(), [&](const wire::batch_header& header,
                                     const std::vector<wire::record_view>& records) {
        frame.clear();
        wire::record_batch_writer writer(frame);
        writer.begin({.stream = header.stream,
                      .sender = instance_id(2),
                      .epoch = header.epoch,
                      .sequence = sequence_number(sequence++),
                      .base_time = header.base_time});
        for (const auto& r : records) {
            writer.add(r.key, r.value, r.time);
        }
        if (!writer.finish()) {
            throw std::runtime_error("socket baseline: batch too large");
        }
        send_all(downstream.get(), frame.data(), frame.size());
    });
}

// The last process: decodes every batch and counts.
stream_figures receive_records(const listener& where) {
    descriptor fd = accept_from(where);
    stream_figures figures;
    time_micros first_created = max_time;
    time_micros last_decoded = 0;
    latency_histogram latency;
    read_batches(fd.get(),
                 [&](const wire::batch_header&, const std::vector<wire::record_view>& records) {
                     last_decoded = wall_micros();
                     for (const auto& r : records) {
                         figures.payload_bytes += r.key.size() + r.value.size();
                         first_created = std::min(first_created, r.time);
                         latency.record(last_decoded - r.time);
                     }
                     figures.records += records.size();
                 });
    figures.seconds = static_cast<double>(last_decoded - first_created) / 1e6;
    figures.p50_us = latency.percentile(0.5);
    figures.p99_us = latency.percentile(0.99);
    figures.p999_us = latency.percentile(0.999);
    figures.max_us = latency.percentile(1.0);
    return figures;
}

// Runs `work` in a forked child that exits 0 if it returns, 1 if it throws.
template <class Work>
pid_t spawn(Work&& work) {
    const pid_t child = ::fork();
    if (child < 0) {
        fail_errno("fork");
    }
    if (child == 0) {
        int code = 0;
        try {
            work();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "%s\n", e.what());
            code = 1;
        }
        // Skip the parent's atexit handlers and buffered output.
        ::_exit(code);
    }
    return child;
}

}  // namespace

stream_figures run_socket_baseline(socket_kind kind, const std::filesystem::path& dir,
                                   std::uint32_t hops, std::chrono::milliseconds duration,
                                   std::size_t batch_records, std::uint64_t key_space,
                                   std::size_t value_size, double rate) {
    // Every listener exists before any process connects: a connection waits
    // in the backlog until its accept.
    const listener last = listen_on(kind, dir / "baseline-last.sock");
    descriptor last_fd(last.fd);
    std::vector<pid_t> children;
    if (hops >= 2) {
        const listener middle = listen_on(kind, dir / "baseline-middle.sock");
        descriptor middle_fd(middle.fd);
        children.push_back(spawn([&] { relay_records(middle, last); }));
        children.push_back(spawn(
            [&] { stream_records(middle, duration, batch_records, key_space, value_size, rate); }));
    } else {
        children.push_back(spawn(
            [&] { stream_records(last, duration, batch_records, key_space, value_size, rate); }));
    }
    stream_figures figures;
    try {
        figures = receive_records(last);
    } catch (const std::exception&) {
        for (const pid_t child : children) {
            ::kill(child, SIGKILL);
            ::waitpid(child, nullptr, 0);
        }
        throw;
    }
    for (const pid_t child : children) {
        int status = 0;
        ::waitpid(child, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            throw std::runtime_error("socket baseline: a sending process failed");
        }
    }
    if (figures.records % batch_records != 0 || figures.records == 0) {
        throw std::runtime_error(fmt::format(
            "socket baseline: {} records received, not whole batches", figures.records));
    }
    return figures;
}

}  // namespace eddy::bench
