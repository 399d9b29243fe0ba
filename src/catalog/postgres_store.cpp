// The PostgreSQL store (several server replicas share one database): libpq, prepared
// statements, tsvector over pre-analysed text under the 'simple' configuration with a GIN index,
// plain bbox columns; migrations serialised by an advisory lock.
#include <cstdio>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <libpq-fe.h>

#include "sql_store.hpp"

namespace geoplex::catalog::detail {

namespace {

/// '?' placeholders → '$1', '$2'… (our SQL never has '?' inside literals).
std::string number_placeholders(const std::string& sql) {
    std::string out;
    out.reserve(sql.size() + 16);
    int n = 0;
    for (char c : sql) {
        if (c == '?') out += fmt::format("${}", ++n);
        else out += c;
    }
    return out;
}

class PgResult {
public:
    explicit PgResult(PGresult* r) : m_r(r) {}
    ~PgResult() { PQclear(m_r); }
    PgResult(const PgResult&) = delete;
    PgResult& operator=(const PgResult&) = delete;
    PGresult* get() const noexcept { return m_r; }

private:
    PGresult* m_r;
};

class PgConnection final : public Connection {
public:
    explicit PgConnection(const std::string& conninfo) : m_conn(PQconnectdb(conninfo.c_str())) {
        if (!m_conn || PQstatus(m_conn) != CONNECTION_OK) {
            const std::string msg = m_conn ? PQerrorMessage(m_conn) : "out of memory";
            PQfinish(m_conn);
            m_conn = nullptr;
            throw DependencyError("PostgreSQL: cannot connect: " + msg);
        }
        PQsetClientEncoding(m_conn, "UTF8");
        exec_script("SET client_min_messages = warning");
    }
    ~PgConnection() override { PQfinish(m_conn); }

    bool healthy() override { return PQstatus(m_conn) == CONNECTION_OK; }

    std::vector<SqlRow> query(const std::string& sql, const SqlParams& params) override {
        PgResult r(run(sql, params));
        std::vector<SqlRow> rows;
        const int nrows = PQntuples(r.get()), ncols = PQnfields(r.get());
        rows.reserve(static_cast<std::size_t>(nrows));
        for (int i = 0; i < nrows; ++i) {
            SqlRow row(static_cast<std::size_t>(ncols));
            for (int j = 0; j < ncols; ++j)
                if (!PQgetisnull(r.get(), i, j))
                    row[static_cast<std::size_t>(j)] =
                        std::string(PQgetvalue(r.get(), i, j), static_cast<std::size_t>(PQgetlength(r.get(), i, j)));
            rows.push_back(std::move(row));
        }
        return rows;
    }

    std::int64_t execute(const std::string& sql, const SqlParams& params) override {
        PgResult r(run(sql, params));
        const char* n = PQcmdTuples(r.get());
        return n && *n ? std::stoll(n) : 0;
    }

    void exec_script(const std::string& sql) override {
        PgResult r(PQexec(m_conn, sql.c_str()));
        check(r.get());
    }

private:
    PGresult* run(const std::string& sql, const SqlParams& params) {
        auto it = m_prepared.find(sql);
        if (it == m_prepared.end()) {
            const auto name = fmt::format("s{}", m_prepared.size());
            PgResult r(PQprepare(m_conn, name.c_str(), number_placeholders(sql).c_str(), 0, nullptr));
            check(r.get());
            it = m_prepared.emplace(sql, name).first;
        }
        std::vector<std::string> text(params.size());
        std::vector<const char*> values(params.size(), nullptr);
        for (std::size_t i = 0; i < params.size(); ++i) {
            const auto& p = params[i];
            if (const auto* s = std::get_if<std::string>(&p)) {
                text[i] = *s;
            } else if (const auto* n = std::get_if<std::int64_t>(&p)) {
                text[i] = std::to_string(*n);
            } else if (const auto* d = std::get_if<double>(&p)) {
                text[i] = fmt::format("{}", *d);  // shortest round-trip representation
            } else {
                continue;
            }
            values[i] = text[i].c_str();
        }
        PGresult* r = PQexecPrepared(m_conn, it->second.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                                     nullptr, 0);
        try {
            check(r);
        } catch (...) {
            PQclear(r);
            throw;
        }
        return r;
    }

    void check(PGresult* r) {
        const auto st = PQresultStatus(r);
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return;
        const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
        const std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(m_conn);
        if (state && state[0] == '2' && state[1] == '3') throw Conflict("constraint violated: " + msg);
        throw DependencyError("PostgreSQL: " + msg);
    }

    PGconn* m_conn = nullptr;
    std::unordered_map<std::string, std::string> m_prepared;
};

class PostgresStore final : public SqlStore {
public:
    explicit PostgresStore(std::string conninfo) : SqlStore(8), m_conninfo(std::move(conninfo)) { migrate(); }

    std::string_view backend() const noexcept override { return "postgresql"; }

protected:
    std::unique_ptr<Connection> connect() override { return std::make_unique<PgConnection>(m_conninfo); }
    std::string begin_statement() const override { return "BEGIN"; }
    std::string migration_lock() const override { return "SELECT pg_advisory_xact_lock(7373001)"; }
    std::string seq_column() const override { return "seq BIGSERIAL PRIMARY KEY"; }
    std::string sql_type(ColumnType t) const override { return t == ColumnType::text ? "TEXT" : "BIGINT"; }
    std::string real_type() const override { return "DOUBLE PRECISION"; }
    std::string collate() const override { return " COLLATE \"C\""; }
    std::string dataset_write_lock() const override { return "SELECT pg_advisory_xact_lock(7373002)"; }
    bool failed_statement_aborts_transaction() const override { return true; }

    void create_search_schema(Connection& c) override {
        c.exec_script("ALTER TABLE dataset ADD COLUMN tsv tsvector");
        c.exec_script("CREATE INDEX dataset_tsv ON dataset USING GIN (tsv)");
        c.exec_script("CREATE INDEX dataset_bbox ON dataset (west, east, south, north)");
    }

    void index_text(Connection& c, std::int64_t seq, const std::optional<GeoBox>&, const std::string& title_terms,
                    const std::string& keyword_terms, const std::string& abstract_terms) override {
        c.execute("UPDATE dataset SET tsv = setweight(to_tsvector('simple', ?), 'A') || "
                  "setweight(to_tsvector('simple', ?), 'B') || setweight(to_tsvector('simple', ?), 'D') WHERE seq = ?",
                  {title_terms, keyword_terms, abstract_terms, seq});
    }

    void unindex_text(Connection&, std::int64_t) override {}  // the tsvector lives in the row

    std::string text_parameter(const std::vector<std::string>& terms) const override {
        return fmt::format("{}", fmt::join(terms, " "));  // plainto_tsquery ANDs the words
    }

    std::string text_condition() const override { return "d.tsv @@ plainto_tsquery('simple', ?)"; }

    std::string text_match_sql() const override {
        return "SELECT d.seq FROM dataset d WHERE d.tsv @@ plainto_tsquery('simple', ?)";
    }

    void bbox_condition(const GeoBox& b, std::string& sql, SqlParams& params) override {
        sql += "d.west <= ? AND d.east >= ? AND d.south <= ? AND d.north >= ?";
        params.insert(params.end(), {b.east, b.west, b.north, b.south});
    }

    std::string relevance_sql(const std::string& where) const override {
        return "SELECT d.seq, ts_rank(d.tsv, plainto_tsquery('simple', ?)) AS score FROM dataset d "
               "WHERE d.tsv @@ plainto_tsquery('simple', ?) AND " +
               where + " ORDER BY score DESC, d.id COLLATE \"C\" ASC LIMIT ? OFFSET ?";
    }
    std::size_t relevance_text_parameters() const override { return 2; }

private:
    std::string m_conninfo;
};

}  // namespace

std::unique_ptr<Store> open_postgres_store(const std::string& conninfo) {
    return std::make_unique<PostgresStore>(conninfo);
}

}  // namespace geoplex::catalog::detail
