// kafka_broker: a Kafka-protocol broker for tests, librdkafka's mock cluster
// (rdkafka_mock.h) run as its own process so that executors, kcat and the
// test itself reach it over real TCP on 127.0.0.1.
//
//     kafka_broker [--brokers N] [--topic NAME:PARTITIONS]... [--address-file PATH]
//
// Starts N mock brokers (default 1), creates each topic with its partition
// count, then writes the bootstrap address ("127.0.0.1:p1,127.0.0.1:p2") on
// one line to stdout and, if asked, to PATH (written beside it and renamed,
// so a reader never sees half of it). Runs until SIGTERM or SIGINT. Exits 2
// on a bad command line, 1 if the cluster cannot be made.

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

namespace {

struct topic_request {
    std::string name;
    int partitions = 1;
};

struct command_line {
    int brokers = 1;
    std::vector<topic_request> topics;
    std::string address_file;
};

[[noreturn]] void usage(const std::string& problem) {
    std::cerr << "kafka_broker: " << problem
              << "\nusage: kafka_broker [--brokers N] [--topic NAME:PARTITIONS]... "
                 "[--address-file PATH]\n";
    std::exit(2);
}

int positive(const std::string& text, const std::string& what) {
    std::size_t used = 0;
    int n = 0;
    try {
        n = std::stoi(text, &used);
    } catch (const std::exception&) {
        usage(what + " must be a positive integer, not '" + text + "'");
    }
    if (used != text.size() || n <= 0) {
        usage(what + " must be a positive integer, not '" + text + "'");
    }
    return n;
}

command_line parse(int argc, char** argv) {
    command_line out;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (i + 1 >= argc) {
            usage("missing value after " + arg);
        }
        const std::string value = argv[++i];
        if (arg == "--brokers") {
            out.brokers = positive(value, "--brokers");
        } else if (arg == "--topic") {
            const auto colon = value.rfind(':');
            if (colon == std::string::npos || colon == 0) {
                usage("--topic wants NAME:PARTITIONS, not '" + value + "'");
            }
            out.topics.push_back(
                {value.substr(0, colon), positive(value.substr(colon + 1), "partitions")});
        } else if (arg == "--address-file") {
            out.address_file = value;
        } else {
            usage("unknown argument " + arg);
        }
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    const command_line cmd = parse(argc, argv);

    // Block the stop signals before librdkafka starts its threads, so that
    // they all inherit the mask and sigwait below is the one receiver.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);

    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err) != RD_KAFKA_CONF_OK) {
        std::cerr << "kafka_broker: " << err << "\n";
        return 1;
    }
    // The mock cluster lives inside a client handle; this one sends nothing.
    rd_kafka_t* host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (host == nullptr) {
        std::cerr << "kafka_broker: " << err << "\n";
        return 1;
    }
    rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(host, cmd.brokers);
    if (cluster == nullptr) {
        std::cerr << "kafka_broker: cannot start " << cmd.brokers << " mock brokers\n";
        rd_kafka_destroy(host);
        return 1;
    }
    for (const auto& topic : cmd.topics) {
        const auto created =
            rd_kafka_mock_topic_create(cluster, topic.name.c_str(), topic.partitions, 1);
        if (created != RD_KAFKA_RESP_ERR_NO_ERROR) {
            std::cerr << "kafka_broker: cannot create topic '" << topic.name
                      << "': " << rd_kafka_err2str(created) << "\n";
            rd_kafka_mock_cluster_destroy(cluster);
            rd_kafka_destroy(host);
            return 1;
        }
    }

    const std::string address = rd_kafka_mock_cluster_bootstraps(cluster);
    std::cout << address << std::endl;
    if (!cmd.address_file.empty()) {
        const std::string partial = cmd.address_file + ".partial";
        {
            std::ofstream out(partial);
            out << address << "\n";
        }
        if (std::rename(partial.c_str(), cmd.address_file.c_str()) != 0) {
            std::cerr << "kafka_broker: cannot write " << cmd.address_file << "\n";
            rd_kafka_mock_cluster_destroy(cluster);
            rd_kafka_destroy(host);
            return 1;
        }
    }

    int received = 0;
    sigwait(&stop, &received);
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(host);
    return 0;
}
