#pragma once
// Factories of the two SQL stores (sqlite_store.cpp, postgres_store.cpp).

#include <memory>
#include <string>

#include "geoplex/catalog/store.hpp"

namespace geoplex::catalog::detail {

/// `path` is a file path or ":memory:".
[[nodiscard]] std::unique_ptr<Store> open_sqlite_store(const std::string& path);
/// `conninfo` is a libpq URI or key=value string.
[[nodiscard]] std::unique_ptr<Store> open_postgres_store(const std::string& conninfo);

}  // namespace geoplex::catalog::detail
