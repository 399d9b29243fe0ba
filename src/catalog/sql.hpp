#pragma once
// The little SQL layer both stores share: a connection runs parameterised statements ('?'
// placeholders, values bound, never spliced) and maps constraint violations to Conflict and
// other failures to DependencyError.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace geoplex::catalog::detail {

using SqlValue = std::variant<std::nullptr_t, std::int64_t, double, std::string>;
using SqlParams = std::vector<SqlValue>;
using SqlRow = std::vector<std::optional<std::string>>;  ///< every column as text (NULL = nullopt)

class Connection {
public:
    Connection() = default;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    virtual ~Connection() = default;

    /// Runs one statement and returns its rows.
    virtual std::vector<SqlRow> query(const std::string& sql, const SqlParams& params) = 0;
    /// Runs one statement and returns its first column as integers (match sets: no per-row strings).
    virtual std::vector<std::int64_t> query_int64(const std::string& sql, const SqlParams& params) {
        std::vector<std::int64_t> out;
        for (const auto& row : query(sql, params)) out.push_back(row.at(0) ? std::stoll(*row.at(0)) : 0);
        return out;
    }
    /// Runs one statement and calls fn(values) for each row, with each column in its stored type
    /// (REAL columns as exact doubles), without materialising the whole result.
    virtual void query_each(const std::string& sql, const SqlParams& params,
                            const std::function<void(const std::vector<SqlValue>&)>& fn) {
        for (const auto& row : query(sql, params)) {
            std::vector<SqlValue> values;
            for (const auto& v : row) values.push_back(v ? SqlValue{*v} : SqlValue{nullptr});
            fn(values);
        }
    }
    /// Runs one statement; returns the number of rows it changed.
    virtual std::int64_t execute(const std::string& sql, const SqlParams& params) = 0;
    /// Runs an INSERT into a table keyed by `seq` and returns the new row's seq.
    virtual std::int64_t insert_seq(const std::string& insert_sql, const SqlParams& params) {
        return query_int64(insert_sql + " RETURNING seq", params).at(0);
    }
    /// Runs statements without parameters (DDL, BEGIN/COMMIT…).
    virtual void exec_script(const std::string& sql) = 0;
    /// False when the connection is unusable and must be dropped from the pool.
    [[nodiscard]] virtual bool healthy() { return true; }
};

}  // namespace geoplex::catalog::detail
