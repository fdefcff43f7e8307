#include "files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace eddy {

void write_file_atomically(const std::filesystem::path& path, std::string_view text,
                           std::filesystem::perms mode) {
    const auto temporary = path.string() + ".tmp";
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                          static_cast<mode_t>(mode));
    if (fd < 0) {
        throw std::runtime_error("cannot write " + temporary + ": " + std::strerror(errno));
    }
    // open() applied the umask; the mode asked for is what the file gets.
    ::fchmod(fd, static_cast<mode_t>(mode));
    std::size_t written = 0;
    while (written < text.size()) {
        const auto n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            const std::string reason = std::strerror(errno);
            ::close(fd);
            throw std::runtime_error("cannot write " + temporary + ": " + reason);
        }
        written += static_cast<std::size_t>(n);
    }
    ::close(fd);
    std::filesystem::rename(temporary, path);
}

std::string read_file_or_empty(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string random_token() {
    std::random_device device;
    std::ostringstream out;
    for (int i = 0; i < 4; ++i) {
        char chunk[9];
        std::snprintf(chunk, sizeof chunk, "%08x", device());
        out << chunk;
    }
    return out.str();
}

std::string tail_lines(const std::filesystem::path& path, std::size_t max_lines,
                       std::size_t max_bytes) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) {
        return {};
    }
    const auto size = static_cast<std::size_t>(in.tellg());
    const std::size_t take = std::min(size, max_bytes);
    std::string text(take, '\0');
    in.seekg(static_cast<std::streamoff>(size - take));
    in.read(text.data(), static_cast<std::streamsize>(take));
    std::vector<std::string_view> lines;
    std::string_view rest(text);
    if (take < size) {  // cut inside a line: drop its end
        const auto newline = rest.find('\n');
        rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
    }
    while (!rest.empty()) {
        const auto newline = rest.find('\n');
        lines.push_back(rest.substr(0, newline));
        rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
    }
    std::string tail;
    for (std::size_t i = lines.size() > max_lines ? lines.size() - max_lines : 0; i < lines.size();
         ++i) {
        tail += tail.empty() ? "" : "\n";
        tail += lines[i];
    }
    return tail;
}

}  // namespace eddy
