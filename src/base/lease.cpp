#include "lease.hpp"

#include "files.hpp"

#include <charconv>
#include <cstdint>
#include <ctime>
#include <string>

namespace eddy {

namespace {

std::int64_t monotonic_now_nanos() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

}  // namespace

void renew_lease(const std::filesystem::path& path) {
    write_file_atomically(path, std::to_string(monotonic_now_nanos()) + "\n");
}

std::optional<std::chrono::nanoseconds> lease_age(const std::filesystem::path& path) {
    const auto text = read_file_or_empty(path);
    std::int64_t renewed = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), renewed);
    if (ec != std::errc{} || end == text.data() || renewed <= 0) {
        return std::nullopt;
    }
    return std::chrono::nanoseconds(monotonic_now_nanos() - renewed);
}

}  // namespace eddy
