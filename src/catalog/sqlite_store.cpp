// The SQLite store: WAL, foreign keys, one pooled connection per concurrent caller, cached
// prepared statements, FTS5 over pre-analysed text, R*Tree over dataset boxes.
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>

#include <pthread.h>

#include <fmt/format.h>
#include <sqlite3.h>

#include "sql_store.hpp"

namespace geoplex::catalog::detail {

namespace {

constexpr const char* k_cache_size = "PRAGMA cache_size = -65536";  // 64 MiB: the indexes of a large catalogue
constexpr int k_checkpoint_frames = 1000;                          // SQLite's autocheckpoint default

/// Copies the WAL back into the database file on its own thread and connection. SQLite's
/// autocheckpoint does it inside the committing writer's COMMIT (a large bulk-import commit then
/// waits for all its pages to be copied); here the commit only signals, and the copy overlaps the
/// writer's next work on the other core. PASSIVE checkpoints, as autocheckpoint's: they never
/// block readers or writers and durability is the WAL's either way.
class Checkpointer {
public:
    explicit Checkpointer(std::string path) : m_path(std::move(path)) {}
    ~Checkpointer() {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_cv.notify_all();
        if (m_thread.joinable()) m_thread.join();
    }
    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;

    /// The WAL hook of every connection of the store (replaces autocheckpoint).
    static int wal_hook(void* self, sqlite3*, const char*, int frames) {
        if (frames >= k_checkpoint_frames) static_cast<Checkpointer*>(self)->request();
        return SQLITE_OK;
    }

private:
    void request() {
        std::lock_guard lock(m_mutex);
        m_pending = true;
        if (!m_thread.joinable()) {
            try {
                m_thread = std::thread([this] { run(); });
            } catch (const std::system_error&) {  // no thread: the next commit asks again
                m_pending = false;
                return;
            }
        }
        m_cv.notify_all();
    }

    void run() {
        pthread_setname_np(pthread_self(), "catalog-ckpt");
        sqlite3* db = nullptr;
        const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
        bool ok = sqlite3_open_v2(m_path.c_str(), &db, flags, nullptr) == SQLITE_OK;
        if (ok) {
            // A first read opens the WAL: a checkpoint on a connection that has not read yet does nothing.
            sqlite3_busy_timeout(db, 30'000);
            ok = sqlite3_exec(db, "SELECT COUNT(*) FROM sqlite_schema", nullptr, nullptr, nullptr) == SQLITE_OK;
        }
        if (!ok) {
            sqlite3_close(db);
            db = nullptr;
        }
        std::unique_lock lock(m_mutex);
        for (;;) {
            m_cv.wait(lock, [&] { return m_pending || m_stop; });
            if (m_stop) break;
            m_pending = false;
            lock.unlock();
            if (db) sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);  // busy: the next one
            lock.lock();
        }
        lock.unlock();
        sqlite3_close(db);
    }

    std::string m_path;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_pending = false, m_stop = false;
    std::thread m_thread;
};

class SqliteConnection final : public Connection {
public:
    SqliteConnection(const std::string& path, Checkpointer* checkpointer) {
        const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
        if (sqlite3_open_v2(path.c_str(), &m_db, flags, nullptr) != SQLITE_OK) {
            const std::string msg = m_db ? sqlite3_errmsg(m_db) : "out of memory";
            sqlite3_close(m_db);
            m_db = nullptr;
            throw DependencyError(fmt::format("SQLite: cannot open '{}': {}", path, msg));
        }
        sqlite3_busy_timeout(m_db, 30'000);
        exec_script("PRAGMA foreign_keys = ON");
        if (path != ":memory:") {
            exec_script("PRAGMA journal_mode = WAL");
            exec_script("PRAGMA synchronous = NORMAL");
            if (checkpointer) sqlite3_wal_hook(m_db, &Checkpointer::wal_hook, checkpointer);
        }
        exec_script(k_cache_size);
        exec_script("PRAGMA temp_store = MEMORY");
    }
    ~SqliteConnection() override {
        for (auto& [sql, stmt] : m_statements) sqlite3_finalize(stmt);
        sqlite3_close(m_db);
    }

    std::vector<SqlRow> query(const std::string& sql, const SqlParams& params) override {
        sqlite3_stmt* st = prepare(sql, params);
        std::vector<SqlRow> rows;
        for (;;) {
            const int rc = sqlite3_step(st);
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) fail(rc, st);
            const int n = sqlite3_column_count(st);
            SqlRow row(static_cast<std::size_t>(n));
            for (int i = 0; i < n; ++i) {
                if (sqlite3_column_type(st, i) == SQLITE_NULL) continue;
                const auto* text = sqlite3_column_text(st, i);
                row[static_cast<std::size_t>(i)] =
                    std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(sqlite3_column_bytes(st, i)));
            }
            rows.push_back(std::move(row));
        }
        sqlite3_reset(st);
        return rows;
    }

    std::vector<std::int64_t> query_int64(const std::string& sql, const SqlParams& params) override {
        sqlite3_stmt* st = prepare(sql, params);
        std::vector<std::int64_t> out;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) out.push_back(sqlite3_column_int64(st, 0));
        if (rc != SQLITE_DONE) fail(rc, st);
        sqlite3_reset(st);
        return out;
    }

    void query_each(const std::string& sql, const SqlParams& params,
                    const std::function<void(const std::vector<SqlValue>&)>& fn) override {
        sqlite3_stmt* st = prepare(sql, params);
        std::vector<SqlValue> values;
        int rc;
        try {
            while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                const int n = sqlite3_column_count(st);
                values.assign(static_cast<std::size_t>(n), nullptr);
                for (int i = 0; i < n; ++i) {
                    auto& v = values[static_cast<std::size_t>(i)];
                    switch (sqlite3_column_type(st, i)) {
                        case SQLITE_INTEGER: v = static_cast<std::int64_t>(sqlite3_column_int64(st, i)); break;
                        case SQLITE_FLOAT: v = sqlite3_column_double(st, i); break;
                        case SQLITE_NULL: break;
                        default: {
                            const auto* text = sqlite3_column_text(st, i);
                            v = std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(sqlite3_column_bytes(st, i)));
                        }
                    }
                }
                fn(values);
            }
        } catch (...) {
            sqlite3_reset(st);
            throw;
        }
        if (rc != SQLITE_DONE) fail(rc, st);
        sqlite3_reset(st);
    }

    std::int64_t execute(const std::string& sql, const SqlParams& params) override {
        sqlite3_stmt* st = prepare(sql, params);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        }
        if (rc != SQLITE_DONE) fail(rc, st);
        sqlite3_reset(st);
        return sqlite3_changes64(m_db);
    }

    std::int64_t insert_seq(const std::string& sql, const SqlParams& params) override {
        // No RETURNING: SQLite runs RETURNING as a trigger, which gives the INSERT a statement
        // journal, whose savepoint makes FTS5 flush its pending terms to a new segment.
        execute(sql, params);
        return sqlite3_last_insert_rowid(m_db);
    }

    void exec_script(const std::string& sql) override {
        // Savepoints wrap every write inside a transaction (thousands per bulk import): prepared once.
        if (sql.rfind("SAVEPOINT ", 0) == 0 || sql.rfind("RELEASE SAVEPOINT ", 0) == 0 ||
            sql.rfind("ROLLBACK TO SAVEPOINT ", 0) == 0) {
            execute(sql, {});
            return;
        }
        char* err = nullptr;
        const int rc = sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &err);
        if (rc != SQLITE_OK) {
            const std::string msg = err ? err : sqlite3_errstr(rc);
            sqlite3_free(err);
            throw_error(rc, msg);
        }
    }

private:
    sqlite3_stmt* prepare(const std::string& sql, const SqlParams& params) {
        auto it = m_statements.find(sql);
        if (it == m_statements.end()) {
            sqlite3_stmt* st = nullptr;
            if (sqlite3_prepare_v3(m_db, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &st, nullptr) !=
                SQLITE_OK)
                throw DependencyError(fmt::format("SQLite: {} in: {}", sqlite3_errmsg(m_db), sql));
            it = m_statements.emplace(sql, st).first;
        }
        sqlite3_stmt* st = it->second;
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        int i = 1;
        for (const auto& p : params) {
            if (const auto* s = std::get_if<std::string>(&p)) {
                // SQLITE_STATIC: every caller steps the statement before `params` goes away, and the
                // next use clears the bindings first (no copy of each document and term list).
                sqlite3_bind_text64(st, i, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
            } else if (const auto* n = std::get_if<std::int64_t>(&p)) {
                sqlite3_bind_int64(st, i, *n);
            } else if (const auto* d = std::get_if<double>(&p)) {
                sqlite3_bind_double(st, i, *d);
            } else {
                sqlite3_bind_null(st, i);
            }
            ++i;
        }
        return st;
    }

    [[noreturn]] void fail(int rc, sqlite3_stmt* st) {
        const std::string msg = sqlite3_errmsg(m_db);
        sqlite3_reset(st);
        throw_error(rc, msg);
    }

    [[noreturn]] static void throw_error(int rc, const std::string& msg) {
        if ((rc & 0xFF) == SQLITE_CONSTRAINT) throw Conflict("constraint violated: " + msg);
        throw DependencyError("SQLite: " + msg);
    }

    sqlite3* m_db = nullptr;
    std::unordered_map<std::string, sqlite3_stmt*> m_statements;
};

class SqliteStore final : public SqlStore {
public:
    explicit SqliteStore(std::string path)
        : SqlStore(path == ":memory:" ? 1 : 16), m_path(std::move(path)), m_checkpointer(m_path) {
        migrate();
    }

    std::string_view backend() const noexcept override { return "sqlite"; }

protected:
    std::unique_ptr<Connection> connect() override {
        return std::make_unique<SqliteConnection>(m_path, m_path == ":memory:" ? nullptr : &m_checkpointer);
    }
    std::string begin_statement() const override { return "BEGIN IMMEDIATE"; }
    std::string migration_lock() const override { return {}; }
    std::string seq_column() const override { return "seq INTEGER PRIMARY KEY"; }
    std::string sql_type(ColumnType t) const override { return t == ColumnType::text ? "TEXT" : "INTEGER"; }
    std::string real_type() const override { return "REAL"; }
    std::string collate() const override { return {}; }
    std::string dataset_write_lock() const override { return {}; }  // BEGIN IMMEDIATE serialises writers
    bool failed_statement_aborts_transaction() const override { return false; }

    // A bulk import touches the id, facet and R*Tree b-trees all over: a larger page cache for
    // its duration, the connection's usual one after. Its commit's WAL checkpoint runs on the
    // Checkpointer's thread (as every commit's). Durability is unchanged (WAL, synchronous
    // NORMAL: each commit is in the WAL).
    void begin_bulk(Connection& c) override { c.exec_script("PRAGMA cache_size = -524288"); }
    void end_bulk(Connection& c) override { c.exec_script(k_cache_size); }

    void create_search_schema(Connection& c) override {
        // Columns hold analyze()d terms; unicode61 only splits them on spaces.
        c.exec_script("CREATE VIRTUAL TABLE dataset_fts USING fts5(title, keywords, abstract, "
                      "tokenize = 'unicode61 remove_diacritics 0')");
        c.exec_script("CREATE VIRTUAL TABLE dataset_rtree USING rtree(id, minx, maxx, miny, maxy)");
    }

    void index_text(Connection& c, std::int64_t seq, const std::optional<GeoBox>& bbox, const std::string& title_terms,
                    const std::string& keyword_terms, const std::string& abstract_terms) override {
        c.execute("INSERT INTO dataset_fts (rowid, title, keywords, abstract) VALUES (?, ?, ?, ?)",
                  {seq, title_terms, keyword_terms, abstract_terms});
        if (bbox)
            c.execute("INSERT INTO dataset_rtree (id, minx, maxx, miny, maxy) VALUES (?, ?, ?, ?, ?)",
                      {seq, bbox->west, bbox->east, bbox->south, bbox->north});
    }

    void unindex_text(Connection& c, std::int64_t seq) override {
        c.execute("DELETE FROM dataset_fts WHERE rowid = ?", {seq});
        c.execute("DELETE FROM dataset_rtree WHERE id = ?", {seq});
    }

    std::string text_parameter(const std::vector<std::string>& terms) const override {
        // Each term quoted (FTS5 string syntax: '"' doubled), juxtaposed = AND.
        std::string m;
        for (const auto& t : terms) {
            if (!m.empty()) m += ' ';
            m += '"';
            for (char ch : t) {
                if (ch == '"') m += '"';
                m += ch;
            }
            m += '"';
        }
        return m;
    }

    std::string text_condition() const override {
        return "d.seq IN (SELECT rowid FROM dataset_fts WHERE dataset_fts MATCH ?)";
    }

    std::string text_match_sql() const override { return "SELECT rowid FROM dataset_fts WHERE dataset_fts MATCH ?"; }

    void bbox_condition(const GeoBox& b, std::string& sql, SqlParams& params) override {
        // The R*Tree stores 32-bit floats rounded outwards: it preselects, the exact columns decide.
        sql += "d.seq IN (SELECT id FROM dataset_rtree WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?) "
               "AND d.west <= ? AND d.east >= ? AND d.south <= ? AND d.north >= ?";
        for (int i = 0; i < 2; ++i) params.insert(params.end(), {b.east, b.west, b.north, b.south});
    }

    std::string relevance_sql(const std::string& where) const override {
        return "SELECT d.seq, -bm25(dataset_fts, 10.0, 5.0, 1.0) AS score FROM dataset_fts "
               "JOIN dataset d ON d.seq = dataset_fts.rowid WHERE dataset_fts MATCH ? AND " +
               where + " ORDER BY score DESC, d.id ASC LIMIT ? OFFSET ?";
    }
    std::size_t relevance_text_parameters() const override { return 1; }

    bool memory_search() const override { return true; }
    std::string text_rows_sql() const override { return "SELECT rowid, title, keywords, abstract FROM dataset_fts"; }

private:
    std::string m_path;
    Checkpointer m_checkpointer;  ///< destroyed (joined) before the pooled connections of SqlStore
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::string& path) {
    if (path.empty()) throw InvalidArgument("empty SQLite path");
    return std::make_unique<SqliteStore>(path);
}

}  // namespace geoplex::catalog::detail
