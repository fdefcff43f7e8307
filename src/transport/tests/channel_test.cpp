// Channels over real sockets on loopback and Unix sockets, in one process:
// delivery in order, credit-based backpressure, malformed input closing only
// its own connection, and reconnection after the receiver goes away.

#include "support/process.hpp"
#include "transport/outbound.hpp"
#include "transport/server.hpp"
#include "wire/record_batch.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>

namespace eddy::transport {
namespace {

using namespace std::chrono_literals;
using eddy::testing::wait_until;

// Decodes every batch, keeps the keys in arrival order, and returns credit
// unless told to hold it.
class recording_handler final : public inbound_handler {
public:
    transport_result<sequence_number> on_hello(const channel_info& info) override {
        if (info.receiver != instance_id(1)) {
            return fail(transport_errc::refused, "this is instance 1, not {}", info.receiver);
        }
        ++hellos;
        return sequence_number(committed.load());
    }
    transport_result<void> on_frame(const std::shared_ptr<inbound_channel>& channel,
                                    const wire::frame_view& frame) override {
        if (frame.type != wire::frame_type::record_batch) {
            return {};
        }
        std::vector<wire::record_view> records;
        auto header = wire::decode_record_batch(frame.payload, records);
        if (!header) {
            return fail(transport_errc::protocol_error, "{}", header.error().message);
        }
        {
            std::lock_guard lock(mu);
            last_channel = channel;
            sequences.push_back(header->sequence.value());
            for (const auto& r : records) {
                keys.emplace_back(r.key);
            }
            if (hold_credit) {
                held.push_back({channel, frame.frame_bytes});
            }
        }
        if (!hold_credit) {
            channel->grant(frame.frame_bytes);
        }
        return {};
    }
    void on_closed(const std::shared_ptr<inbound_channel>&, const transport_error&) override {
        ++closed;
    }
    // Acknowledges `late_ack` once the channel is open (after the hello's
    // ack and the first credit), as an executor does with what it committed
    // meanwhile.
    void on_accepted(const std::shared_ptr<inbound_channel>& channel) override {
        if (late_ack != 0) {
            channel->acknowledge(sequence_number(late_ack));
        }
    }
    std::size_t received() {
        std::lock_guard lock(mu);
        return keys.size();
    }
    void release_credit() {
        std::lock_guard lock(mu);
        hold_credit = false;
        for (auto& [channel, bytes] : held) {
            channel->grant(bytes);
        }
        held.clear();
    }

    // Acknowledges every batch up to `through`, as a receiver after its commit.
    void acknowledge(std::uint64_t through) {
        std::shared_ptr<inbound_channel> channel;
        {
            std::lock_guard lock(mu);
            channel = last_channel;
        }
        committed = through;
        channel->acknowledge(sequence_number(through));
    }

    std::mutex mu;
    std::vector<std::string> keys;
    std::vector<std::uint64_t> sequences;  // of the batches, in arrival order
    std::shared_ptr<inbound_channel> last_channel;
    std::atomic<std::uint64_t> committed{0};  // answered to a hello
    std::uint64_t late_ack = 0;
    std::vector<std::pair<std::shared_ptr<inbound_channel>, std::size_t>> held;
    std::atomic<bool> hold_credit{false};
    std::atomic<int> hellos{0};
    std::atomic<int> closed{0};
};

// One batch of `count` records keyed "<first>".."<first+count-1>".
wire::byte_buffer make_batch(outbound_channel& channel, std::uint64_t sequence, int first,
                             int count, std::size_t value_bytes = 16) {
    auto buffer = channel.acquire_buffer();
    wire::record_batch_writer writer(buffer);
    writer.begin({.stream = "s",
                  .sender = instance_id(0),
                  .epoch = topology_epoch(1),
                  .sequence = sequence_number(sequence),
                  .base_time = 0});
    const std::string value(value_bytes, 'v');
    for (int i = first; i < first + count; ++i) {
        writer.add(std::to_string(i), value, i);
    }
    EXPECT_TRUE(writer.finish());
    return buffer;
}

send_outcome send_batch(outbound_channel& channel, wire::byte_buffer frame, std::uint32_t records) {
    const auto bytes = frame.size();
    return channel.send(std::move(frame), records, bytes);
}

class channel_test : public ::testing::TestWithParam<endpoint::kind> {
protected:
    endpoint listen_address() {
        if (GetParam() == endpoint::kind::tcp) {
            return *endpoint::parse("tcp://127.0.0.1:0");
        }
        return *endpoint::parse("unix:" + (dir / "receiver.sock").string());
    }
    // Starts `receiver` listening and `loop` running, and a channel from
    // instance 0 to it; nullptr (and a failure) if the receiver cannot listen.
    std::shared_ptr<outbound_channel> open_channel(io_loop& loop, server& receiver) {
        auto bound = receiver.listen(listen_address());
        if (!bound) {
            ADD_FAILURE() << bound.error().message;
            return nullptr;
        }
        loop.start();
        auto channel = outbound_channel::create(
            loop, *bound, {instance_id(0), instance_id(1), topology_epoch(1), "sender"});
        channel->start();
        return channel;
    }
    eddy::testing::temp_dir dir{"eddy-transport"};
};

TEST_P(channel_test, delivers_every_record_in_order) {
    io_loop loop;
    recording_handler handler;
    server receiver(loop, handler);
    auto channel = open_channel(loop, receiver);
    ASSERT_TRUE(channel);
    // Small batches, then batches of about 1 MiB, more than the socket's
    // buffer holds: the sender's own write takes part of one and the io
    // thread writes the rest, with the next batches queued behind it.
    struct phase {
        int batches;
        int per_batch;
        std::size_t value_bytes;
    };
    int sent = 0;
    int batches = 0;
    std::uint64_t bytes = 0;
    for (const phase p : {phase{500, 20, 16}, phase{24, 1000, 1000}}) {
        for (int b = 0; b < p.batches; ++b) {
            auto frame = make_batch(*channel, ++batches, sent, p.per_batch, p.value_bytes);
            bytes += frame.size();
            sent += p.per_batch;
            ASSERT_EQ(send_batch(*channel, std::move(frame), p.per_batch), send_outcome::sent);
        }
    }
    ASSERT_TRUE(
        wait_until([&] { return handler.received() == static_cast<std::size_t>(sent); }, 20s))
        << handler.received();
    for (int i = 0; i < sent; ++i) {
        ASSERT_EQ(handler.keys[static_cast<std::size_t>(i)], std::to_string(i));
    }
    EXPECT_EQ(handler.hellos, 1);
    EXPECT_EQ(channel->counters().records_dropped, 0u);
    EXPECT_TRUE(wait_until(
        [&] { return channel->counters().sends == static_cast<std::uint64_t>(batches); }, 5s));
    EXPECT_EQ(channel->counters().records_sent, static_cast<std::uint64_t>(sent));
    EXPECT_EQ(channel->counters().bytes_sent, bytes);  // (the hello is not counted)
    channel->close(wire::goodbye_reason::normal, "done", 5s);
    EXPECT_TRUE(wait_until([&] { return handler.closed == 1; }, 5s));
    receiver.stop();
}

TEST_P(channel_test, sender_waits_when_the_receiver_holds_credit) {
    io_loop loop;
    recording_handler handler;
    handler.hold_credit = true;
    inbound_options options;
    options.credit_window_bytes = 64 * 1024;
    server receiver(loop, handler, options);
    auto bound = receiver.listen(listen_address());
    ASSERT_TRUE(bound);
    loop.start();

    auto channel = outbound_channel::create(
        loop, *bound, {instance_id(0), instance_id(1), topology_epoch(1), "sender"});
    channel->start();
    // 100 batches of about 4 KiB: 400 KiB, six windows' worth.
    constexpr int batches = 100;
    std::atomic<int> sent{0};
    std::thread producer([&] {
        for (int b = 0; b < batches; ++b) {
            EXPECT_EQ(send_batch(*channel, make_batch(*channel, b + 1, b * 4, 4, 1000), 4),
                      send_outcome::sent);
            ++sent;
        }
    });
    // The sender stops once the window is spent: 64 KiB is 16 batches, plus
    // the one that may overdraw it.
    ASSERT_TRUE(wait_until([&] { return handler.received() >= 16 * 4; }, 10s));
    EXPECT_FALSE(wait_until([&] { return sent.load() > 17; }, 300ms)) << sent.load();
    EXPECT_LE(handler.received(), 17u * 4);

    handler.release_credit();
    producer.join();
    // The wait is counted once the blocked send returns.
    EXPECT_GT(channel->counters().blocked_nanos.load(), 0u);
    ASSERT_TRUE(wait_until([&] { return handler.received() == batches * 4; }, 10s));
    channel->close(wire::goodbye_reason::normal, "done", 5s);
    receiver.stop();
}

// Connects a plain socket to `where`, writes `bytes`, and returns what the
// server answered before closing the connection.
std::string raw_exchange(const endpoint& where, const std::string& bytes) {
    int fd = -1;
    if (where.type == endpoint::kind::tcp) {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(where.port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    } else {
        fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, where.path.c_str(), sizeof addr.sun_path - 1);
        EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    }
    EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    std::string answer;
    char chunk[4096];
    for (;;) {
        const auto n = ::read(fd, chunk, sizeof chunk);
        if (n <= 0) {
            break;
        }
        answer.append(chunk, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return answer;
}

TEST_P(channel_test, a_held_channel_queues_until_released_then_sends_in_order) {
    io_loop loop;
    recording_handler handler;
    inbound_options options;
    options.credit_window_bytes = 64 * 1024;  // smaller than what the hold takes in
    server receiver(loop, handler, options);
    auto bound = receiver.listen(listen_address());
    ASSERT_TRUE(bound);
    loop.start();

    auto channel = outbound_channel::create(
        loop, *bound, {instance_id(0), instance_id(1), topology_epoch(1), "sender"});
    channel->start();
    // Connected and sending before the hold: those arrive.
    ASSERT_EQ(send_batch(*channel, make_batch(*channel, 1, 0, 4, 1000), 4), send_outcome::sent);
    ASSERT_TRUE(wait_until([&] { return handler.received() == 4; }, 10s));

    // About 4 KiB a batch: the hold takes 40 (160 KiB, over two credit
    // windows) and then blocks the sender.
    channel->hold(40 * 4100);
    EXPECT_TRUE(channel->held());
    constexpr int batches = 100;
    std::atomic<int> sent{0};
    std::thread producer([&] {
        for (int b = 1; b < batches; ++b) {
            EXPECT_EQ(send_batch(*channel, make_batch(*channel, b + 1, b * 4, 4, 1000), 4),
                      send_outcome::sent);
            ++sent;
        }
    });
    ASSERT_TRUE(wait_until([&] { return sent.load() >= 35; }, 10s)) << sent.load();
    EXPECT_FALSE(wait_until([&] { return sent.load() > 45; }, 300ms)) << sent.load();
    EXPECT_EQ(handler.received(), 4u) << "a held channel wrote";

    channel->release();
    producer.join();
    // Everything arrives, in order, and the credit the hold queued without
    // leaves the window intact (a leak would stall the sender here).
    ASSERT_TRUE(wait_until([&] { return handler.received() == batches * 4; }, 10s))
        << handler.received();
    for (int i = 0; i < batches * 4; ++i) {
        ASSERT_EQ(handler.keys[static_cast<std::size_t>(i)], std::to_string(i));
    }
    for (int b = 0; b < 50; ++b) {
        ASSERT_EQ(send_batch(*channel, make_batch(*channel, batches + b + 1, 0, 4, 1000), 4),
                  send_outcome::sent);
    }
    ASSERT_TRUE(wait_until([&] { return handler.received() == (batches + 50) * 4; }, 10s));
    channel->close(wire::goodbye_reason::normal, "done", 5s);
    receiver.stop();
}

TEST_P(channel_test, a_malformed_frame_closes_only_its_own_connection) {
    io_loop loop;
    recording_handler handler;
    server receiver(loop, handler);
    auto bound = receiver.listen(listen_address());
    ASSERT_TRUE(bound);
    loop.start();

    auto channel = outbound_channel::create(
        loop, *bound, {instance_id(0), instance_id(1), topology_epoch(1), "sender"});
    channel->start();
    ASSERT_EQ(send_batch(*channel, make_batch(*channel, 1, 0, 10), 10), send_outcome::sent);
    ASSERT_TRUE(wait_until([&] { return handler.received() == 10; }, 5s));

    const std::string oversized("\xff\xff\xff\x7f\x02", 5);
    const std::string bad_type("\x01\x00\x00\x00\x7e", 5);
    const std::string batch_before_hello("\x01\x00\x00\x00\x02", 5);
    for (const auto& garbage : {oversized, bad_type, batch_before_hello}) {
        const auto answer = raw_exchange(*bound, garbage);
        // The server says goodbye (type 0x07) with the reason, then closes.
        ASSERT_GE(answer.size(), 5u);
        EXPECT_EQ(answer[4], '\x07');
    }
    EXPECT_EQ(receiver.counters().protocol_errors.load(), 3u);

    // The good channel never noticed.
    ASSERT_EQ(send_batch(*channel, make_batch(*channel, 2, 10, 10), 10), send_outcome::sent);
    ASSERT_TRUE(wait_until([&] { return handler.received() == 20; }, 5s));
    EXPECT_TRUE(channel->connected());
    channel->close(wire::goodbye_reason::normal, "done", 5s);
    receiver.stop();
}

TEST_P(channel_test, drops_while_the_receiver_is_gone_and_resumes_when_it_is_back) {
    io_loop loop;
    recording_handler handler;
    auto first = std::make_unique<server>(loop, handler);
    auto bound = first->listen(listen_address());
    ASSERT_TRUE(bound);
    loop.start();

    auto channel = outbound_channel::create(
        loop, *bound, {instance_id(0), instance_id(1), topology_epoch(1), "sender"});
    channel->start();
    ASSERT_EQ(send_batch(*channel, make_batch(*channel, 1, 0, 10), 10), send_outcome::sent);
    ASSERT_TRUE(wait_until([&] { return handler.received() == 10; }, 5s));

    first.reset();  // the receiver goes away
    ASSERT_TRUE(wait_until([&] { return !channel->connected(); }, 5s));
    EXPECT_EQ(send_batch(*channel, make_batch(*channel, 2, 10, 10), 10), send_outcome::dropped);
    EXPECT_EQ(channel->counters().records_dropped.load(), 10u);

    server second(loop, handler);
    ASSERT_TRUE(second.listen(*bound));
    ASSERT_TRUE(wait_until([&] { return channel->connected(); }, 5s));
    ASSERT_EQ(send_batch(*channel, make_batch(*channel, 3, 20, 10), 10), send_outcome::sent);
    ASSERT_TRUE(wait_until([&] { return handler.received() == 20; }, 5s));
    EXPECT_EQ(handler.keys.back(), "29");
    EXPECT_EQ(channel->counters().connects.load(), 2u);
    channel->close(wire::goodbye_reason::normal, "done", 5s);
}

TEST_P(channel_test, keeps_what_is_unacknowledged_and_resends_it_after_a_reconnection) {
    io_loop loop;
    recording_handler first_handler;
    auto first = std::make_unique<server>(loop, first_handler);
    auto bound = first->listen(listen_address());
    ASSERT_TRUE(bound);
    loop.start();

    outbound_options options;
    options.disconnected = when_disconnected::wait;
    options.keep_until_acked = true;
    auto channel = outbound_channel::create(
        loop, *bound, {instance_id(0), instance_id(1), topology_epoch(1), "sender"}, options);
    channel->start();
    for (std::uint64_t b = 1; b <= 10; ++b) {
        auto frame = make_batch(*channel, b, static_cast<int>((b - 1) * 10), 10);
        const auto bytes = frame.size();
        ASSERT_EQ(channel->send(std::move(frame), 10, bytes, sequence_number(b)),
                  send_outcome::sent);
    }
    ASSERT_TRUE(wait_until([&] { return first_handler.received() == 100; }, 5s));
    // The receiver commits batches 1..6, then dies before committing more.
    first_handler.acknowledge(6);
    ASSERT_TRUE(wait_until([&] { return channel->acknowledged() == sequence_number(6); }, 5s));
    first.reset();

    // Its successor has committed through 6: it gets 7..10 again, in order,
    // and then what is sent next; nothing is dropped meanwhile.
    recording_handler second_handler;
    second_handler.committed = 6;
    server second(loop, second_handler);
    ASSERT_TRUE(second.listen(*bound));
    {
        auto frame = make_batch(*channel, 11, 100, 10);
        const auto bytes = frame.size();
        ASSERT_EQ(channel->send(std::move(frame), 10, bytes, sequence_number(11)),
                  send_outcome::sent);
    }
    ASSERT_TRUE(wait_until([&] { return second_handler.received() == 50; }, 5s))
        << second_handler.received();
    EXPECT_EQ(second_handler.sequences, (std::vector<std::uint64_t>{7, 8, 9, 10, 11}));
    for (int i = 0; i < 50; ++i) {
        EXPECT_EQ(second_handler.keys[static_cast<std::size_t>(i)], std::to_string(60 + i));
    }
    EXPECT_EQ(channel->counters().records_dropped.load(), 0u);

    EXPECT_FALSE(channel->wait_acknowledged(50ms));
    second_handler.acknowledge(11);
    EXPECT_TRUE(channel->wait_acknowledged(5s));
    channel->close(wire::goodbye_reason::normal, "done", 5s);
}

TEST_P(channel_test, requeued_batches_acknowledged_before_they_are_written_give_their_credit_back) {
    io_loop loop;
    inbound_options small;
    small.credit_window_bytes = 64 * 1024;
    auto handler = std::make_unique<recording_handler>();
    auto receiver = std::make_unique<server>(loop, *handler, small);
    auto bound = receiver->listen(listen_address());
    ASSERT_TRUE(bound);
    loop.start();

    outbound_options options;
    options.disconnected = when_disconnected::wait;
    options.keep_until_acked = true;
    auto channel = outbound_channel::create(
        loop, *bound, {instance_id(0), instance_id(1), topology_epoch(1), "sender"}, options);
    channel->start();
    std::uint64_t next = 1;
    const auto send_round = [&] {
        for (int b = 0; b < 12; ++b, ++next) {
            auto frame = make_batch(*channel, next, 0, 4, 1000);  // about 4 KiB
            const auto bytes = frame.size();
            ASSERT_EQ(channel->send(std::move(frame), 4, bytes, sequence_number(next)),
                      send_outcome::sent);
        }
    };
    // Each round, 12 batches (three quarters of a window) reach a receiver
    // that dies before acknowledging them; its successor acknowledges them
    // only after its first credit, while the sender still has them queued
    // for resending. Were the credit they were charged not given back, two
    // rounds would spend the window for good and the sends would wait forever.
    const auto reached = [&](std::uint64_t sequence) {
        std::lock_guard lock(handler->mu);
        return std::find(handler->sequences.begin(), handler->sequences.end(), sequence) !=
               handler->sequences.end();
    };
    for (int round = 0; round < 6; ++round) {
        // Read before the producer starts: it advances `next` as it sends.
        const auto through = next + 11;
        std::thread producer(send_round);
        ASSERT_TRUE(wait_until([&] { return reached(through); }, 10s))
            << "round " << round << ": " << handler->received();
        producer.join();
        receiver.reset();
        handler = std::make_unique<recording_handler>();
        handler->committed = through - 12;
        handler->late_ack = through;
        receiver = std::make_unique<server>(loop, *handler, small);
        ASSERT_TRUE(receiver->listen(*bound));
        ASSERT_TRUE(
            wait_until([&] { return channel->acknowledged() == sequence_number(through); }, 10s))
            << "round " << round;
    }
    const auto last = next + 11;  // before the producer advances `next`
    std::thread producer(send_round);
    ASSERT_TRUE(wait_until([&] { return reached(last); }, 10s))
        << handler->received() << " records after the rounds";
    producer.join();
    receiver.reset();
    channel->abort();
}

TEST_P(channel_test, a_refused_hello_never_opens_the_channel) {
    io_loop loop;
    recording_handler handler;
    server receiver(loop, handler);
    auto bound = receiver.listen(listen_address());
    ASSERT_TRUE(bound);
    loop.start();
    auto channel = outbound_channel::create(
        loop, *bound, {instance_id(0), instance_id(7), topology_epoch(1), "sender"});
    channel->start();
    EXPECT_FALSE(wait_until([&] { return channel->connected(); }, 300ms));
    EXPECT_EQ(handler.hellos, 0);
    channel->abort();
    receiver.stop();
}

INSTANTIATE_TEST_SUITE_P(transports, channel_test,
                         ::testing::Values(endpoint::kind::tcp, endpoint::kind::unix_socket),
                         [](const auto& info) {
                             return info.param == endpoint::kind::tcp ? "tcp" : "unix";
                         });

}  // namespace
}  // namespace eddy::transport
