// The SQL logic shared by the SQLite and PostgreSQL stores.
#include "sql_store.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <deque>
#include <exception>
#include <optional>
#include <system_error>
#include <set>

#include <pthread.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace geoplex::catalog::detail {

using nlohmann::json;

namespace {

std::string quote(std::string_view ident) { return fmt::format("\"{}\"", ident); }

std::string array_table(const TableSpec& spec, std::string_view field) {
    return quote(fmt::format("{}__{}", spec.table, field));
}

std::int64_t to_int(const std::optional<std::string>& s) {
    if (!s) return 0;
    std::int64_t v = 0;
    std::from_chars(s->data(), s->data() + s->size(), v);
    return v;
}

/// The value of one indexed column, from the document.
SqlValue column_value(const Column& c, const json& doc) {
    const json::json_pointer ptr(c.pointer.empty() ? "/" + std::string(c.name) : std::string(c.pointer));
    if (!doc.contains(ptr)) return nullptr;
    const json& v = doc.at(ptr);
    if (v.is_null()) return nullptr;
    switch (c.type) {
        case ColumnType::boolean: return std::int64_t{v.is_boolean() ? (v.get<bool>() ? 1 : 0) : 0};
        case ColumnType::integer: return v.is_number() ? v.get<std::int64_t>() : std::int64_t{0};
        case ColumnType::text: {
            std::string s = v.is_string() ? v.get<std::string>() : v.dump();
            if (s.empty() && (c.unique || !c.references.empty())) return nullptr;
            return s;
        }
    }
    return nullptr;
}

/// A filter value in the column's type.
SqlValue filter_value(const Column& c, const std::string& value) {
    switch (c.type) {
        case ColumnType::boolean:
            if (value == "true" || value == "1") return std::int64_t{1};
            if (value == "false" || value == "0") return std::int64_t{0};
            throw InvalidArgument(fmt::format("filter '{}' must be true or false", c.name));
        case ColumnType::integer: {
            std::int64_t v = 0;
            const auto r = std::from_chars(value.data(), value.data() + value.size(), v);
            if (r.ec != std::errc{} || r.ptr != value.data() + value.size())
                throw InvalidArgument(fmt::format("filter '{}' must be an integer", c.name));
            return v;
        }
        case ColumnType::text: break;
    }
    if (value.empty() && (c.unique || !c.references.empty())) return nullptr;
    return value;
}

/// Stamps the id and dates of a new document.
void stamp_new(const TableSpec& spec, json& doc) {
    const auto id = doc.value("_id", std::string{});
    if (id.empty()) {
        doc["_id"] = new_id();
    } else if (!is_uuid(id)) {
        throw InvalidArgument("'_id' must be a UUID");
    }
    const auto now = now_iso8601();
    if (!spec.created_field.empty()) {
        const std::string f(spec.created_field);
        if (doc.value(f, std::string{}).empty()) doc[f] = now;
    }
    if (!spec.modified_field.empty()) {
        const std::string f(spec.modified_field);
        if (doc.value(f, std::string{}).empty()) doc[f] = now;
    }
}

std::vector<std::string> distinct_strings(const json& doc, std::string_view field) {
    std::vector<std::string> out;
    const auto it = doc.find(std::string(field));
    if (it == doc.end() || !it->is_array()) return out;
    for (const auto& v : *it)
        if (v.is_string()) out.push_back(v.get<std::string>());
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

/// The (facet, value) pairs of a dataset document, each once.
std::vector<std::pair<std::string, std::string>> facet_rows(const json& doc) {
    std::set<std::pair<std::string, std::string>> rows;
    for (const auto& t : distinct_strings(doc, "themes")) rows.emplace("theme", t);
    for (const auto& t : distinct_strings(doc, "formats")) rows.emplace("format", t);
    for (const auto& t : distinct_strings(doc, "keywords")) rows.emplace("keyword", t);
    const auto producer = doc.value("producer", std::string{});
    if (!producer.empty()) rows.emplace("producer", producer);
    const auto licence = doc.value("licence", std::string{});
    if (!licence.empty()) rows.emplace("licence", licence);
    const auto date = doc.value("publication_date", std::string{});
    if (date.size() >= 4 && std::all_of(date.begin(), date.begin() + 4, [](char c) { return c >= '0' && c <= '9'; }))
        rows.emplace("year", date.substr(0, 4));
    return {rows.begin(), rows.end()};
}

std::optional<GeoBox> doc_bbox(const json& doc) {
    const auto b = doc.find("bbox");
    if (b == doc.end() || !b->is_object()) return std::nullopt;
    return GeoBox{b->at("west").get<double>(), b->at("south").get<double>(), b->at("east").get<double>(),
                  b->at("north").get<double>()};
}

/// title_sort, west, south, east, north, sharing of a dataset document.
SqlParams dataset_search_columns(const json& doc) {
    SqlParams p{fold(doc.value("title", std::string{}))};
    if (const auto b = doc_bbox(doc)) {
        p.insert(p.end(), {b->west, b->south, b->east, b->north});
    } else {
        p.insert(p.end(), {nullptr, nullptr, nullptr, nullptr});
    }
    const auto sharing = doc.find("sharing");
    if (sharing != doc.end() && sharing->is_string()) p.emplace_back(sharing->get<std::string>());
    else p.emplace_back(nullptr);
    return p;
}

}  // namespace

// ---- pool and transactions ----------------------------------------------------------------------

std::unique_ptr<Connection> SqlStore::acquire() {
    std::unique_lock lock(m_mutex);
    for (;;) {
        if (!m_idle.empty()) {
            auto c = std::move(m_idle.back());
            m_idle.pop_back();
            return c;
        }
        if (m_open < m_max_connections) {
            ++m_open;
            lock.unlock();
            try {
                return connect();
            } catch (...) {
                lock.lock();
                --m_open;
                m_cv.notify_one();
                throw;
            }
        }
        m_cv.wait(lock);
    }
}

void SqlStore::release(std::unique_ptr<Connection> c) {
    std::lock_guard lock(m_mutex);
    if (c && c->healthy()) {
        m_idle.push_back(std::move(c));
    } else {
        --m_open;
    }
    m_cv.notify_one();
}

SqlStore::ThreadTx* SqlStore::current_tx() {
    std::lock_guard lock(m_mutex);
    const auto it = m_tx.find(std::this_thread::get_id());
    return it == m_tx.end() ? nullptr : &it->second;
}

void SqlStore::with_conn(const std::function<void(Connection&)>& fn) {
    if (auto* tx = current_tx()) {
        fn(*tx->conn);
        return;
    }
    auto c = acquire();
    try {
        fn(*c);
    } catch (...) {
        release(std::move(c));
        throw;
    }
    release(std::move(c));
}

void SqlStore::with_tx(const std::function<void(Connection&)>& fn) {
    if (auto* tx = current_tx()) {
        const auto name = fmt::format("sp{}", tx->depth++);
        Connection& c = *tx->conn;
        c.exec_script("SAVEPOINT " + name);
        try {
            fn(c);
        } catch (...) {
            try {
                c.exec_script("ROLLBACK TO SAVEPOINT " + name);
                c.exec_script("RELEASE SAVEPOINT " + name);
            } catch (...) {
            }
            --tx->depth;
            throw;
        }
        c.exec_script("RELEASE SAVEPOINT " + name);
        --tx->depth;
        return;
    }
    auto c = acquire();
    const auto me = std::this_thread::get_id();
    {
        std::lock_guard lock(m_mutex);
        m_tx[me] = ThreadTx{c.get(), 0};
    }
    auto finish = [&] {
        {
            std::lock_guard lock(m_mutex);
            m_tx.erase(me);
        }
        release(std::move(c));
    };
    try {
        c->exec_script(begin_statement());
        fn(*c);
        c->exec_script("COMMIT");
    } catch (...) {
        try {
            c->exec_script("ROLLBACK");
        } catch (...) {
        }
        finish();
        throw;
    }
    finish();
}

void SqlStore::transaction(const std::function<void(Store&)>& fn) {
    with_tx([&](Connection&) { fn(*this); });
}

// ---- schema -------------------------------------------------------------------------------------

void SqlStore::migrate() {
    const std::vector<std::function<void(Connection&)>> steps{
        // 1: one table per entity kind, array side tables, dataset search columns and facets.
        [this](Connection& c) {
            for (auto kind : all_kinds()) {
                const auto& spec = table_spec(kind);
                std::string ddl = fmt::format("CREATE TABLE {} ({}, id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL",
                                              quote(spec.table), seq_column());
                for (const auto& col : spec.columns) {
                    ddl += fmt::format(", {} {}", quote(col.name), sql_type(col.type));
                    if (col.unique) ddl += " UNIQUE";
                    if (!col.references.empty())
                        ddl += fmt::format(" REFERENCES {}(id) ON DELETE {}", quote(col.references),
                                           col.on_delete == OnDelete::cascade ? "CASCADE" : "RESTRICT");
                }
                if (kind == EntityKind::dataset)
                    ddl += fmt::format(", title_sort TEXT, west {0}, south {0}, east {0}, north {0}", real_type());
                ddl += ")";
                c.exec_script(ddl);
                for (const auto& col : spec.columns)
                    if (!col.unique && col.indexed)
                        c.exec_script(fmt::format("CREATE INDEX {} ON {}({})", quote(fmt::format("{}_{}", spec.table, col.name)),
                                                  quote(spec.table), quote(col.name)));
                for (const auto& a : spec.arrays) {
                    const auto t = array_table(spec, a);
                    c.exec_script(fmt::format("CREATE TABLE {} (id TEXT NOT NULL REFERENCES {}(id) ON DELETE CASCADE, "
                                              "value TEXT NOT NULL)",
                                              t, quote(spec.table)));
                    c.exec_script(fmt::format("CREATE INDEX {} ON {}(value, id)",
                                              quote(fmt::format("{}__{}_value", spec.table, a)), t));
                    c.exec_script(fmt::format("CREATE INDEX {} ON {}(id)", quote(fmt::format("{}__{}_id", spec.table, a)), t));
                }
            }
            c.exec_script(fmt::format("CREATE TABLE dataset_facet (ds {} NOT NULL, facet TEXT NOT NULL, value TEXT NOT NULL)",
                                      sql_type(ColumnType::integer)));
            c.exec_script("CREATE INDEX dataset_facet_value ON dataset_facet(facet, value, ds)");
            c.exec_script("CREATE INDEX dataset_facet_ds ON dataset_facet(ds, facet, value)");
            c.exec_script("CREATE INDEX dataset_title_sort ON dataset(title_sort, id)");
        },
        // 2: the dialect's full-text and spatial index.
        [this](Connection& c) { create_search_schema(c); },
        // 3: the dataset change log that keeps every process's facet cache in step.
        [this](Connection& c) {
            c.exec_script(fmt::format("CREATE TABLE dataset_change ({}, ds {} NOT NULL)", seq_column(),
                                      sql_type(ColumnType::integer)));
        },
        // 4: no title index: the measured search plans never used it (they sort the matches in a
        // temporary b-tree); one index less to maintain per dataset write.
        [](Connection& c) { c.exec_script("DROP INDEX dataset_title_sort"); },
        // 5: the dataset's sharing as a search column (anonymous searches see PUBLIC datasets only).
        [](Connection& c) {
            c.exec_script("ALTER TABLE dataset ADD COLUMN sharing TEXT");
            for (const auto& row : c.query("SELECT seq, doc FROM dataset", {})) {
                const json doc = json::parse(row.at(1).value_or("{}"));
                const auto it = doc.find("sharing");
                c.execute("UPDATE dataset SET sharing = ? WHERE seq = ?",
                          {it != doc.end() && it->is_string() ? SqlValue{it->get<std::string>()} : SqlValue{nullptr}, to_int(row[0])});
                c.execute("INSERT INTO dataset_change (ds) VALUES (?)", {to_int(row[0])});
            }
        },
    };
    with_tx([&](Connection& c) {
        const auto lock = migration_lock();
        if (!lock.empty()) c.query(lock, {});
        c.exec_script("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        const auto rows = c.query("SELECT MAX(version) FROM schema_version", {});
        const auto current = static_cast<std::size_t>(rows.empty() ? 0 : to_int(rows[0][0]));
        if (current > steps.size())
            throw FormatError(fmt::format("catalog schema version {} is newer than this build ({})", current, steps.size()),
                              errc::version_mismatch);
        for (std::size_t v = current; v < steps.size(); ++v) {
            steps[v](c);
            c.execute("INSERT INTO schema_version (version) VALUES (?)", {static_cast<std::int64_t>(v + 1)});
        }
    });
}

int SqlStore::schema_version() {
    int v = 0;
    with_conn([&](Connection& c) {
        const auto rows = c.query("SELECT MAX(version) FROM schema_version", {});
        v = static_cast<int>(rows.empty() ? 0 : to_int(rows[0][0]));
    });
    return v;
}

// ---- CRUD ---------------------------------------------------------------------------------------

namespace {

/// "INSERT INTO <table> (id, doc, <columns>[, dataset search columns]) VALUES (?, …)", per kind.
const std::string& insert_sql(const TableSpec& spec) {
    static const std::vector<std::string> sql = [] {
        std::vector<std::string> all;
        for (auto kind : all_kinds()) {
            const auto& t = table_spec(kind);
            std::string cols = "id, doc", marks = "?, ?";
            for (const auto& col : t.columns) {
                cols += ", " + quote(col.name);
                marks += ", ?";
            }
            if (kind == EntityKind::dataset) {
                // The search columns go in with the row (a second write of a fresh row costs a page rewrite).
                cols += ", title_sort, west, south, east, north, sharing";
                marks += ", ?, ?, ?, ?, ?, ?";
            }
            all.push_back(fmt::format("INSERT INTO {} ({}) VALUES ({})", quote(t.table), cols, marks));
        }
        return all;
    }();
    return sql.at(static_cast<std::size_t>(spec.kind));
}

/// GEOPLEX_CATALOG_IMPORT_PIPELINE=0 prepares bulk-imported records on the writing thread (A/B
/// measurements, machines with one core).
bool pipeline_enabled() {
    static const bool on = [] {
        const char* v = std::getenv("GEOPLEX_CATALOG_IMPORT_PIPELINE");
        return !v || std::string_view(v) != "0";
    }();
    return on;
}

/// Records per chunk handed from the preparing thread to the writing one (at most).
constexpr std::size_t k_import_chunk = 1000;

/// Items [0, n) produced in order by one second thread, chunk by chunk, and consumed in order
/// through a bounded queue (at most k_queued chunks ahead). produce(first, last, chunk) appends
/// items [first, last) to chunk (a failure there is thrown by next() after the chunks before).
/// Small inputs (one chunk) are produced inline.
template <class Item>
class ChunkPipeline {
public:
    using Produce = std::function<void(std::size_t, std::size_t, std::vector<Item>&)>;
    ChunkPipeline(std::size_t n, std::size_t chunk, Produce produce)
        : m_n(n), m_chunk(chunk), m_produce(std::move(produce)) {
        if (n <= chunk || !pipeline_enabled()) return;
        try {
            m_thread = std::thread([this] { run(); });
        } catch (const std::system_error&) {  // no thread: produced inline
        }
    }
    ~ChunkPipeline() {
        if (!m_thread.joinable()) return;
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_cv.notify_all();
        m_thread.join();
    }
    ChunkPipeline(const ChunkPipeline&) = delete;
    ChunkPipeline& operator=(const ChunkPipeline&) = delete;

    /// The next chunk in order into `out`; false after the last.
    bool next(std::vector<Item>& out) {
        out.clear();
        if (!m_thread.joinable()) {
            if (m_next >= m_n) return false;
            const auto last = std::min(m_n, m_next + m_chunk);
            m_produce(m_next, last, out);
            m_next = last;
            return true;
        }
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [&] { return !m_ready.empty() || m_done; });
        if (m_ready.empty()) {
            if (m_error) std::rethrow_exception(m_error);
            return false;
        }
        out = std::move(m_ready.front());
        m_ready.pop_front();
        lock.unlock();
        m_cv.notify_all();
        return true;
    }

private:
    void run() {
        pthread_setname_np(pthread_self(), "catalog-import");  // for profilers
        for (std::size_t first = 0; first < m_n; first += m_chunk) {
            std::vector<Item> chunk;
            try {
                chunk.reserve(m_chunk);
                m_produce(first, std::min(m_n, first + m_chunk), chunk);
            } catch (...) {  // out of memory: the consumer throws it
                std::lock_guard lock(m_mutex);
                m_error = std::current_exception();
                break;
            }
            std::unique_lock lock(m_mutex);
            m_cv.wait(lock, [&] { return m_ready.size() < k_queued || m_stop; });
            if (m_stop) break;
            m_ready.push_back(std::move(chunk));
            lock.unlock();
            m_cv.notify_all();
        }
        {
            std::lock_guard lock(m_mutex);
            m_done = true;
        }
        m_cv.notify_all();
    }

    static constexpr std::size_t k_queued = 4;
    std::size_t m_n, m_chunk;
    Produce m_produce;
    std::size_t m_next = 0;  ///< inline production
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<std::vector<Item>> m_ready;
    bool m_done = false, m_stop = false;
    std::exception_ptr m_error;
    std::thread m_thread;  ///< last: started once the rest is initialised
};

/// "INSERT INTO <array table> (id, value) VALUES (?, ?)", per kind and array.
const std::vector<std::string>& array_insert_sql(const TableSpec& spec) {
    static const std::vector<std::vector<std::string>> sql = [] {
        std::vector<std::vector<std::string>> all;
        for (auto kind : all_kinds()) {
            const auto& t = table_spec(kind);
            auto& per = all.emplace_back();
            for (const auto& a : t.arrays) per.push_back(fmt::format("INSERT INTO {} (id, value) VALUES (?, ?)", array_table(t, a)));
        }
        return all;
    }();
    return sql.at(static_cast<std::size_t>(spec.kind));
}

}  // namespace

SqlStore::DatasetIndexRows SqlStore::prepare_index(const json& doc) {
    // Straight from the normalised document (no conversion to Dataset: this runs per imported record).
    DatasetIndexRows rows;
    rows.facets = facet_rows(doc);
    std::string kw;
    if (const auto it = doc.find("keywords"); it != doc.end() && it->is_array())
        for (const auto& k : *it)
            if (k.is_string())
                for (const auto& t : analyze(k.get_ref<const std::string&>())) {
                    if (!kw.empty()) kw += ' ';
                    kw += t;
                }
    rows.text = TextRow{0, doc_bbox(doc), fmt::format("{}", fmt::join(analyze(doc.value("title", std::string{})), " ")),
                        std::move(kw), fmt::format("{}", fmt::join(analyze(doc.value("abstract", std::string{})), " "))};
    return rows;
}

SqlStore::PreparedInsert SqlStore::prepare_insert(const TableSpec& spec, const json& doc) {
    PreparedInsert p;
    p.row.reserve(2 + spec.columns.size() + 6);
    p.row.emplace_back(doc.at("_id").get<std::string>());
    p.row.emplace_back(doc.dump());
    for (const auto& col : spec.columns) p.row.push_back(column_value(col, doc));
    p.arrays.reserve(spec.arrays.size());
    for (const auto& a : spec.arrays) p.arrays.push_back(distinct_strings(doc, a));
    if (spec.kind == EntityKind::dataset) {
        const auto extras = dataset_search_columns(doc);
        p.row.insert(p.row.end(), extras.begin(), extras.end());
        p.index = prepare_index(doc);
    }
    return p;
}

std::int64_t SqlStore::insert_entity_row(Connection& c, const TableSpec& spec, const PreparedInsert& p) {
    return c.insert_seq(insert_sql(spec), p.row);
}

void SqlStore::finish_insert(Connection& c, const TableSpec& spec, PreparedInsert& p, std::int64_t seq,
                             std::vector<TextRow>* deferred_text) {
    const auto& inserts = array_insert_sql(spec);
    SqlParams params{p.row.at(0), std::string{}};
    for (std::size_t a = 0; a < p.arrays.size(); ++a)
        for (auto& v : p.arrays[a]) {
            params[1] = std::move(v);
            c.execute(inserts[a], params);
        }
    if (spec.kind == EntityKind::dataset) write_index(c, seq, p.index, deferred_text);
}

void SqlStore::insert_row(Connection& c, const TableSpec& spec, const json& doc) {
    auto p = prepare_insert(spec, doc);
    finish_insert(c, spec, p, insert_entity_row(c, spec, p));
}

void SqlStore::write_arrays(Connection& c, const TableSpec& spec, const json& doc, bool fresh) {
    const auto id = doc.at("_id").get<std::string>();
    const auto& inserts = array_insert_sql(spec);
    for (std::size_t a = 0; a < spec.arrays.size(); ++a) {
        if (!fresh) c.execute(fmt::format("DELETE FROM {} WHERE id = ?", array_table(spec, spec.arrays[a])), {id});
        SqlParams params{id, std::string{}};
        for (const auto& v : distinct_strings(doc, spec.arrays[a])) {
            params[1] = v;
            c.execute(inserts[a], params);
        }
    }
}

void SqlStore::log_dataset_change(Connection& c, std::int64_t seq) {
    const auto lock = dataset_write_lock();
    if (!lock.empty()) c.query(lock, {});
    c.execute("INSERT INTO dataset_change (ds) VALUES (?)", {seq});
}

void SqlStore::write_index(Connection& c, std::int64_t seq, DatasetIndexRows& rows, std::vector<TextRow>* deferred_text) {
    // One single-row statement per facet row: a multi-row INSERT needs a statement journal (a
    // savepoint per statement), which costs more than the extra steps.
    SqlParams params{seq, std::string{}, std::string{}};
    for (auto& [facet, value] : rows.facets) {
        params[1] = std::move(facet);
        params[2] = std::move(value);
        c.execute("INSERT INTO dataset_facet (ds, facet, value) VALUES (?, ?, ?)", params);
    }
    auto& text = rows.text;
    text.seq = seq;
    if (deferred_text) deferred_text->push_back(std::move(text));
    else index_text(c, text.seq, text.bbox, text.title, text.keywords, text.abstract);
    log_dataset_change(c, seq);
}

void SqlStore::index_dataset(Connection& c, std::int64_t seq, const json& doc, bool fresh, std::vector<TextRow>* deferred_text) {
    if (!fresh) {
        auto p = dataset_search_columns(doc);
        p.emplace_back(seq);
        c.execute("UPDATE dataset SET title_sort = ?, west = ?, south = ?, east = ?, north = ?, sharing = ? WHERE seq = ?", p);
    }
    auto rows = prepare_index(doc);
    write_index(c, seq, rows, deferred_text);
}

void SqlStore::unindex_dataset(Connection& c, std::int64_t seq) {
    c.execute("DELETE FROM dataset_facet WHERE ds = ?", {seq});
    unindex_text(c, seq);
    log_dataset_change(c, seq);
}

json SqlStore::create_document(EntityKind kind, const json& input) {
    return create_normalized_document(kind, normalize_document(kind, input));
}

json SqlStore::create_normalized_document(EntityKind kind, const json& normalized) {
    const auto& spec = table_spec(kind);
    json doc = normalized;
    stamp_new(spec, doc);
    with_tx([&](Connection& c) { insert_row(c, spec, doc); });
    return doc;
}

ImportResult SqlStore::import_normalized_documents(EntityKind kind, std::vector<json> docs) {
    const auto& spec = table_spec(kind);
    ImportResult out;
    out.ids.resize(docs.size());
    // Two stages over the two cores: a second thread stamps each document and computes all it
    // writes (document text, columns, side rows, facets, analysed full text: prepare_insert(), no
    // database), chunk by chunk; this thread, which holds the transaction, writes them in input
    // order. The stored content is create()'s: create() goes through the same prepare_insert().
    struct Item {
        std::string given;                     ///< its '_id' as given (problems)
        std::optional<ImportProblem> refused;  ///< an invalid '_id'
        std::exception_ptr error;              ///< any other failure: aborts the whole call there
        PreparedInsert insert;
    };
    auto prepare = [&](std::size_t first, std::size_t last, std::vector<Item>& chunk) {
        for (std::size_t i = first; i < last; ++i) {
            Item& item = chunk.emplace_back();
            try {
                json& doc = docs[i];
                item.given = doc.value("_id", std::string{});
                try {
                    stamp_new(spec, doc);
                } catch (const InvalidArgument& e) {
                    item.refused = ImportProblem{i, item.given, e.code(), e.what()};
                    continue;
                }
                item.insert = prepare_insert(spec, doc);
                doc = json();  // freed here, not on the writing thread
            } catch (...) {
                item.error = std::current_exception();
            }
        }
    };
    // One transaction (a savepoint inside transaction()), no savepoint per record: on SQLite each
    // savepoint makes FTS5 flush its pending terms into a new segment (then merged again), which
    // was the largest single cost of importing through create() inside a transaction.
    with_tx([&](Connection& c) {
        begin_bulk(c);
        try {
            const bool per_record_savepoint = failed_statement_aborts_transaction();
            std::vector<TextRow> text;
            // Eight chunks at least (small imports overlap too), of 16 to k_import_chunk records.
            ChunkPipeline<Item> pipeline(docs.size(), std::clamp<std::size_t>(docs.size() / 8, 16, k_import_chunk), prepare);
            std::vector<Item> chunk;
            std::size_t i = 0;
            while (pipeline.next(chunk)) {
                for (auto& item : chunk) {
                    const std::size_t at = i++;
                    if (item.refused) {
                        out.problems.push_back(std::move(*item.refused));
                        continue;
                    }
                    if (item.error) std::rethrow_exception(item.error);
                    auto& p = item.insert;
                    std::int64_t seq = -1;
                    try {
                        // SQLite: only the row statement can be refused (unique or reference
                        // constraint), and a refused statement undoes itself: the transaction goes on.
                        if (per_record_savepoint)
                            with_tx([&](Connection& t) { finish_insert(t, spec, p, insert_entity_row(t, spec, p)); });
                        else seq = insert_entity_row(c, spec, p);
                    } catch (const Conflict& e) {
                        out.problems.push_back({at, std::move(item.given), e.code(), e.what()});
                        continue;
                    }
                    out.ids[at] = std::get<std::string>(p.row.at(0));
                    if (!per_record_savepoint) finish_insert(c, spec, p, seq, &text);  // a failure here aborts the whole call
                }
            }
            // The full-text rows last, one after the other: any statement with a statement
            // journal (a multi-row INSERT, a constraint that may abort) between two FTS5 inserts
            // makes FTS5 write its pending terms out as a new segment.
            for (const auto& t : text) index_text(c, t.seq, t.bbox, t.title, t.keywords, t.abstract);
        } catch (...) {
            try {
                end_bulk(c);
            } catch (...) {
            }
            throw;
        }
        end_bulk(c);
    });
    return out;
}

std::optional<json> SqlStore::get_document(EntityKind kind, std::string_view id) {
    const auto& spec = table_spec(kind);
    std::optional<json> out;
    if (!is_uuid(id)) return out;
    with_conn([&](Connection& c) {
        const auto rows = c.query(fmt::format("SELECT doc FROM {} WHERE id = ?", quote(spec.table)), {std::string(id)});
        if (!rows.empty() && rows[0][0]) out = json::parse(*rows[0][0]);
    });
    return out;
}

json SqlStore::update_document(EntityKind kind, const json& input) {
    if (kind == EntityKind::audit_event) throw InvalidArgument("audit events are append-only");
    const auto& spec = table_spec(kind);
    json doc = normalize_document(kind, input);
    const auto id = doc.value("_id", std::string{});
    if (id.empty()) throw InvalidArgument("'_id' is required to update");
    with_tx([&](Connection& c) {
        const auto rows = c.query(fmt::format("SELECT seq, doc FROM {} WHERE id = ?", quote(spec.table)), {id});
        if (rows.empty() || !is_uuid(id))
            throw NotFound(fmt::format("{} '{}' not found", spec.table, id));
        const auto seq = to_int(rows[0][0]);
        const json old = json::parse(rows[0][1].value_or("{}"));
        if (!spec.created_field.empty()) {
            const std::string f(spec.created_field);
            if (doc.value(f, std::string{}).empty()) doc[f] = old.value(f, std::string{});
        }
        if (!spec.modified_field.empty()) doc[std::string(spec.modified_field)] = now_iso8601();
        std::string sets = "doc = ?";
        SqlParams params{doc.dump()};
        for (const auto& col : spec.columns) {
            sets += fmt::format(", {} = ?", quote(col.name));
            params.push_back(column_value(col, doc));
        }
        params.emplace_back(id);
        c.execute(fmt::format("UPDATE {} SET {} WHERE id = ?", quote(spec.table), sets), params);
        write_arrays(c, spec, doc, false);
        if (kind == EntityKind::dataset) {
            unindex_dataset(c, seq);
            index_dataset(c, seq, doc, false);
        }
    });
    return doc;
}

bool SqlStore::remove_document(EntityKind kind, std::string_view id) {
    if (kind == EntityKind::audit_event) throw InvalidArgument("audit events are append-only");
    if (!is_uuid(id)) return false;
    const auto& spec = table_spec(kind);
    bool removed = false;
    with_tx([&](Connection& c) {
        const auto rows = c.query(fmt::format("SELECT seq FROM {} WHERE id = ?", quote(spec.table)), {std::string(id)});
        if (rows.empty()) return;
        if (kind == EntityKind::dataset) unindex_dataset(c, to_int(rows[0][0]));
        removed = c.execute(fmt::format("DELETE FROM {} WHERE id = ?", quote(spec.table)), {std::string(id)}) > 0;
    });
    return removed;
}

Page<json> SqlStore::list_documents(EntityKind kind, const ListFilter& filter, const Paging& paging) {
    const auto& spec = table_spec(kind);
    std::string where = "1=1";
    SqlParams params;
    for (const auto& [field, value] : filter) {
        if (field == "_id") {
            where += " AND t.id = ?";
            params.emplace_back(value);
            continue;
        }
        const auto col = std::find_if(spec.columns.begin(), spec.columns.end(), [&name = field](const Column& c) { return c.name == name; });
        if (col != spec.columns.end()) {
            auto v = filter_value(*col, value);
            if (std::holds_alternative<std::nullptr_t>(v)) {
                where += fmt::format(" AND t.{} IS NULL", quote(col->name));
            } else {
                where += fmt::format(" AND t.{} = ?", quote(col->name));
                params.push_back(std::move(v));
            }
            continue;
        }
        if (std::find(spec.arrays.begin(), spec.arrays.end(), field) != spec.arrays.end()) {
            where += fmt::format(" AND EXISTS (SELECT 1 FROM {} a WHERE a.id = t.id AND a.value = ?)", array_table(spec, field));
            params.emplace_back(value);
            continue;
        }
        throw InvalidArgument(fmt::format("cannot filter {} on '{}'", spec.table, field));
    }
    Page<json> page;
    with_conn([&](Connection& c) {
        const auto n = c.query(fmt::format("SELECT COUNT(*) FROM {} t WHERE {}", quote(spec.table), where), params);
        page.total = static_cast<std::uint64_t>(to_int(n.at(0).at(0)));
        if (paging.limit == 0 || paging.offset >= page.total) return;
        auto p = params;
        p.emplace_back(static_cast<std::int64_t>(std::min<std::size_t>(paging.limit, 1'000'000)));
        p.emplace_back(static_cast<std::int64_t>(paging.offset));
        for (const auto& row : c.query(fmt::format("SELECT doc FROM {} t WHERE {} ORDER BY t.seq LIMIT ? OFFSET ?",
                                                   quote(spec.table), where),
                                       p))
            page.items.push_back(json::parse(row.at(0).value_or("{}")));
    });
    return page;
}

AuditEvent SqlStore::append_audit(AuditEvent event) {
    return create_document(EntityKind::audit_event, json(event)).get<AuditEvent>();
}

StorageUsage SqlStore::storage_used(std::string_view datastore) {
    StorageUsage u;
    with_conn([&](Connection& c) {
        for (const auto& row : c.query("SELECT storage_type, SUM(size) FROM stored_data WHERE datastore = ? AND status <> 'DELETED' "
                                       "GROUP BY storage_type",
                                       {std::string(datastore)}))
            u.data[row.at(0).value_or("")] += to_int(row.at(1));
        const auto up = c.query("SELECT SUM(size) FROM upload WHERE datastore = ? AND status <> 'DELETED'", {std::string(datastore)});
        u.upload = up.empty() ? 0 : to_int(up[0][0]);
    });
    return u;
}

// ---- search -------------------------------------------------------------------------------------

SearchSql SqlStore::search_conditions(const SearchQuery& q, bool with_text, const std::vector<std::string>& terms) {
    SearchSql s;
    s.where = "1=1";
    if (with_text && !terms.empty()) {
        s.where += " AND " + text_condition();
        s.params.emplace_back(text_parameter(terms));
    }
    if (q.bbox) {
        s.where += " AND ";
        bbox_condition(*q.bbox, s.where, s.params);
    }
    const std::pair<const char*, const std::vector<std::string>*> filters[] = {
        {"theme", &q.themes},     {"producer", &q.producers}, {"format", &q.formats},
        {"licence", &q.licences}, {"keyword", &q.keywords},   {"year", &q.years}};
    for (const auto& [facet, values] : filters) {
        if (values->empty()) continue;
        std::string marks;
        for (std::size_t i = 0; i < values->size(); ++i) marks += i ? ", ?" : "?";
        s.where += fmt::format(" AND EXISTS (SELECT 1 FROM dataset_facet f WHERE f.ds = d.seq AND f.facet = ? AND f.value IN ({}))", marks);
        s.params.emplace_back(std::string(facet));
        for (const auto& v : *values) s.params.emplace_back(v);
    }
    if (q.open_data) {
        s.where += " AND d.open_data = ?";
        s.params.emplace_back(std::int64_t{*q.open_data ? 1 : 0});
    }
    if (!q.datastore.empty()) {
        s.where += " AND d.datastore = ?";
        s.params.emplace_back(q.datastore);
    }
    if (q.sharing) {
        s.where += " AND d.sharing = ?";
        s.params.emplace_back(std::string(to_string(*q.sharing)));
    }
    return s;
}

void SqlStore::FacetCache::set(std::int64_t seq, const std::string& facet, const std::string& value) {
    std::string key = facet;
    key += '\0';
    key += value;
    auto [it, inserted] = ids.emplace(std::move(key), static_cast<std::uint32_t>(names.size()));
    if (inserted) names.emplace_back(facet, value);
    const auto i = static_cast<std::size_t>(seq);
    if (by_seq.size() <= i) by_seq.resize(std::max(i + 1, by_seq.size() * 2));
    by_seq[i].push_back(it->second);
}

std::uint64_t SqlStore::sql_facets(Connection& c, const SearchSql& all, const SearchQuery& q, SearchResult& out) {
    const auto n = c.query("SELECT COUNT(*) FROM dataset d WHERE " + all.where, all.params);
    const auto total = static_cast<std::uint64_t>(to_int(n.at(0).at(0)));
    if (!q.facets || total == 0) return total;
    for (const auto& row : c.query("SELECT f.facet, f.value, COUNT(*) FROM dataset_facet f WHERE f.ds IN "
                                   "(SELECT d.seq FROM dataset d WHERE " + all.where + ") GROUP BY f.facet, f.value",
                                   all.params))
        out.facets[row.at(0).value_or("")].push_back(
            FacetCount{row.at(1).value_or(""), static_cast<std::uint64_t>(to_int(row.at(2)))});
    return total;
}

/// `matches.where` is a complete SELECT of the matching seqs.
std::uint64_t SqlStore::cached_facets(Connection& c, const SearchSql& matches, const SearchQuery& q, SearchResult& out) {
    std::lock_guard lock(m_facets.mutex);
    auto& cache = m_facets;
    if (cache.last_change < 0) {
        const auto g = c.query("SELECT COALESCE(MAX(seq), 0) FROM dataset_change", {});
        cache.by_seq.clear();
        for (const auto& row : c.query("SELECT ds, facet, value FROM dataset_facet", {}))
            cache.set(to_int(row.at(0)), row.at(1).value_or(""), row.at(2).value_or(""));
        cache.last_change = to_int(g.at(0).at(0));
    } else {
        std::set<std::int64_t> changed;
        for (const auto& row : c.query("SELECT seq, ds FROM dataset_change WHERE seq > ? ORDER BY seq", {cache.last_change})) {
            cache.last_change = to_int(row.at(0));
            changed.insert(to_int(row.at(1)));
        }
        for (const auto seq : changed) {
            if (static_cast<std::size_t>(seq) < cache.by_seq.size()) cache.by_seq[static_cast<std::size_t>(seq)].clear();
            for (const auto& row : c.query("SELECT facet, value FROM dataset_facet WHERE ds = ?", {seq}))
                cache.set(seq, row.at(0).value_or(""), row.at(1).value_or(""));
        }
    }
    const auto seqs = c.query_int64(matches.where, matches.params);
    if (!q.facets || seqs.empty()) return seqs.size();
    std::vector<std::uint32_t> counts(cache.names.size(), 0);
    for (const auto seq : seqs) {
        const auto i = static_cast<std::size_t>(seq);
        if (i < cache.by_seq.size())
            for (const auto id : cache.by_seq[i]) ++counts[id];
    }
    for (std::size_t id = 0; id < counts.size(); ++id)
        if (counts[id]) out.facets[cache.names[id].first].push_back(FacetCount{cache.names[id].second, counts[id]});
    return seqs.size();
}

void SqlStore::load_index_rows(Connection& c, const std::string& where, const SqlParams& params) {
    const auto str = [](const SqlValue& v) -> std::optional<std::string> {
        if (const auto* s = std::get_if<std::string>(&v)) return *s;
        if (const auto* n = std::get_if<std::int64_t>(&v)) return std::to_string(*n);
        return std::nullopt;
    };
    const auto num = [](const SqlValue& v) {
        if (const auto* d = std::get_if<double>(&v)) return *d;
        if (const auto* n = std::get_if<std::int64_t>(&v)) return static_cast<double>(*n);
        return 0.0;
    };
    c.query_each("SELECT seq, id, datastore, modified, title_sort, west, south, east, north, open_data, sharing FROM dataset" +
                     (where.empty() ? std::string{} : " WHERE seq " + where),
                 params, [&](const std::vector<SqlValue>& v) {
                     SearchIndex::Row row;
                     row.seq = std::get<std::int64_t>(v.at(0));
                     row.id = str(v[1]).value_or("");
                     row.datastore = str(v[2]);
                     row.modified = str(v[3]);
                     row.title_sort = str(v[4]).value_or("");
                     if (!std::holds_alternative<std::nullptr_t>(v[5]) && !std::holds_alternative<std::nullptr_t>(v[6]) &&
                         !std::holds_alternative<std::nullptr_t>(v[7]) && !std::holds_alternative<std::nullptr_t>(v[8]))
                         row.bbox = GeoBox{num(v[5]), num(v[6]), num(v[7]), num(v[8])};
                     if (const auto* n = std::get_if<std::int64_t>(&v[9])) row.open_data = *n ? 1 : 0;
                     row.sharing = str(v[10]);
                     m_index.set_row(row);
                 });
    c.query_each("SELECT ds, facet, value FROM dataset_facet" + (where.empty() ? std::string{} : " WHERE ds " + where) +
                     " ORDER BY ds",
                 params, [&](const std::vector<SqlValue>& v) {
                     m_index.add_facet(std::get<std::int64_t>(v.at(0)), str(v[1]).value_or(""), str(v[2]).value_or(""));
                 });
    c.query_each(text_rows_sql() + (where.empty() ? std::string{} : " WHERE rowid " + where), params,
                 [&](const std::vector<SqlValue>& v) {
                     m_index.set_text(std::get<std::int64_t>(v.at(0)), str(v[1]).value_or(""), str(v[2]).value_or(""),
                                      str(v[3]).value_or(""));
                 });
}

void SqlStore::refresh_index(Connection& c) {
    std::unique_lock lock(m_index.mutex);
    std::vector<std::int64_t> changed;
    if (m_index.last_change >= 0) {
        std::int64_t last = m_index.last_change;
        for (const auto& row : c.query("SELECT seq, ds FROM dataset_change WHERE seq > ? ORDER BY seq", {m_index.last_change})) {
            last = to_int(row.at(0));
            changed.push_back(to_int(row.at(1)));
        }
        if (changed.empty()) return;
        std::sort(changed.begin(), changed.end());
        changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
        if (changed.size() > 20'000) m_index.last_change = -1;  // a bulk import: reloading is faster
        else m_index.last_change = last;
    }
    // One read snapshot: rows, facets and text of the same commit.
    c.exec_script("BEGIN");
    try {
        if (m_index.last_change < 0) {
            m_index.clear();
            const auto g = c.query("SELECT COALESCE(MAX(seq), 0) FROM dataset_change", {});
            load_index_rows(c, {}, {});
            m_index.last_change = to_int(g.at(0).at(0));
        } else {
            for (const auto seq : changed) {
                m_index.remove(seq);
                load_index_rows(c, "= ?", {seq});
            }
        }
        c.exec_script("COMMIT");
    } catch (...) {
        m_index.clear();  // reloaded by the next search
        try {
            c.exec_script("ROLLBACK");
        } catch (...) {
        }
        throw;
    }
}

SearchResult SqlStore::search(const SearchQuery& q) {
    if (auto problems = q.validate(); !problems.empty()) throw InvalidArgument(std::move(problems));
    const auto terms = analyze(q.text);
    SearchResult result;
    if (memory_search() && !current_tx()) {
        with_conn([&](Connection& c) {
            refresh_index(c);
            std::vector<SearchIndex::PageEntry> page;
            {
                std::shared_lock lock(m_index.mutex);
                result.total = m_index.search(q, terms, result.facets, page);
            }
            sort_facets(result, q);
            fetch_page(c, page, q.sort == SearchSort::relevance && !terms.empty(), result);
        });
        return result;
    }
    const auto all = search_conditions(q, true, terms);
    with_conn([&](Connection& c) {
        if (current_tx()) {
            result.total = sql_facets(c, all, q, result);
        } else {
            const bool text_only = !terms.empty() && all.params.size() == 1;  // no bbox, filter or datastore
            result.total = cached_facets(c,
                                         text_only ? SearchSql{text_match_sql(), all.params}
                                                   : SearchSql{"SELECT d.seq FROM dataset d WHERE " + all.where, all.params},
                                         q, result);
        }
        sort_facets(result, q);
        if (q.limit == 0 || q.offset >= result.total) return;
        std::vector<SqlRow> rows;
        if (q.sort == SearchSort::relevance && !terms.empty()) {
            const auto rest = search_conditions(q, false, terms);
            SqlParams p(relevance_text_parameters(), text_parameter(terms));
            p.insert(p.end(), rest.params.begin(), rest.params.end());
            p.emplace_back(static_cast<std::int64_t>(q.limit));
            p.emplace_back(static_cast<std::int64_t>(q.offset));
            rows = c.query(relevance_sql(rest.where), p);
        } else {
            const std::string order = q.sort == SearchSort::title
                                          ? fmt::format("d.title_sort{0} ASC, d.id{0} ASC", collate())
                                          : fmt::format("d.modified{0} DESC, d.id{0} ASC", collate());
            auto p = all.params;
            p.emplace_back(static_cast<std::int64_t>(q.limit));
            p.emplace_back(static_cast<std::int64_t>(q.offset));
            rows = c.query(fmt::format("SELECT d.seq, 0 FROM dataset d WHERE {} ORDER BY {} LIMIT ? OFFSET ?", all.where, order), p);
        }
        // Two phases: the ordering moves (seq, key) pairs only; the documents of the page come after.
        std::vector<SearchIndex::PageEntry> page;
        for (const auto& row : rows)
            page.emplace_back(to_int(row.at(0)), row.at(1) ? std::strtod(row.at(1)->c_str(), nullptr) : 0.0);
        fetch_page(c, page, false, result);
    });
    return result;
}

void SqlStore::sort_facets(SearchResult& result, const SearchQuery& q) {
    for (auto& [name, counts] : result.facets) {
        std::sort(counts.begin(), counts.end(), [](const FacetCount& a, const FacetCount& b) {
            return a.count != b.count ? a.count > b.count : a.value < b.value;
        });
        if (counts.size() > q.facet_limit) counts.resize(q.facet_limit);
    }
}

void SqlStore::fetch_page(Connection& c, const std::vector<std::pair<std::int64_t, double>>& page, bool text_scores,
                          SearchResult& result) {
    if (page.empty()) return;
    std::string marks;
    SqlParams seqs;
    for (const auto& [seq, score] : page) {
        marks += marks.empty() ? "?" : ", ?";
        seqs.emplace_back(seq);
    }
    std::unordered_map<std::int64_t, std::string> docs;
    for (auto& row : c.query("SELECT seq, doc FROM dataset WHERE seq IN (" + marks + ")", seqs))
        docs.emplace(to_int(row.at(0)), std::move(row.at(1)).value_or("{}"));
    for (const auto& [seq, score] : page) {
        const auto it = docs.find(seq);
        if (it == docs.end()) continue;  // removed since the match set was computed
        SearchHit hit;
        hit.dataset = json::parse(it->second).get<Dataset>();
        hit.score = score;
        if (text_scores) {
            // The SQL search reads the score as the database's text rendering of the double:
            // the same rendering, so that both paths return the same numbers.
            const auto r = c.query("SELECT ?", {score});
            hit.score = r.at(0).at(0) ? std::strtod(r[0][0]->c_str(), nullptr) : 0.0;
        }
        result.hits.push_back(std::move(hit));
    }
}

}  // namespace geoplex::catalog::detail
