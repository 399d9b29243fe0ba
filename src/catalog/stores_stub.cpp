// Placeholder until the SQL stores land (next commits).
#include "sql_store.hpp"

namespace geoplex::catalog::detail {
std::unique_ptr<Store> open_sqlite_store(const std::string&) { throw Error(errc::unsupported, "SQLite catalog store: not built yet"); }
std::unique_ptr<Store> open_postgres_store(const std::string&) { throw Error(errc::unsupported, "PostgreSQL catalog store: not built yet"); }
}  // namespace geoplex::catalog::detail
