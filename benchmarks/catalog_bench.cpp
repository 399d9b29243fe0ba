// Catalog store benchmark (plain timed driver printing JSON): bulk import of N synthetic datasets
// (src/catalog/synthetic.hpp) through Store::import_many() in batches of 50 000 (--create: one
// create() per record in transactions of the batch size, the path before import_many), then a
// deterministic mix of searches with facets. Reports wall-clock and thread CPU time per query
// (the machine is shared: CPU time is the load-independent figure).
//
//   catalog_bench [--n 1000000] [--queries 1000] [--uri sqlite:/tmp/catalog_bench.sqlite] [--skip-import] [--verify 30]
//                 [--batch 50000] [--create]
//
// --verify V: the first V timed queries are also run inside a transaction (the SQL search path)
// and compared with the in-memory planner (totals, facets, page ids and scores); the comparison
// is outside the timings.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "catalog/synthetic.hpp"
#include "geoplex/catalog/store.hpp"

using namespace geoplex::catalog;

namespace {

double cpu_seconds(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
double thread_cpu_seconds() { return cpu_seconds(CLOCK_THREAD_CPUTIME_ID); }

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t n = 1'000'000, queries = 1000;
    std::string uri = "sqlite:/tmp/catalog_bench.sqlite";
    bool skip_import = false;
    std::uint64_t batch = 50'000;
    bool per_record = false;
    std::uint64_t verify = 0;  // queries also run through the SQL path (inside a transaction) and compared
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--n" && i + 1 < argc) n = std::stoull(argv[++i]);
        else if (a == "--queries" && i + 1 < argc) queries = std::stoull(argv[++i]);
        else if (a == "--uri" && i + 1 < argc) uri = argv[++i];
        else if (a == "--skip-import") skip_import = true;
        else if (a == "--verify" && i + 1 < argc) verify = std::stoull(argv[++i]);
        else if (a == "--batch" && i + 1 < argc) batch = std::max<std::uint64_t>(1, std::stoull(argv[++i]));
        else if (a == "--create") per_record = true;
        else {
            std::fprintf(stderr, "usage: catalog_bench [--n N] [--queries Q] [--uri URI] [--skip-import] [--verify V] [--batch B] [--create]\n");
            return 2;
        }
    }
    if (!skip_import && uri.rfind("sqlite:", 0) == 0) {
        const std::string path = uri.substr(7);
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    }
    auto store = open_store(uri);

    Id datastore;
    double import_wall = 0, import_cpu = 0, import_process_cpu = 0;  // this thread; all threads (the import's pipeline)
    if (skip_import) {
        const auto page = store->list<Datastore>({{"technical_name", "catalog_bench"}}, {0, 1});
        if (page.items.empty()) {
            std::fprintf(stderr, "no catalog_bench datastore in %s\n", uri.c_str());
            return 1;
        }
        datastore = page.items.front().id;
    } else {
        datastore = store->create(Datastore{.name = "bench", .technical_name = "catalog_bench"}).id;
        const auto t0 = std::chrono::steady_clock::now();
        const double c0 = thread_cpu_seconds(), p0 = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
        std::vector<Dataset> records;
        for (std::uint64_t first = 0; first < n; first += batch) {
            const auto last = std::min(n, first + batch);
            if (per_record) {
                store->transaction([&](Store& s) {
                    for (std::uint64_t i = first; i < last; ++i) s.create(synthetic::dataset(i, datastore));
                });
            } else {
                records.clear();
                for (std::uint64_t i = first; i < last; ++i) records.push_back(synthetic::dataset(i, datastore));
                const auto r = store->import_many(records);
                if (!r.problems.empty()) {
                    std::fprintf(stderr, "record %zu refused: %s\n", static_cast<std::size_t>(first + r.problems[0].index),
                                 r.problems[0].message.c_str());
                    return 1;
                }
            }
            if (last / 100'000 != first / 100'000)
                std::fprintf(stderr, "imported %llu\n", static_cast<unsigned long long>(last));
        }
        import_wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        import_cpu = thread_cpu_seconds() - c0;
        import_process_cpu = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - p0;
    }

    // The first search loads the SQLite store's in-memory search index: timed apart.
    const auto l0 = std::chrono::steady_clock::now();
    (void)store->search(synthetic::query(999'999, {}));
    const double first_search_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - l0).count();
    for (std::uint64_t i = 0; i < 20; ++i) (void)store->search(synthetic::query(1'000'000 + i, {}));  // warm-up
    std::vector<double> wall, cpu, cpu_selective, cpu_broad;  // broad: more than 10 000 matches
    std::uint64_t matches = 0, max_matches = 0, mismatches = 0;
    for (std::uint64_t i = 0; i < queries; ++i) {
        const auto q = synthetic::query(i, {});  // catalogue-wide, as the public search
        const auto t0 = std::chrono::steady_clock::now();
        const double c0 = thread_cpu_seconds();
        const auto r = store->search(q);
        cpu.push_back((thread_cpu_seconds() - c0) * 1e3);
        wall.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        (r.total > 10'000 ? cpu_broad : cpu_selective).push_back(cpu.back());
        if (std::getenv("CATALOG_BENCH_SLOW_MS") && cpu.back() > std::atof(std::getenv("CATALOG_BENCH_SLOW_MS")))
            std::fprintf(stderr, "slow %.1f ms: text='%s' bbox=%d themes=%zu years=%zu open=%d sort=%d offset=%zu total=%llu\n",
                         cpu.back(), q.text.c_str(), q.bbox ? 1 : 0, q.themes.size(), q.years.size(), q.open_data ? 1 : 0,
                         static_cast<int>(q.sort), q.offset, static_cast<unsigned long long>(r.total));
        if (i < verify) {
            SearchResult sql;
            store->transaction([&](Store& t) { sql = t.search(q); });
            bool same = sql.total == r.total && sql.facets == r.facets && sql.hits.size() == r.hits.size();
            for (std::size_t k = 0; same && k < r.hits.size(); ++k)
                same = sql.hits[k].dataset.id == r.hits[k].dataset.id && sql.hits[k].score == r.hits[k].score;
            if (!same) {
                std::fprintf(stderr, "MISMATCH with the SQL search: query %llu text='%s' total %llu vs %llu\n",
                             static_cast<unsigned long long>(i), q.text.c_str(), static_cast<unsigned long long>(r.total),
                             static_cast<unsigned long long>(sql.total));
                ++mismatches;
            }
        }
        matches += r.total;
        max_matches = std::max<std::uint64_t>(max_matches, r.total);
    }
    long rss_kb = 0;  // resident memory after the searches (the index included)
    if (FILE* f = std::fopen("/proc/self/status", "r")) {
        char line[256];
        while (std::fgets(line, sizeof line, f))
            if (std::strncmp(line, "VmRSS:", 6) == 0) rss_kb = std::atol(line + 6);
        std::fclose(f);
    }
    std::printf("%s\n",
                fmt::format(R"({{"backend":"{}","datasets":{},"import_path":"{}","batch":{},"import_s":{:.2f},"import_cpu_s":{:.2f},"import_process_cpu_s":{:.2f},"import_records_per_s":{:.0f},)"
                            R"("first_search_s":{:.2f},"rss_mb":{},"verified":{},"mismatches":{},)"
                            R"("queries":{},"mean_matches":{:.0f},"max_matches":{},)"
                            R"("search_wall_ms":{{"p50":{:.2f},"p95":{:.2f},"p99":{:.2f},"max":{:.2f}}},)"
                            R"("search_cpu_ms":{{"p50":{:.2f},"p95":{:.2f},"p99":{:.2f},"max":{:.2f}}},)"
                            R"("selective_queries":{},"selective_cpu_ms":{{"p50":{:.2f},"p95":{:.2f}}},)"
                            R"("broad_queries":{},"broad_cpu_ms":{{"p50":{:.2f},"p95":{:.2f}}}}})",
                            store->backend(), n, per_record ? "create" : "import_many", batch, import_wall, import_cpu, import_process_cpu, import_wall > 0 ? static_cast<double>(n) / import_wall : 0.0,
                            first_search_s, rss_kb / 1024, std::min(verify, queries), mismatches,
                            queries, queries ? static_cast<double>(matches) / static_cast<double>(queries) : 0.0, max_matches,
                            percentile(wall, 0.5), percentile(wall, 0.95), percentile(wall, 0.99), percentile(wall, 1.0),
                            percentile(cpu, 0.5), percentile(cpu, 0.95), percentile(cpu, 0.99), percentile(cpu, 1.0),
                            cpu_selective.size(), percentile(cpu_selective, 0.5), percentile(cpu_selective, 0.95),
                            cpu_broad.size(), percentile(cpu_broad, 0.5), percentile(cpu_broad, 0.95))
                    .c_str());
    return 0;
}
