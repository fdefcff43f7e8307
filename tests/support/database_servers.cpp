#include "database_servers.hpp"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <stdexcept>
#include <vector>

namespace eddy::testing {

namespace {

using namespace std::chrono_literals;

constexpr const char* pg_bin = "/usr/lib/postgresql/15/bin/";

// Runs a program to its end; its exit status and what it printed.
struct ran {
    int status = -1;
    std::string out;
    std::string err;
};

ran run(const std::filesystem::path& dir, std::vector<std::string> args,
        std::chrono::milliseconds timeout = 30s) {
    static int counter = 0;
    const auto stem = dir / ("cmd" + std::to_string(++counter));
    child_process child({.args = std::move(args),
                         .stdout_path = stem.string() + ".out",
                         .stderr_path = stem.string() + ".err"});
    auto status = child.wait_exit(timeout);
    ran result{
        .status = status.value_or(-1), .out = child.stdout_text(), .err = child.stderr_text()};
    std::filesystem::remove(stem.string() + ".out");
    std::filesystem::remove(stem.string() + ".err");
    return result;
}

ran must_run(const std::filesystem::path& dir, std::vector<std::string> args,
             std::chrono::milliseconds timeout = 30s) {
    const std::string what = args.at(0) + (args.size() > 1 ? " " + args[1] : "");
    auto result = run(dir, std::move(args), timeout);
    if (result.status != 0) {
        throw std::runtime_error(what + " failed (status " + std::to_string(result.status) +
                                 "): " + result.err + result.out);
    }
    return result;
}

// A directory the server's own user owns, under a test directory it can enter.
void make_owned_dir(const std::filesystem::path& dir, const char* user) {
    namespace fs = std::filesystem;
    fs::permissions(dir.parent_path(), fs::perms::others_exec | fs::perms::group_exec,
                    fs::perm_options::add);
    fs::create_directories(dir);
    const passwd* pw = ::getpwnam(user);
    if (pw == nullptr || ::chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        throw std::runtime_error(std::string("cannot give ") + dir.string() + " to user " + user);
    }
}

}  // namespace

postgres_server::postgres_server(const std::filesystem::path& dir) : _dir(dir) {
    make_owned_dir(_dir, "postgres");
    _port = free_port();
    must_run(
        _dir,
        {"/usr/sbin/runuser", "-u", "postgres", "--", std::string(pg_bin) + "initdb", "-D",
         (_dir / "data").string(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"},
        60s);
    start();
}

postgres_server::~postgres_server() {
    if (_running) {
        try {
            stop();
        } catch (const std::exception&) {
            // Best effort: the test has already failed if this fails.
        }
    }
}

void postgres_server::start() {
    must_run(_dir,
             {"/usr/sbin/runuser", "-u", "postgres", "--", std::string(pg_bin) + "pg_ctl", "-D",
              (_dir / "data").string(), "-l", (_dir / "pg.log").string(), "-w", "-t", "20", "-o",
              "-c listen_addresses=127.0.0.1 -p " + std::to_string(_port) + " -k " + _dir.string() +
                  " -c fsync=off",
              "start"});
    _running = true;
}

void postgres_server::stop() {
    _running = false;
    must_run(_dir, {"/usr/sbin/runuser", "-u", "postgres", "--", std::string(pg_bin) + "pg_ctl",
                    "-D", (_dir / "data").string(), "-m", "fast", "-w", "-t", "20", "stop"});
}

std::string postgres_server::conninfo() const {
    return "host=127.0.0.1 port=" + std::to_string(_port) +
           " user=postgres dbname=postgres connect_timeout=5";
}

std::string postgres_server::query(const std::string& sql) const {
    return must_run(_dir, {"/usr/bin/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-F", "\t",
                           "-d", conninfo(), "-c", sql})
        .out;
}

mariadb_server::mariadb_server(const std::filesystem::path& dir) : _dir(dir) {
    make_owned_dir(_dir, "mysql");
    _port = free_port();
    must_run(_dir,
             {"/usr/bin/mariadb-install-db", "--no-defaults", "--user=mysql",
              "--datadir=" + (_dir / "data").string(), "--auth-root-authentication-method=normal",
              "--skip-test-db", "--skip-name-resolve"},
             60s);
    start();
    (void)query("SELECT 1");
}

mariadb_server::~mariadb_server() {
    stop();
}

void mariadb_server::start() {
    _server = std::make_unique<child_process>(child_process::options{
        .args = {"/usr/sbin/mariadbd", "--no-defaults", "--user=mysql",
                 "--datadir=" + (_dir / "data").string(), "--socket=" + socket(),
                 "--port=" + std::to_string(_port), "--bind-address=127.0.0.1",
                 "--pid-file=" + (_dir / "mysqld.pid").string(),
                 "--log-error=" + (_dir / "err.log").string(), "--skip-name-resolve",
                 "--innodb-buffer-pool-size=64M"},
        .stdout_path = _dir / "mariadbd.out",
        .stderr_path = _dir / "mariadbd.err"});
    const bool ready = wait_until(
        [&] {
            return _server->running() && run(_dir,
                                             {"/usr/bin/mariadb-admin", "--no-defaults", "-uroot",
                                              "--socket=" + socket(), "ping"},
                                             5s)
                                                 .status == 0;
        },
        20s);
    if (!ready) {
        throw std::runtime_error("mariadbd did not become ready: " + read_file(_dir / "err.log"));
    }
    must_run(_dir, {"/usr/bin/mariadb", "--no-defaults", "-uroot", "--socket=" + socket(), "-e",
                    "CREATE DATABASE IF NOT EXISTS eddy"});
}

void mariadb_server::stop() {
    if (!_server) {
        return;
    }
    _server->signal(SIGTERM);
    if (!_server->wait_exit(30s)) {
        _server->signal(SIGKILL);
        (void)_server->wait_exit(10s);
    }
    _server.reset();
}

std::string mariadb_server::query(const std::string& sql) const {
    return must_run(_dir, {"/usr/bin/mariadb", "--no-defaults", "-uroot", "--socket=" + socket(),
                           "-N", "-B", "-r", "eddy", "-e", sql})
        .out;
}

}  // namespace eddy::testing
