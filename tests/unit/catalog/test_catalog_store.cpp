// One suite, two stores. Without GEOPLEX_CATALOG_STORE it runs on a fresh SQLite file per test
// case; tests/support/with_postgres.sh runs the same binary with GEOPLEX_CATALOG_STORE set to a
// private PostgreSQL instance. Test cases isolate themselves by datastore and unique names, so
// they share one database there.
//
// Search results are checked against a brute-force evaluation of the documented semantics
// (search.hpp) over the records the test inserted.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "geoplex/catalog/store.hpp"
#include "support/test_data.hpp"

using namespace geoplex::catalog;
using geoplex::InvalidArgument;
using nlohmann::json;

namespace {

struct StoreFixture {
    std::unique_ptr<geoplex::test::TempDir> dir;
    std::unique_ptr<Store> store;
    StoreFixture() {
        const char* uri = std::getenv("GEOPLEX_CATALOG_STORE");
        if (uri && *uri) {
            store = open_store(uri);
        } else {
            dir = std::make_unique<geoplex::test::TempDir>("geoplex-catalog");
            store = open_store("sqlite:" + (dir->path() / "catalog.sqlite").string());
        }
    }
};

/// Text with SQL metacharacters, LIKE wildcards, quotes, placeholders and non-ASCII.
const std::string k_nasty = "O'Brien \"q\" ; DROP TABLE upload; -- % _ \\ ? $1 :x Île-de-France 漢字 🚀 ' OR '1'='1";

std::string unique(const std::string& base) { return base + "-" + new_id().substr(0, 8); }

Datastore make_datastore(Store& s) {
    Datastore d;
    d.name = k_nasty;
    d.technical_name = unique("ds");
    return s.create(d);
}

/// create → get → update → get → list → remove → get, for one entity.
template <class T, class Mutate>
T crud(Store& s, T entity, const ListFilter& filter, Mutate mutate, bool remove = true) {
    const T created = s.create(entity);
    REQUIRE(is_uuid(created.id));
    auto got = s.get<T>(created.id);
    REQUIRE(got);
    CHECK(*got == created);
    T changed = created;
    mutate(changed);
    const T updated = s.update(changed);
    got = s.get<T>(created.id);
    REQUIRE(got);
    CHECK(*got == updated);
    const auto page = s.list<T>(filter);
    CHECK(std::any_of(page.items.begin(), page.items.end(), [&](const T& x) { return x.id == created.id; }));
    if (remove) {
        CHECK(s.template remove<T>(created.id));
        CHECK_FALSE(s.get<T>(created.id));
        CHECK_FALSE(s.template remove<T>(created.id));
    }
    return updated;
}

}  // namespace

TEST_CASE_METHOD(StoreFixture, "store: migrations and backend") {
    CHECK(store->schema_version() == 5);
    CHECK((store->backend() == "sqlite" || store->backend() == "postgresql"));
}

TEST_CASE_METHOD(StoreFixture, "store: CRUD of every entity with hostile text") {
    Store& s = *store;
    Organization org;
    org.technical_name = unique("org");
    org.name = k_nasty;
    org = crud(s, org, {{"technical_name", org.technical_name}}, [](Organization& o) { o.tags["k"] = k_nasty; }, false);

    Community com;
    com.technical_name = unique("com");
    com.organization = org.id;
    com.name = k_nasty;
    com = crud(s, com, {{"organization", org.id}}, [](Community& c) { c.contact = k_nasty; c.is_public = true; }, false);
    CHECK(s.list<Community>({{"public", "true"}, {"_id", com.id}}).total == 1);

    const Datastore ds = crud(s, Datastore{.name = "x", .technical_name = unique("ds"), .community = com.id},
                              {{"community", com.id}}, [](Datastore& d) {
                                  d.name = k_nasty;
                                  d.storages_data = {{StorageType::postgresql, "pg", 0, 10'000'000'000}};
                              }, false);

    User user;
    user.email = unique("u") + "@example.org";
    user.communities_member = {{com.id, {CommunityRight::upload}}};
    user = crud(s, user, {{"communities", com.id}}, [](User& u) { u.first_name = k_nasty; u.roles = {UserRole::producer}; }, false);

    ApiKey key;
    key.user = user.id;
    key.name = k_nasty;
    key.lookup = unique("lookup");
    key.secret_hash = "sha256$00$11";
    key = crud(s, key, {{"user", user.id}}, [](ApiKey& k) { k.referer = k_nasty; k.whitelist = {"10.0.0.0/8"}; }, false);
    REQUIRE(s.find_key_by_lookup(key.lookup));
    CHECK(s.find_key_by_lookup(key.lookup)->id == key.id);
    CHECK_FALSE(s.find_key_by_lookup("' OR 1=1 --"));

    Dataset dset;
    dset.datastore = ds.id;
    dset.title = k_nasty;
    dset.keywords = {k_nasty, "routes"};
    crud(s, dset, {{"datastore", ds.id}}, [](Dataset& d) { d.abstract = k_nasty; d.bbox = GeoBox{1, 2, 3, 4}; });

    Upload up;
    up.datastore = ds.id;
    up.name = k_nasty;
    up = crud(s, up, {{"datastore", ds.id}, {"status", "OPEN"}}, [](Upload& u) { u.status = UploadStatus::open; u.description = k_nasty; }, false);

    crud(s, CheckExecution{.upload = up.id, .check = k_nasty}, {{"upload", up.id}},
         [](CheckExecution& c) { c.status = CheckStatus::failure; c.logs = {k_nasty}; });

    StoredData sd;
    sd.datastore = ds.id;
    sd.name = k_nasty;
    sd.size = 1234;
    sd = crud(s, sd, {{"datastore", ds.id}, {"type", "VECTOR-DB"}}, [](StoredData& x) { x.srs = k_nasty; x.status = StoredDataStatus::generated; }, false);

    crud(s, ProcessingExecution{.datastore = ds.id, .processing = k_nasty, .input_uploads = {up.id}},
         {{"input_uploads", up.id}}, [&](ProcessingExecution& p) { p.output_stored_data = sd.id; p.status = ProcessingStatus::success; });

    Configuration cfg;
    cfg.datastore = ds.id;
    cfg.layer_name = unique("layer");
    cfg.name = k_nasty;
    cfg.used_stored_data = {sd.id};
    cfg = crud(s, cfg, {{"used_stored_data", sd.id}}, [](Configuration& c) { c.type_infos = R"({"title":"x'y"})"; }, false);

    Endpoint ep;
    ep.technical_name = unique("gpf-wfs");
    ep.name = k_nasty;
    ep = crud(s, ep, {{"technical_name", ep.technical_name}}, [](Endpoint& e) { e.open = false; e.urls = {{"WFS", k_nasty}}; }, false);

    Offering off;
    off.datastore = ds.id;
    off.configuration = cfg.id;
    off.endpoint = ep.id;
    off.layer_name = k_nasty;
    off = crud(s, off, {{"endpoint", ep.id}, {"available", "true"}}, [](Offering& o) { o.open = false; }, false);
    CHECK(s.list<Offering>({{"endpoint", ep.id}, {"open", "false"}}).total == 1);

    Permission perm;
    perm.datastore = ds.id;
    perm.licence = k_nasty;
    perm.offerings = {off.id};
    perm.beneficiaries = {user.id};
    perm = crud(s, perm, {{"users", user.id}, {"offerings", off.id}}, [](Permission& p) { p.only_oauth = true; }, false);

    crud(s, Access{.key = key.id, .permission = perm.id, .offering = off.id}, {{"key", key.id}}, [](Access&) {});
    crud(s, MapDocument{.owner = user.id, .name = k_nasty}, {{"owner", user.id}},
         [](MapDocument& m) { m.layers = R"([{"id":"a"}])"; m.sharing = Sharing::public_; });
    crud(s, Report{.author = user.id, .lon = 5.4, .lat = 43.3, .description = k_nasty}, {{"author", user.id}},
         [](Report& r) { r.status = ReportStatus::pending; r.comments = {{"u", "2026-01-01", k_nasty}}; });

    const auto ev = s.append_audit(AuditEvent{.actor = user.id, .action = "create", .entity = "upload", .entity_id = up.id, .detail = R"({"n":"'"})"});
    CHECK(is_uuid(ev.id));
    CHECK_FALSE(ev.time.empty());
    CHECK(s.require<AuditEvent>(ev.id) == ev);
    CHECK(s.list<AuditEvent>({{"entity_id", up.id}}).total == 1);
    CHECK_THROWS_AS(s.update(ev), InvalidArgument);
    CHECK_THROWS_AS(s.remove<AuditEvent>(ev.id), InvalidArgument);

    // The JSON document API gives the same records.
    const auto doc = s.get_document(EntityKind::offering, off.id);
    REQUIRE(doc);
    CHECK(doc->at("_id") == off.id);
    CHECK(doc->at("layer_name") == k_nasty);
    CHECK(doc->at("status") == "PUBLISHING");
}

TEST_CASE_METHOD(StoreFixture, "store: constraints and errors leave data untouched") {
    Store& s = *store;
    const auto ds = make_datastore(s);
    Datastore dup;
    dup.technical_name = ds.technical_name;
    CHECK_THROWS_AS(s.create(dup), Conflict);
    CHECK(s.list<Datastore>({{"technical_name", ds.technical_name}}).total == 1);

    // References must exist.
    CHECK_THROWS_AS(s.create(Upload{.datastore = new_id()}), Conflict);
    const auto up = s.create(Upload{.datastore = ds.id, .name = "u"});
    const auto chk = s.create(CheckExecution{.upload = up.id, .check = "standard"});
    // A referenced datastore cannot go; the upload can, and takes its checks with it.
    CHECK_THROWS_AS(s.remove<Datastore>(ds.id), Conflict);
    CHECK(s.get<Datastore>(ds.id));
    CHECK(s.get<Upload>(up.id));
    CHECK(s.remove<Upload>(up.id));
    CHECK_FALSE(s.get<CheckExecution>(chk.id));

    // Unique layer names across datastores.
    const auto ds2 = make_datastore(s);
    const auto layer = unique("layer");
    s.create(Configuration{.datastore = ds.id, .layer_name = layer});
    CHECK_THROWS_AS(s.create(Configuration{.datastore = ds2.id, .layer_name = layer}), Conflict);
    CHECK(s.list<Configuration>({{"layer_name", layer}}).total == 1);

    // Update of a missing entity, bad ids, bad filters.
    Upload ghost;
    ghost.id = new_id();
    ghost.datastore = ds.id;
    CHECK_THROWS_AS(s.update(ghost), NotFound);
    CHECK_FALSE(s.get<Upload>(ghost.id));
    CHECK_THROWS_AS(s.require<Upload>("'; DROP TABLE upload; --"), NotFound);
    Upload bad_id;
    bad_id.id = "not-a-uuid";
    bad_id.datastore = ds.id;
    CHECK_THROWS_AS(s.create(bad_id), InvalidArgument);
    CHECK_THROWS_AS(s.list<Upload>({{"password", "x"}}), InvalidArgument);
    CHECK_THROWS_AS(s.list<Upload>({{"size", "1; DROP"}}), InvalidArgument);
    CHECK(s.list<Upload>({{"name", "' OR '1'='1"}}).total == 0);
    CHECK_THROWS_AS(s.create_document(EntityKind::upload, json{{"datastore", ds.id}, {"status", "BOGUS"}}), InvalidArgument);
    CHECK_THROWS_AS(s.create_document(EntityKind::upload, json::array()), InvalidArgument);

    // Paging and counting.
    for (int i = 0; i < 7; ++i) s.create(Upload{.datastore = ds2.id, .name = std::to_string(i)});
    const auto p = s.list<Upload>({{"datastore", ds2.id}}, {2, 3});
    CHECK(p.total == 7);
    REQUIRE(p.items.size() == 3);
    CHECK(p.items[0].name == "2");  // creation order
    CHECK(p.items[2].name == "4");
    CHECK(s.list<Upload>({{"datastore", ds2.id}}, {0, 0}).items.empty());
}

TEST_CASE_METHOD(StoreFixture, "store: transactions commit, roll back and nest") {
    Store& s = *store;
    const auto ds = make_datastore(s);
    struct Boom {};
    CHECK_THROWS_AS(s.transaction([&](Store& t) {
                        t.create(Upload{.datastore = ds.id, .name = "a"});
                        t.create(Upload{.datastore = ds.id, .name = "b"});
                        throw Boom{};
                    }),
                    Boom);
    CHECK(s.list<Upload>({{"datastore", ds.id}}).total == 0);

    // A failing statement inside rolls back the earlier ones too.
    CHECK_THROWS_AS(s.transaction([&](Store& t) {
                        t.create(Upload{.datastore = ds.id, .name = "c"});
                        t.create(Upload{.datastore = new_id(), .name = "dangling"});
                    }),
                    Conflict);
    CHECK(s.list<Upload>({{"datastore", ds.id}}).total == 0);

    s.transaction([&](Store& t) {
        t.create(Upload{.datastore = ds.id, .name = "kept"});
        try {
            t.transaction([&](Store& inner) {
                inner.create(Upload{.datastore = ds.id, .name = "inner"});
                throw Boom{};
            });
        } catch (const Boom&) {
        }
        // Reads inside the transaction see its writes.
        CHECK(t.list<Upload>({{"datastore", ds.id}}).total == 1);
    });
    const auto all = s.list<Upload>({{"datastore", ds.id}});
    REQUIRE(all.total == 1);
    CHECK(all.items[0].name == "kept");

    // Searches inside a transaction see its datasets; after a rollback nobody does.
    SearchQuery q;
    q.datastore = ds.id;
    CHECK(s.search(q).total == 0);  // loads the facet cache outside any transaction
    CHECK_THROWS_AS(s.transaction([&](Store& t) {
                        t.create(Dataset{.datastore = ds.id, .title = "Brouillon", .themes = {"Sols"}});
                        const auto inside = t.search(q);
                        CHECK(inside.total == 1);
                        CHECK(inside.facets.at("theme") == std::vector<FacetCount>{{"Sols", 1}});
                        throw Boom{};
                    }),
                    Boom);
    const auto after = s.search(q);
    CHECK(after.total == 0);
    CHECK(after.facets.empty());
    s.create(Dataset{.datastore = ds.id, .title = "Définitif", .themes = {"Sols", "Agriculture"}});
    CHECK(s.search(q).facets.at("theme") == std::vector<FacetCount>{{"Agriculture", 1}, {"Sols", 1}});
}

TEST_CASE_METHOD(StoreFixture, "store: storage used per datastore") {
    Store& s = *store;
    const auto ds = make_datastore(s);
    s.create(StoredData{.datastore = ds.id, .size = 100, .storage_type = StorageType::postgresql});
    s.create(StoredData{.datastore = ds.id, .size = 50, .storage_type = StorageType::postgresql});
    s.create(StoredData{.datastore = ds.id, .status = StoredDataStatus::deleted, .size = 1000});
    s.create(StoredData{.datastore = ds.id, .size = 7, .storage_type = StorageType::s3});
    s.create(Upload{.datastore = ds.id, .size = 11});
    s.create(Upload{.datastore = ds.id, .status = UploadStatus::deleted, .size = 500});
    const auto u = s.storage_used(ds.id);
    CHECK(u.data.at("POSTGRESQL") == 150);
    CHECK(u.data.at("S3") == 7);
    CHECK(u.data_total() == 157);
    CHECK(u.upload == 11);
    CHECK(s.storage_used(new_id()).data_total() == 0);
}

TEST_CASE_METHOD(StoreFixture, "store: concurrent writers") {
    Store& s = *store;
    const auto ds = make_datastore(s);
    constexpr int threads = 4, per_thread = 40;
    std::atomic<int> failures{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            try {
                for (int i = 0; i < per_thread; ++i) {
                    auto up = s.create(Upload{.datastore = ds.id, .name = std::to_string(t) + ":" + std::to_string(i)});
                    up.status = UploadStatus::closed;
                    s.update(up);
                    if (i % 5 == 0)
                        s.transaction([&](Store& x) {
                            x.create(Dataset{.datastore = ds.id, .title = "concurrent " + std::to_string(t)});
                            x.create(StoredData{.datastore = ds.id, .size = 1});
                        });
                }
            } catch (...) {
                ++failures;
            }
        });
    for (auto& th : pool) th.join();
    CHECK(failures == 0);
    CHECK(s.list<Upload>({{"datastore", ds.id}, {"status", "CLOSED"}}).total == threads * per_thread);
    CHECK(s.list<Dataset>({{"datastore", ds.id}}).total == threads * per_thread / 5);
    CHECK(s.storage_used(ds.id).data_total() == threads * per_thread / 5);
    SearchQuery q;
    q.datastore = ds.id;
    q.text = "concurrent";
    CHECK(s.search(q).total == threads * per_thread / 5);
}

// ---- search against brute force ----------------------------------------------------------------

namespace {

const std::vector<std::string> k_words{"réseau",  "routier", "routes",    "forêt",   "Forêts",  "hydrographie",
                                       "cours",   "d'eau",   "bâtiments", "adresse", "parcelle", "cadastrales",
                                       "altitude", "relief", "Île",       "œuvre",   "école",   "écoles",
                                       "O'Brien", "50%",     "漢字",      "transport", "limites", "administratives"};
const std::vector<std::string> k_themes{"Transports", "Hydrographie", "Occupation du sol", "Bâtiments", "Adresses"};
const std::vector<std::string> k_producers{"IGN", "Cerema", "O'Reilly & Fils", "DGFiP"};
const std::vector<std::string> k_formats{"WMTS", "WFS", "TMS", "GeoPackage"};
const std::vector<std::string> k_licences{"etalab-2.0", "ODbL", ""};  // "" = no licence (not a facet value)

std::set<std::string> terms_of(const Dataset& d) {
    std::set<std::string> t;
    for (auto& x : analyze(d.title)) t.insert(x);
    for (auto& x : analyze(d.abstract)) t.insert(x);
    for (const auto& k : d.keywords)
        for (auto& x : analyze(k)) t.insert(x);
    return t;
}

bool any_in(const std::vector<std::string>& wanted, const std::vector<std::string>& have) {
    return std::any_of(wanted.begin(), wanted.end(),
                       [&](const std::string& w) { return std::find(have.begin(), have.end(), w) != have.end(); });
}

bool brute_match(const Dataset& d, const SearchQuery& q) {
    const auto want = analyze(q.text);
    if (!want.empty()) {
        const auto have = terms_of(d);
        for (const auto& w : want)
            if (!have.count(w)) return false;
    }
    if (q.bbox && (!d.bbox || !d.bbox->intersects(*q.bbox))) return false;
    if (!q.themes.empty() && !any_in(q.themes, d.themes)) return false;
    if (!q.formats.empty() && !any_in(q.formats, d.formats)) return false;
    if (!q.keywords.empty() && !any_in(q.keywords, d.keywords)) return false;
    if (!q.producers.empty() && !any_in(q.producers, {d.producer})) return false;
    if (!q.licences.empty() && !any_in(q.licences, {d.licence})) return false;
    if (!q.years.empty() && !any_in(q.years, {d.publication_date.substr(0, 4)})) return false;
    if (q.open_data && d.open_data != *q.open_data) return false;
    if (q.sharing && d.sharing != *q.sharing) return false;
    return d.datastore == q.datastore;
}

std::map<std::string, std::vector<FacetCount>> brute_facets(const std::vector<Dataset>& matches, std::size_t limit) {
    std::map<std::string, std::map<std::string, std::uint64_t>> counts;
    for (const auto& d : matches) {
        std::set<std::pair<std::string, std::string>> rows;
        for (const auto& t : d.themes) rows.emplace("theme", t);
        for (const auto& t : d.formats) rows.emplace("format", t);
        for (const auto& t : d.keywords) rows.emplace("keyword", t);
        if (!d.producer.empty()) rows.emplace("producer", d.producer);
        if (!d.licence.empty()) rows.emplace("licence", d.licence);
        if (d.publication_date.size() >= 4) rows.emplace("year", d.publication_date.substr(0, 4));
        for (const auto& [f, v] : rows) ++counts[f][v];
    }
    std::map<std::string, std::vector<FacetCount>> out;
    for (const auto& [f, values] : counts) {
        auto& list = out[f];
        for (const auto& [v, n] : values) list.push_back({v, n});
        std::sort(list.begin(), list.end(), [](const FacetCount& a, const FacetCount& b) {
            return a.count != b.count ? a.count > b.count : a.value < b.value;
        });
        if (list.size() > limit) list.resize(limit);
    }
    return out;
}

template <class V>
const auto& pick(std::mt19937& rng, const V& v) {
    return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)];
}

/// Searches inside a transaction take the SQL path (FTS5 bm25 / tsvector ranking in the
/// database); outside, the SQLite store plans in memory (search_index.cpp). Both must return the
/// same result: totals, facets, and the page with its ids and scores in order.
void check_same_as_sql(Store& s, const SearchQuery& q, const SearchResult& r) {
    SearchResult sql;
    s.transaction([&](Store& t) { sql = t.search(q); });
    CHECK(r.total == sql.total);
    CHECK(r.facets == sql.facets);
    REQUIRE(r.hits.size() == sql.hits.size());
    for (std::size_t i = 0; i < r.hits.size(); ++i) {
        INFO("hit " << i);
        CHECK(r.hits[i].dataset.id == sql.hits[i].dataset.id);
        CHECK(r.hits[i].score == sql.hits[i].score);
    }
}

/// A random sheet over the small vocabularies above (record `i` of a set: distinct, out-of-order
/// modification dates for i < 50; some titles repeat, to exercise id ties).
Dataset random_dataset(std::mt19937& rng, const Id& datastore, int i) {
    Dataset d;
    d.datastore = datastore;
    auto words = [&](int n) {
        std::string out;
        for (int k = 0; k < n; ++k) out += (k ? " " : "") + pick(rng, k_words);
        return out;
    };
    d.title = words(1 + static_cast<int>(rng() % 3));
    d.abstract = words(static_cast<int>(rng() % 6));
    for (int k = static_cast<int>(rng() % 3); k > 0; --k) d.keywords.push_back(pick(rng, k_words));
    for (int k = static_cast<int>(rng() % 3); k > 0; --k) d.themes.push_back(pick(rng, k_themes));
    for (int k = static_cast<int>(rng() % 3); k > 0; --k) d.formats.push_back(pick(rng, k_formats));
    d.producer = pick(rng, k_producers);
    d.licence = pick(rng, k_licences);
    d.publication_date = std::to_string(2015 + rng() % 10) + "-06-01";
    d.open_data = rng() % 2;
    d.sharing = static_cast<Sharing>(rng() % 3);
    if (rng() % 6) {
        const double w = -10 + static_cast<double>(rng() % 200) / 10.0, so = 40 + static_cast<double>(rng() % 100) / 10.0;
        d.bbox = GeoBox{w, so, w + static_cast<double>(rng() % 30) / 10.0, so + static_cast<double>(rng() % 30) / 10.0};
    }
    d.modified = "2025-01-01T00:00:" + std::to_string(10 + (i * 37) % 50) + "Z";
    return d;
}

}  // namespace

TEST_CASE_METHOD(StoreFixture, "store: search planner equals the SQL search") {
    Store& s = *store;
    const auto ds = make_datastore(s);
    const auto other = make_datastore(s);
    std::mt19937 rng(7);
    std::vector<Dataset> records;
    s.transaction([&](Store& t) {
        for (int i = 0; i < 400; ++i) {
            Dataset d;
            d.datastore = i % 10 == 0 ? other.id : ds.id;
            // A broad word in every abstract, a selective one in few titles; every 7th record is
            // a twin of the previous one (equal scores: ties broken by id).
            if (i % 7 == 6 && !records.empty()) {
                d = records.back();
                d.id.clear();
                d.file_identifier.clear();
            } else {
                d.title = pick(rng, k_words) + " " + pick(rng, k_words) + (i % 37 == 0 ? " cadastre" : "");
                d.abstract = "réseau " + pick(rng, k_words) + " " + pick(rng, k_words);
                d.keywords = {pick(rng, k_words)};
                d.themes = {pick(rng, k_themes)};
                d.formats = {pick(rng, k_formats)};
                d.producer = pick(rng, k_producers);
                d.licence = pick(rng, k_licences);
                d.publication_date = std::to_string(2015 + rng() % 10) + "-01-01";
                d.open_data = rng() % 2;
                if (rng() % 5) {
                    const double w = -5 + static_cast<double>(rng() % 100) / 10.0, so = 42 + static_cast<double>(rng() % 80) / 10.0;
                    d.bbox = GeoBox{w, so, w + 0.5, so + 0.3};
                }
                d.modified = "2025-02-0" + std::to_string(1 + rng() % 3) + "T00:00:00Z";  // many equal dates: id ties
            }
            records.push_back(t.create(d));
        }
    });
    auto both = [&](SearchQuery q) {
        INFO("text='" << q.text << "' sort=" << int(q.sort) << " offset=" << q.offset << " limit=" << q.limit);
        const auto r = s.search(q);
        check_same_as_sql(s, q, r);
        return r;
    };
    for (auto sort : {SearchSort::relevance, SearchSort::modified, SearchSort::title}) {
        // Broad text + selective filters.
        auto r = both({.text = "réseau", .themes = {k_themes[0]}, .years = {"2019", "2020"}, .datastore = ds.id, .sort = sort});
        CHECK(r.total > 0);
        both({.text = "réseau", .bbox = GeoBox{0, 45, 1, 46}, .open_data = true, .sort = sort, .limit = 50});
        both({.text = "reseaux cadastre", .sort = sort, .limit = 100});
        both({.text = "réseau réseau", .sort = sort, .limit = 30});  // a repeated term counts twice in bm25
        // Empty intersections: an unknown word, a filter value nobody has, disjoint filters.
        CHECK(both({.text = "réseau introuvablexyz", .sort = sort}).total == 0);
        CHECK(both({.text = "réseau", .producers = {"nobody"}, .sort = sort}).total == 0);
        CHECK(both({.themes = {k_themes[0]}, .licences = {"no-such-licence"}, .sort = sort}).total == 0);
        CHECK(both({.datastore = new_id(), .sort = sort}).total == 0);
        // Pagination at the end: the last partial page, exactly past the end, far past it.
        const auto all = both({.text = "réseau", .datastore = ds.id, .sort = sort, .limit = 1000});
        REQUIRE(all.total == all.hits.size());
        const std::size_t n = all.total;
        const auto last = both({.text = "réseau", .datastore = ds.id, .sort = sort, .offset = n - 3, .limit = 10});
        REQUIRE(last.hits.size() == 3);
        for (std::size_t i = 0; i < 3; ++i) CHECK(last.hits[i].dataset.id == all.hits[n - 3 + i].dataset.id);
        CHECK(both({.text = "réseau", .datastore = ds.id, .sort = sort, .offset = n}).hits.empty());
        CHECK(both({.text = "réseau", .datastore = ds.id, .sort = sort, .offset = n + 100}).total == n);
        // Pages put together are the whole ranking.
        std::vector<std::string> paged;
        for (std::size_t off = 0; off < n; off += 7)
            for (const auto& h : both({.text = "réseau", .datastore = ds.id, .sort = sort, .offset = off, .limit = 7}).hits)
                paged.push_back(h.dataset.id);
        REQUIRE(paged.size() == n);
        for (std::size_t i = 0; i < n; ++i) CHECK(paged[i] == all.hits[i].dataset.id);
        // No condition at all, and facets off.
        both({.sort = sort, .limit = 25});
        CHECK(both({.text = "réseau", .sort = sort, .facets = false}).facets.empty());
    }
    // Twins tie on relevance: the lower id comes first.
    const auto& twin = records[6];
    const auto ties = both({.text = twin.title, .datastore = twin.datastore, .limit = 1000});
    bool saw_tie = false;
    for (std::size_t i = 1; i < ties.hits.size(); ++i)
        if (ties.hits[i - 1].score == ties.hits[i].score) {
            saw_tie = true;
            CHECK(ties.hits[i - 1].dataset.id < ties.hits[i].dataset.id);
        }
    CHECK(saw_tie);
    // Writes after the index was loaded reach it (change log): update, remove, create.
    auto changed = records[1];
    changed.title = "unique" + new_id().substr(0, 8);
    changed.abstract = "";
    s.update(changed);
    CHECK(s.remove<Dataset>(records[2].id));
    s.create(Dataset{.datastore = ds.id, .title = "réseau neuf", .themes = {k_themes[0]}});
    CHECK(both({.text = changed.title}).total == 1);
    for (auto sort : {SearchSort::relevance, SearchSort::modified, SearchSort::title})
        both({.text = "réseau", .datastore = ds.id, .sort = sort, .limit = 1000});
    // A second store on the same database sees the first one's writes.
    if (s.backend() == std::string_view("sqlite") && dir) {
        auto s2 = open_store("sqlite:" + (dir->path() / "catalog.sqlite").string());
        CHECK(s2->search({.text = "réseau", .limit = 0}).total == s.search({.text = "réseau", .limit = 0}).total);
        s2->create(Dataset{.datastore = ds.id, .title = "réseau tiers"});
        both({.text = "réseau", .sort = SearchSort::relevance, .limit = 1000});
        CHECK(s.search({.text = "tiers"}).total == 1);
    }
}

TEST_CASE_METHOD(StoreFixture, "store: search matches a brute-force evaluation") {
    Store& s = *store;
    const auto ds = make_datastore(s);
    std::mt19937 rng(20261121);
    std::vector<Dataset> records;
    s.transaction([&](Store& t) {
        for (int i = 0; i < 240; ++i) records.push_back(t.create(random_dataset(rng, ds.id, i)));
    });

    auto compare = [&](SearchQuery q) {
        q.datastore = ds.id;
        std::vector<Dataset> expected;
        for (const auto& d : records)
            if (brute_match(d, q)) expected.push_back(d);
        INFO("text='" << q.text << "' themes=" << q.themes.size() << " bbox=" << bool(q.bbox) << " sort=" << int(q.sort));
        const auto r = s.search(q);
        CHECK(r.total == expected.size());
        CHECK(r.facets == brute_facets(expected, q.facet_limit));
        check_same_as_sql(s, q, r);
        if (q.sort == SearchSort::title) {
            std::sort(expected.begin(), expected.end(), [](const Dataset& a, const Dataset& b) {
                const auto fa = fold(a.title), fb = fold(b.title);
                return fa != fb ? fa < fb : a.id < b.id;
            });
        } else if (q.sort == SearchSort::modified || analyze(q.text).empty()) {
            std::sort(expected.begin(), expected.end(), [](const Dataset& a, const Dataset& b) {
                return a.modified != b.modified ? a.modified > b.modified : a.id < b.id;
            });
        }
        const bool exact_order = q.sort != SearchSort::relevance || analyze(q.text).empty();
        const std::size_t first = std::min(q.offset, expected.size());
        const std::size_t last = std::min(q.offset + q.limit, expected.size());
        REQUIRE(r.hits.size() == last - first);
        if (exact_order) {
            for (std::size_t i = first; i < last; ++i) CHECK(r.hits[i - first].dataset == expected[i]);
        } else {
            // Relevance: the full ranking holds exactly the matches, scores never increase,
            // equal scores are ordered by id.
            std::set<std::string> want;
            for (const auto& d : expected) want.insert(d.id);
            for (const auto& h : r.hits) CHECK(want.count(h.dataset.id));
            for (std::size_t i = 1; i < r.hits.size(); ++i) {
                CHECK(r.hits[i - 1].score >= r.hits[i].score);
                if (r.hits[i - 1].score == r.hits[i].score) CHECK(r.hits[i - 1].dataset.id < r.hits[i].dataset.id);
            }
        }
    };

    for (int i = 0; i < 150; ++i) {
        SearchQuery q;
        q.facet_limit = 1 + rng() % 6;
        if (rng() % 3) {
            q.text = pick(rng, k_words);
            if (rng() % 3 == 0) q.text += " " + pick(rng, k_words);
            if (rng() % 2) std::transform(q.text.begin(), q.text.end(), q.text.begin(), [](char c) {
                return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
            });
        }
        if (rng() % 4 == 0) {
            const double w = -10 + static_cast<double>(rng() % 200) / 10.0, so = 40 + static_cast<double>(rng() % 100) / 10.0;
            q.bbox = GeoBox{w, so, w + 3, so + 2};
        }
        if (rng() % 4 == 0) q.themes = {pick(rng, k_themes), pick(rng, k_themes)};
        if (rng() % 5 == 0) q.producers = {pick(rng, k_producers)};
        if (rng() % 5 == 0) q.formats = {pick(rng, k_formats)};
        if (rng() % 6 == 0) q.licences = {pick(rng, k_licences) + "", "ODbL"};
        q.licences.erase(std::remove(q.licences.begin(), q.licences.end(), ""), q.licences.end());
        if (rng() % 6 == 0) q.keywords = {pick(rng, k_words)};
        if (rng() % 6 == 0) q.years = {std::to_string(2015 + rng() % 10)};
        if (rng() % 6 == 0) q.open_data = rng() % 2;
        if (rng() % 5 == 0) q.sharing = static_cast<Sharing>(rng() % 3);
        q.sort = static_cast<SearchSort>(rng() % 3);
        q.offset = rng() % 3 == 0 ? rng() % 20 : 0;
        q.limit = 1 + rng() % 40;
        compare(q);
    }
    // The whole ranking for a relevance query (limit covers all matches).
    SearchQuery all;
    all.text = "routes";
    all.limit = 1000;
    compare(all);
}

TEST_CASE_METHOD(StoreFixture, "store: search semantics on hand-made records") {
    Store& s = *store;
    const auto ds = make_datastore(s);
    const auto a = s.create(Dataset{.datastore = ds.id, .title = "Réseau routier national", .abstract = "Les routes de France",
                                    .themes = {"Transports"}, .bbox = GeoBox{-5, 41, 10, 51}, .publication_date = "2024-03-01"});
    const auto b = s.create(Dataset{.datastore = ds.id, .title = "Forêts publiques", .abstract = "Massifs forestiers et réseau de chemins ROUTIERS",
                                    .themes = {"Occupation du sol"}, .publication_date = "2023-01-01"});
    const auto c = s.create(Dataset{.datastore = ds.id, .title = "Bâtiments", .keywords = {"ROUTIERS"}, .bbox = GeoBox{5, 43, 6, 44}});
    auto ids = [&](SearchQuery q) {
        q.datastore = ds.id;
        q.limit = 100;
        std::vector<std::string> out;
        for (const auto& h : s.search(q).hits) out.push_back(h.dataset.id);
        std::sort(out.begin(), out.end());
        return out;
    };
    auto sorted = [](std::vector<std::string> v) {
        std::sort(v.begin(), v.end());
        return v;
    };
    // Folding and stemming: "RESEAUX" finds "Réseau"; "routiers" finds "routier", "ROUTIERS" and the keyword.
    CHECK(ids({.text = "RESEAUX"}) == sorted({a.id, b.id}));
    CHECK(ids({.text = "routiers"}) == sorted({a.id, b.id, c.id}));
    CHECK(ids({.text = "foret"}) == sorted({b.id}));
    CHECK(ids({.text = "de la les"}) == sorted({a.id, b.id, c.id}));  // only stop words: no text condition
    CHECK(ids({.text = "réseau bâtiments"}).empty());                 // AND
    CHECK(ids({.text = "\"'; DROP TABLE dataset; --"}).empty());
    CHECK(ids({.bbox = GeoBox{5.5, 43.5, 7, 45}}) == sorted({a.id, c.id}));
    CHECK(ids({.bbox = GeoBox{10, 51, 11, 52}}) == sorted({a.id}));  // touching corners intersect
    CHECK(ids({.themes = {"Transports", "Occupation du sol"}}) == sorted({a.id, b.id}));
    CHECK(ids({.years = {"2023"}}) == sorted({b.id}));
    // Title weighs more than abstract.
    SearchQuery rel{.text = "réseau", .datastore = ds.id};
    const auto r = s.search(rel);
    REQUIRE(r.hits.size() == 2);
    CHECK(r.hits[0].dataset.id == a.id);
    CHECK(r.hits[0].score > r.hits[1].score);
    // Updates and removals reach the index.
    auto b2 = b;
    b2.title = "Bâtiments remarquables";
    s.update(b2);
    CHECK(ids({.text = "foret"}).empty());  // the old title left the index
    CHECK(ids({.text = "remarquable"}) == sorted({b.id}));
    CHECK(s.remove<Dataset>(c.id));
    CHECK(ids({.text = "routiers"}) == sorted({a.id, b.id}));
    CHECK(s.search({.datastore = ds.id}).facets.at("theme").size() == 2);
    // Catalogue-wide text search (no other condition: the FTS-only match path).
    const std::string token = "jeton" + new_id().substr(0, 8);
    s.create(Dataset{.datastore = ds.id, .title = "Carte " + token, .themes = {"Sols"}});
    s.create(Dataset{.datastore = ds.id, .title = "Plan", .abstract = "voir " + token, .themes = {"Sols", "Agriculture"}});
    const auto wide = s.search({.text = token});
    CHECK(wide.total == 2);
    REQUIRE(wide.hits.size() == 2);
    CHECK(wide.hits[0].dataset.title == "Carte " + token);  // title outranks abstract
    CHECK(wide.facets.at("theme") == std::vector<FacetCount>{{"Sols", 2}, {"Agriculture", 1}});
    CHECK_THROWS_AS(s.search({.bbox = GeoBox{10, 0, 0, 1}}), InvalidArgument);
    CHECK_THROWS_AS(s.search({.limit = 100000}), InvalidArgument);
    CHECK_THROWS_AS(s.search({.licences = {""}}), InvalidArgument);
}

// ---- bulk import ---------------------------------------------------------------------------------

TEST_CASE_METHOD(StoreFixture, "store: bulk import stores and finds exactly what create() does") {
    Store& s = *store;
    const auto one = make_datastore(s);   // record by record
    const auto bulk = make_datastore(s);  // import_many
    std::mt19937 rng(20261122);
    std::vector<Dataset> input;
    for (int i = 0; i < 300; ++i) {
        auto d = random_dataset(rng, one.id, i);
        d.created = "2024-05-0" + std::to_string(1 + i % 9) + "T10:00:00Z";
        d.modified = "2025-02-01T" + std::to_string(10 + i / 60) + ":" + std::to_string(10 + i % 50) + ":00Z";
        input.push_back(d);
    }
    std::vector<Dataset> created;
    s.transaction([&](Store& t) {
        for (const auto& d : input) created.push_back(t.create(d));
    });
    std::vector<Dataset> to_import = input;
    for (auto& d : to_import) d.datastore = bulk.id;
    // Two calls: the second imports into a catalogue that already has rows (and a loaded index).
    (void)s.search({.datastore = bulk.id});
    const std::vector<Dataset> first(to_import.begin(), to_import.begin() + 120), second(to_import.begin() + 120, to_import.end());
    auto r1 = s.import_many(first);
    const auto r2 = s.import_many(second);
    CHECK(r1.problems.empty());
    CHECK(r2.problems.empty());
    CHECK(r1.imported() == 120);
    CHECK(r2.imported() == 180);
    std::vector<Id> ids = r1.ids;
    ids.insert(ids.end(), r2.ids.begin(), r2.ids.end());
    REQUIRE(ids.size() == input.size());

    // Same stored documents (read back through the store's API), apart from id and datastore,
    // and the same creation order in list().
    std::map<Id, std::size_t> index_of;  // id of either copy → input position
    const auto listed = s.list<Dataset>({{"datastore", bulk.id}}, {0, 1000});
    REQUIRE(listed.total == input.size());
    for (std::size_t i = 0; i < input.size(); ++i) {
        INFO("record " << i);
        REQUIRE(is_uuid(ids[i]));
        auto got = s.require<Dataset>(ids[i]);
        CHECK(listed.items[i] == got);
        CHECK(got.datastore == bulk.id);
        got.id = created[i].id;
        got.datastore = one.id;
        CHECK(got == created[i]);
        index_of[ids[i]] = i;
        index_of[created[i].id] = i;
    }
    // Same search results: totals and facets, and the same records with the same scores (ties
    // may order differently: they are broken by the ids, which differ), both equal to a
    // brute-force evaluation over the input.
    auto run = [&](SearchQuery q, const Id& ds) {
        q.datastore = ds;
        q.limit = 1000;
        const auto r = s.search(q);
        check_same_as_sql(s, q, r);
        std::vector<std::pair<std::size_t, double>> hits;
        for (const auto& h : r.hits) hits.emplace_back(index_of.at(h.dataset.id), h.score);
        std::sort(hits.begin(), hits.end());
        return std::make_tuple(r.total, r.facets, hits);
    };
    for (int i = 0; i < 60; ++i) {
        SearchQuery q;
        if (rng() % 4) q.text = pick(rng, k_words);
        if (rng() % 4 == 0) q.themes = {pick(rng, k_themes)};
        if (rng() % 5 == 0) q.bbox = GeoBox{-5, 42, 5, 48};
        if (rng() % 6 == 0) q.open_data = rng() % 2;
        q.sort = static_cast<SearchSort>(rng() % 3);
        INFO("text='" << q.text << "'");
        const auto a = run(q, one.id), b = run(q, bulk.id);
        CHECK(a == b);
        q.datastore = one.id;
        std::vector<Dataset> expected;
        for (const auto& d : created)
            if (brute_match(d, q)) expected.push_back(d);
        CHECK(std::get<0>(b) == expected.size());
        CHECK(std::get<1>(b) == brute_facets(expected, q.facet_limit));
    }
    // Other kinds: array side tables are written too (list() filters on them).
    Community c = s.create(Community{.name = "c", .technical_name = unique("c")});
    const auto users = s.import_many(std::vector<User>{
        {.email = unique("a") + "@x.fr", .communities_member = {{.community = c.id}}},
        {.email = unique("b") + "@x.fr"}});
    CHECK(users.problems.empty());
    const auto members = s.list<User>({{"communities", c.id}});
    REQUIRE(members.total == 1);
    CHECK(members.items[0].id == users.ids[0]);
}

TEST_CASE_METHOD(StoreFixture, "store: bulk import refuses bad records and keeps the rest") {
    Store& s = *store;
    const auto ds = make_datastore(s);
    const auto existing = s.create(Dataset{.datastore = ds.id, .file_identifier = unique("FR-EXIST"), .title = "Déjà là"});
    const auto fid = unique("FR-BATCH");
    std::vector<Dataset> batch(8);
    for (std::size_t i = 0; i < batch.size(); ++i) {
        batch[i].datastore = ds.id;
        batch[i].title = "Lot import numéro " + std::to_string(i);
        batch[i].themes = {"Hydrographie"};
    }
    batch[0].file_identifier = fid;
    batch[1].id = existing.id;                  // id taken
    batch[3].id = "not-a-uuid";                 // bad id
    batch[4].datastore = new_id();              // referenced datastore missing
    batch[5].file_identifier = fid;             // unique field taken by record 0 of the same batch
    batch[6].file_identifier = existing.file_identifier;  // … and by a stored record
    const auto r = s.import_many(batch);
    REQUIRE(r.problems.size() == 5);
    const std::vector<std::size_t> refused{1, 3, 4, 5, 6};
    for (std::size_t k = 0; k < refused.size(); ++k) {
        INFO("problem " << k << ": " << r.problems[k].message);
        CHECK(r.problems[k].index == refused[k]);
        CHECK(r.problems[k].id == batch[refused[k]].id);
        CHECK(r.problems[k].code == geoplex::errc::invalid_argument);
        CHECK_FALSE(r.problems[k].message.empty());
        CHECK(r.ids[refused[k]].empty());
    }
    CHECK(r.imported() == 3);
    for (std::size_t i : {0, 2, 7}) {
        REQUIRE(is_uuid(r.ids[i]));
        CHECK(s.require<Dataset>(r.ids[i]).title == batch[i].title);
    }
    // The stored record is untouched; the valid ones are searchable, the refused ones nowhere.
    CHECK(s.require<Dataset>(existing.id).title == "Déjà là");
    const auto found = s.search({.text = "lot import", .datastore = ds.id, .limit = 100});
    CHECK(found.total == 3);
    CHECK(found.facets.at("theme") == std::vector<FacetCount>{{"Hydrographie", 3}});
    check_same_as_sql(s, {.text = "lot import", .datastore = ds.id, .limit = 100}, found);
    CHECK(s.list<Dataset>({{"datastore", ds.id}}).total == 4);

    // Documents: invalid ones are refused with the validation error, at their input position.
    const auto d = s.import_documents(EntityKind::dataset,
                                      {json{{"datastore", ds.id}, {"title", "Lot import document"}}, json::array(),
                                       json{{"datastore", ds.id}, {"title", 12}}, json{{"datastore", ds.id}, {"sharing", "EVERYONE"}}});
    REQUIRE(d.problems.size() == 3);
    CHECK(d.problems[0].index == 1);
    CHECK(d.problems[1].index == 2);
    CHECK(d.problems[2].index == 3);
    CHECK(d.imported() == 1);
    CHECK(s.search({.text = "lot import", .datastore = ds.id}).total == 4);

    // Inside a transaction that rolls back, an import leaves nothing.
    CHECK_THROWS_AS(s.transaction([&](Store& t) {
                        CHECK(t.import_many(std::vector<Dataset>{{.datastore = ds.id, .title = "Lot import annulé"}}).imported() == 1);
                        throw InvalidArgument("abandon");
                    }),
                    InvalidArgument);
    CHECK(s.search({.text = "annulé", .datastore = ds.id}).total == 0);
}

TEST_CASE_METHOD(StoreFixture, "store: bulk import over several prepared chunks keeps positions and refusals; a failure undoes all") {
    // 200 records: the import prepares them on a second thread in 8 chunks of 25; the refused
    // records sit in different chunks, at chunk edges and at the very end.
    Store& s = *store;
    const auto ds = make_datastore(s);
    const auto existing = s.create(Dataset{.datastore = ds.id, .title = "Déjà là"});
    std::vector<Dataset> batch(200);
    for (std::size_t i = 0; i < batch.size(); ++i) {
        batch[i].datastore = ds.id;
        batch[i].title = "Morceau numéro " + std::to_string(i);
        batch[i].keywords = {"clé" + std::to_string(i % 7)};
        batch[i].themes = {i % 2 ? "Sols" : "Hydrographie"};
    }
    const auto given = new_id();
    batch[17].id = "pas-un-uuid";
    batch[24].id = existing.id;      // last of chunk 1: id taken
    batch[25].id = given;            // first of chunk 2
    batch[26].id = given;            // the same id again
    batch[150].datastore = new_id();  // referenced datastore missing
    batch[199].id = "x";
    const auto r = s.import_many(batch);
    const std::vector<std::size_t> refused{17, 24, 26, 150, 199};
    REQUIRE(r.problems.size() == refused.size());
    for (std::size_t k = 0; k < refused.size(); ++k) {
        INFO("problem " << k << ": " << r.problems[k].message);
        CHECK(r.problems[k].index == refused[k]);
        CHECK(r.problems[k].id == batch[refused[k]].id);
        CHECK(r.ids[refused[k]].empty());
    }
    CHECK(r.imported() == 195);
    CHECK(r.ids[25] == given);
    std::size_t themed = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (std::find(refused.begin(), refused.end(), i) != refused.end()) continue;
        INFO("record " << i);
        REQUIRE(is_uuid(r.ids[i]));
        const auto got = s.require<Dataset>(r.ids[i]);
        CHECK(got.title == batch[i].title);
        CHECK(got.keywords == batch[i].keywords);
        themed += i % 2;
    }
    // In input order, searchable, with the facets of the imported records only.
    const auto listed = s.list<Dataset>({{"datastore", ds.id}}, {0, 1000});
    REQUIRE(listed.total == 196);
    for (std::size_t k = 1, i = 0; k < listed.items.size(); ++k, ++i) {
        while (r.ids[i].empty()) ++i;
        CHECK(listed.items[k].id == r.ids[i]);
    }
    const auto found = s.search({.text = "morceau", .datastore = ds.id, .limit = 1000});
    CHECK(found.total == 195);
    check_same_as_sql(s, {.text = "morceau", .datastore = ds.id, .limit = 1000}, found);
    CHECK(themed == 98);  // odd positions: 100, less 17 and 199; even: 100, less 24, 26, 150
    CHECK(found.facets.at("theme") == std::vector<FacetCount>{{"Sols", 98}, {"Hydrographie", 97}});

    // A record create() fails on (not a refusal: invalid UTF-8 cannot be stored as JSON text)
    // aborts the whole call, wherever it is: nothing of the batch is kept.
    std::vector<Dataset> doomed(200);
    for (std::size_t i = 0; i < doomed.size(); ++i) doomed[i] = Dataset{.datastore = ds.id, .title = "Perdu " + std::to_string(i)};
    doomed[130].title = "Perdu \xff\xfe";
    CHECK_THROWS(s.create(doomed[130]));
    CHECK_THROWS(s.import_many(doomed));
    CHECK(s.list<Dataset>({{"datastore", ds.id}}).total == 196);
    CHECK(s.search({.text = "perdu", .datastore = ds.id}).total == 0);
}

TEST_CASE("store: SQLite file reopens with its data and schema") {
    if (const char* uri = std::getenv("GEOPLEX_CATALOG_STORE"); uri && *uri) return;  // SQLite only
    geoplex::test::TempDir dir("geoplex-catalog");
    const auto path = (dir.path() / "c.sqlite").string();
    Id id;
    {
        auto s = open_store(path);
        id = s->create(Organization{.name = "Île", .technical_name = "ile"}).id;
    }
    auto s = open_store("sqlite:" + path);
    CHECK(s->schema_version() == 5);
    CHECK(s->require<Organization>(id).name == "Île");
    CHECK_THROWS_AS(open_store(""), InvalidArgument);
}
