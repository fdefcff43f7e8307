#pragma once

// The live database, as the changelog's owner-thread operations take it
// (changelog::reconcile, changelog::backup). A struct of its own, declared
// ahead in changelog.hpp, so that changelog.hpp names no RocksDB type: only
// the .cpp files of src/state that hold a rocksdb::DB include this header.

#include <rocksdb/db.h>

namespace eddy::state::detail {

struct rocksdb_ref {
    rocksdb::DB& db;
};

}  // namespace eddy::state::detail
