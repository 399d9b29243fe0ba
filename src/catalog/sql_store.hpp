#pragma once
// SqlStore: everything the SQLite and PostgreSQL stores share (connection pool, transactions,
// migrations, CRUD over the schema of schema.hpp, search query building). A dialect subclass
// provides connections and the few statements that differ (full text, bbox, types).

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "geoplex/catalog/store.hpp"
#include "schema.hpp"
#include "search_index.hpp"
#include "sql.hpp"

namespace geoplex::catalog::detail {

/// `path` is a file path or ":memory:".
[[nodiscard]] std::unique_ptr<Store> open_sqlite_store(const std::string& path);
/// `conninfo` is a libpq URI or key=value string.
[[nodiscard]] std::unique_ptr<Store> open_postgres_store(const std::string& conninfo);

/// What the search needs from a dialect, filled in once per query.
/// A dataset's full-text and spatial entry (analyze()d terms separated by spaces).
struct TextRow {
    std::int64_t seq = 0;
    std::optional<GeoBox> bbox;
    std::string title, keywords, abstract;
};

struct SearchSql {
    std::string where;   ///< conditions on dataset d ("1=1" when none)
    SqlParams params;
};

class SqlStore : public Store {
public:
    explicit SqlStore(std::size_t max_connections) : m_max_connections(max_connections) {}
    ~SqlStore() override = default;

    nlohmann::json create_document(EntityKind kind, const nlohmann::json& doc) override;
    nlohmann::json create_normalized_document(EntityKind kind, const nlohmann::json& doc) override;
    ImportResult import_normalized_documents(EntityKind kind, std::vector<nlohmann::json> docs) override;
    std::optional<nlohmann::json> get_document(EntityKind kind, std::string_view id) override;
    nlohmann::json update_document(EntityKind kind, const nlohmann::json& doc) override;
    bool remove_document(EntityKind kind, std::string_view id) override;
    Page<nlohmann::json> list_documents(EntityKind kind, const ListFilter& filter, const Paging& paging) override;
    void transaction(const std::function<void(Store&)>& fn) override;
    SearchResult search(const SearchQuery& query) override;
    AuditEvent append_audit(AuditEvent event) override;
    StorageUsage storage_used(std::string_view datastore) override;
    int schema_version() override;

protected:
    // ---- dialect ----
    [[nodiscard]] virtual std::unique_ptr<Connection> connect() = 0;
    [[nodiscard]] virtual std::string begin_statement() const = 0;
    /// Serialises concurrent migrations inside the migration transaction ("" = BEGIN does it).
    [[nodiscard]] virtual std::string migration_lock() const = 0;
    [[nodiscard]] virtual std::string seq_column() const = 0;
    [[nodiscard]] virtual std::string sql_type(ColumnType t) const = 0;
    [[nodiscard]] virtual std::string real_type() const = 0;
    /// Appended to ORDER BY text expressions so both stores sort by bytes.
    [[nodiscard]] virtual std::string collate() const = 0;
    /// Creates the dialect's full-text and spatial structures (migration step 2).
    virtual void create_search_schema(Connection& c) = 0;
    virtual void index_text(Connection& c, std::int64_t seq, const std::optional<GeoBox>& bbox, const std::string& title_terms,
                            const std::string& keyword_terms, const std::string& abstract_terms) = 0;
    virtual void unindex_text(Connection& c, std::int64_t seq) = 0;
    /// The text-match parameter for `terms` (an FTS5 MATCH expression, a plainto_tsquery text).
    [[nodiscard]] virtual std::string text_parameter(const std::vector<std::string>& terms) const = 0;
    /// Condition restricting d to datasets matching the text parameter (one '?').
    [[nodiscard]] virtual std::string text_condition() const = 0;
    /// The seqs of the datasets matching the text parameter (one '?'), for queries with no other condition.
    [[nodiscard]] virtual std::string text_match_sql() const = 0;
    virtual void bbox_condition(const GeoBox& b, std::string& sql, SqlParams& params) = 0;
    /// Serialises dataset writers until commit so change-log numbers commit in order ("" = the
    /// write transaction already does).
    [[nodiscard]] virtual std::string dataset_write_lock() const = 0;
    /// SELECT of (seq, score) rows matching the text parameter and `where`, best first, ties by
    /// id, ending in "LIMIT ? OFFSET ?"; its first relevance_text_parameters() '?' are the text
    /// parameter, then come those of `where`.
    [[nodiscard]] virtual std::string relevance_sql(const std::string& where) const = 0;
    [[nodiscard]] virtual std::size_t relevance_text_parameters() const = 0;
    /// True when a failed statement aborts the whole transaction (PostgreSQL): a bulk import then
    /// wraps each record in a savepoint. False (SQLite): a failed statement undoes only itself.
    [[nodiscard]] virtual bool failed_statement_aborts_transaction() const = 0;
    /// Connection settings for the duration of a bulk import (inside its transaction), and back.
    virtual void begin_bulk(Connection&) {}
    virtual void end_bulk(Connection&) {}
    /// True when searches outside transactions run on the in-memory SearchIndex (its bm25 is
    /// FTS5's: SQLite only); false = the SQL search.
    [[nodiscard]] virtual bool memory_search() const { return false; }
    /// SELECT of (seq, title, keywords, abstract) full-text rows (memory_search() only); the
    /// index appends " WHERE rowid = ?" for one row.
    [[nodiscard]] virtual std::string text_rows_sql() const { return {}; }

    /// Creates or upgrades the schema; subclasses call it at the end of their constructor.
    void migrate();

    /// Runs fn(connection) inside a transaction (a savepoint when the thread already has one).
    void with_tx(const std::function<void(Connection&)>& fn);
    /// Runs fn(connection) on the thread's transaction connection or a pooled one.
    void with_conn(const std::function<void(Connection&)>& fn);

private:
    struct ThreadTx {
        Connection* conn = nullptr;
        int depth = 0;
    };
    std::unique_ptr<Connection> acquire();
    void release(std::unique_ptr<Connection> c);
    ThreadTx* current_tx();

    /// A dataset's facet rows and analysed text, computed from its document alone.
    struct DatasetIndexRows {
        std::vector<std::pair<std::string, std::string>> facets;
        TextRow text;  ///< seq set when written
    };
    /// Everything an insert writes, computed from the (stamped) document alone, without a
    /// connection: a bulk import prepares records on a second thread while this one writes.
    struct PreparedInsert {
        SqlParams row;                                 ///< insert_sql() parameters (row[0]: the id)
        std::vector<std::vector<std::string>> arrays;  ///< distinct values, per spec.arrays
        DatasetIndexRows index;                        ///< datasets only
    };
    [[nodiscard]] static PreparedInsert prepare_insert(const TableSpec& spec, const nlohmann::json& doc);
    [[nodiscard]] static DatasetIndexRows prepare_index(const nlohmann::json& doc);

    void insert_row(Connection& c, const TableSpec& spec, const nlohmann::json& doc);
    /// The entity's row alone (the only statement of an insert a constraint can refuse); returns its seq.
    std::int64_t insert_entity_row(Connection& c, const TableSpec& spec, const PreparedInsert& p);
    /// The rest of an insert: array side rows, and for datasets the search structures and change log.
    /// `deferred_text`: the full-text / spatial entry is appended there instead of written.
    void finish_insert(Connection& c, const TableSpec& spec, PreparedInsert& p, std::int64_t seq,
                       std::vector<TextRow>* deferred_text = nullptr);
    void write_index(Connection& c, std::int64_t seq, DatasetIndexRows& rows, std::vector<TextRow>* deferred_text);
    void write_arrays(Connection& c, const TableSpec& spec, const nlohmann::json& doc, bool fresh);
    void log_dataset_change(Connection& c, std::int64_t seq);
    /// Facet counts of the match set from the in-memory facet columns (brought up to date from
    /// the change log first); returns the match count.
    std::uint64_t cached_facets(Connection& c, const SearchSql& matches, const SearchQuery& q, SearchResult& out);
    /// The same with one GROUP BY (used inside transactions, whose uncommitted rows the cache
    /// must not see).
    std::uint64_t sql_facets(Connection& c, const SearchSql& all, const SearchQuery& q, SearchResult& out);
    void index_dataset(Connection& c, std::int64_t seq, const nlohmann::json& doc, bool fresh,
                       std::vector<TextRow>* deferred_text = nullptr);
    void unindex_dataset(Connection& c, std::int64_t seq);
    /// Brings m_index up to date with the database (full load the first time, then the change log).
    void refresh_index(Connection& c);
    static void sort_facets(SearchResult& result, const SearchQuery& q);
    /// Reads the documents of the page (seq, score) into result.hits; `text_scores`: scores go
    /// through the database's text rendering like those of the SQL relevance query.
    void fetch_page(Connection& c, const std::vector<std::pair<std::int64_t, double>>& page, bool text_scores,
                    SearchResult& result);
    void load_index_rows(Connection& c, const std::string& where, const SqlParams& params);
    SearchSql search_conditions(const SearchQuery& q, bool with_text, const std::vector<std::string>& terms);

    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::vector<std::unique_ptr<Connection>> m_idle;
    std::size_t m_open = 0;
    std::size_t m_max_connections;
    std::unordered_map<std::thread::id, ThreadTx> m_tx;

    /// Facet values of every dataset, by dataset seq, as ids into `names`: counting facets over a
    /// match set is then a pass over its seqs instead of a join per match. Kept in step with the
    /// database (all processes and replicas) through the dataset_change log.
    struct FacetCache {
        std::mutex mutex;
        std::int64_t last_change = -1;  ///< -1 = not loaded
        std::unordered_map<std::string, std::uint32_t> ids;  ///< facet + '\0' + value → id
        std::vector<std::pair<std::string, std::string>> names;
        std::vector<std::vector<std::uint32_t>> by_seq;
        void set(std::int64_t seq, const std::string& facet, const std::string& value);
    } m_facets;

    SearchIndex m_index;  ///< memory_search() stores
};

}  // namespace geoplex::catalog::detail
