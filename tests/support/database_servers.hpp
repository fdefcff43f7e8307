#pragma once

// Real database servers for integration tests, each in a directory of its
// own on a free loopback port (docs: /work/shared/SERVERS.md): PostgreSQL 15
// (initdb as the `postgres` user, pg_ctl) and MariaDB 10.11
// (mariadb-install-db, mariadbd as a child process). A test can stop and
// start a server again (same data, same port) to play a lost database; the
// destructor stops it, so a failing test leaves nothing running. `query`
// runs SQL with the server's own client (psql, mariadb) and returns its rows
// as tab-separated lines, so that tests check tables independently of the
// sinks' code.
//
// Threading: one test thread.

#include "support/process.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

namespace eddy::testing {

class postgres_server {
public:
    // Initialises a cluster under `dir` (created) and starts it; throws on failure.
    explicit postgres_server(const std::filesystem::path& dir);
    ~postgres_server();
    postgres_server(const postgres_server&) = delete;
    postgres_server& operator=(const postgres_server&) = delete;

    void start();
    // Fast shutdown: open connections are cut.
    void stop();
    [[nodiscard]] int port() const { return _port; }
    // A libpq conninfo string for the `postgres` database as the `postgres` user.
    [[nodiscard]] std::string conninfo() const;
    // Rows of `sql`, one line each, columns separated by tabs; throws on an SQL error.
    [[nodiscard]] std::string query(const std::string& sql) const;

private:
    std::filesystem::path _dir;
    int _port = 0;
    bool _running = false;
};

class mariadb_server {
public:
    // Installs a data directory under `dir` (created), starts the server and
    // creates the database `eddy`; throws on failure.
    explicit mariadb_server(const std::filesystem::path& dir);
    ~mariadb_server();
    mariadb_server(const mariadb_server&) = delete;
    mariadb_server& operator=(const mariadb_server&) = delete;

    void start();
    void stop();
    [[nodiscard]] int port() const { return _port; }
    [[nodiscard]] std::string socket() const { return (_dir / "mysqld.sock").string(); }
    // Rows of `sql` run in the database `eddy`, tab-separated; throws on an SQL error.
    [[nodiscard]] std::string query(const std::string& sql) const;

private:
    std::filesystem::path _dir;
    int _port = 0;
    std::unique_ptr<child_process> _server;
};

}  // namespace eddy::testing
