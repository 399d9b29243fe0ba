// Geocoder benchmark: a plain timed driver printing JSON.
//
//   geocoder_bench [--addresses N] [--dir DIR] [--queries Q] [--keep] [--reuse] [--slowest K]
//
// --reuse: keep an index already built in DIR by a --keep run (same N) and time the queries only.
//
// Writes a deterministic synthetic BAN CSV of N addresses (default 5 000 000: 1 000 communes ×
// 200 streets × 25 numbers, French-like street names), builds the index (build speed, bytes per
// address), then times on one thread: searches (full labels, abbreviations, typos), reverse
// (points 0–50 m from addresses) and completion-style prefix searches. Reports throughput and
// latency percentiles. The data set is generated here rather than by geoplex synth because a 5 M
// address synthetic territory needs a ~125 000 km road network.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <time.h>

#include "geoplex/geocoder/geocoder.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// CPU time of this thread: the benchmark machine may be shared, and wall-clock percentiles then
// measure the scheduler (4 ms time slices) rather than the geocoder. Both are reported.
double cpu_us() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

struct Timing {
    std::vector<double> wall_us, cpu_us;
    void add(double w, double c) { wall_us.push_back(w); cpu_us.push_back(c); }
};
namespace gc = geoplex::geocoder;

const char* const types[] = {"Rue", "Avenue", "Allée", "Boulevard", "Chemin", "Impasse", "Place", "Route", "Rue", "Rue"};
const char* const first[] = {"Victor", "Jean", "Louis", "Marie", "Pierre", "Jules", "Émile", "Paul", "Henri", "Georges",
                             "Charles", "Jacques", "André", "Marcel", "Camille", "Gustave", "Édouard", "Anatole",
                             "Lucie", "Simone", "Rosa", "Olympe", "Aristide", "Gabriel", "Albert", "Maurice"};
const char* const last[] = {"Hugo", "Jaurès", "Moulin", "Curie", "Pasteur", "Ferry", "Zola", "Guesde", "Gambetta",
                            "Clemenceau", "Daudet", "Rostand", "Péguy", "Mermoz", "Blériot", "Debussy", "Ravel",
                            "Berlioz", "Lamartine", "Vigny", "Musset", "Verlaine", "Rimbaud", "Apollinaire", "Prévert",
                            "Brassens", "Monnet", "Schuman", "Herriot", "Blum", "Mendès", "Lagrange", "Fourier",
                            "Ampère", "Carnot", "Condorcet", "Diderot", "Voltaire", "Rousseau", "Montesquieu"};
const char* const things[] = {"de la Paix", "des Lilas", "du Moulin", "de l'Église", "des Écoles", "du Château",
                              "de la Gare", "des Tilleuls", "du Stade", "de la Mairie", "des Acacias", "du Lavoir",
                              "de la Fontaine", "des Peupliers", "du Marché", "de la Poste", "des Vignes", "du Bois"};
const char* const syll[] = {"Bel", "Mont", "Val", "Roche", "Fon", "Ville", "Ber", "Cha", "Lou", "Mar", "Sar", "Tré",
                            "Vau", "Bour", "Cour", "Pré", "Saint", "Ro", "La", "Mé"};
const char* const tails[] = {"ville", "court", "mont", "ac", "y", "ières", "oux", "ans", "eux", "ange", "ais", "elle"};

std::string commune_name(std::uint32_t c) {
    std::string n = syll[c % 20];
    std::string part = std::string(syll[(c / 20) % 20]).substr(0, 3);
    if (static_cast<unsigned char>(part.back()) >= 0xC0) part.pop_back();  // no cut UTF-8 sequence ("Pré" → "Pr")
    n += part;
    for (auto& ch : n) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    n[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(n[0])));
    n += tails[(c / 400) % 12];
    if (c % 7 == 0) n = "Saint-" + n;
    return n;
}

std::string street_name(std::uint32_t c, std::uint32_t s, std::uint32_t& type_index) {
    std::mt19937 rng(c * 7919U + s * 104729U + 17U);
    type_index = rng() % 10;
    std::string n = std::string(types[type_index]) + " ";
    // Distinct within a commune (s < 200 gives distinct (first, last) pairs and numbered
    // "things"); the commune rotates the lists so that communes differ.
    if (s % 3 == 0) n += things[(s / 3 + c) % 18] + std::string(s / 3 >= 18 ? fmt::format(" {}", s / 3 / 18 + 1) : "");
    else n += std::string(first[(s + c) % 26]) + " " + last[(s / 26 + s + c) % 40];
    return n;
}

struct Address {
    std::string label, no_city, id;
    double lon, lat;
};

double pct(std::vector<double>& v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t n_addresses = 5'000'000;
    std::filesystem::path dir = std::filesystem::temp_directory_path() / "geoplex-geocoder-bench";
    std::size_t n_queries = 20000;
    bool keep = false;
    bool reuse = false;
    std::size_t slowest = 0;  // --slowest K: print the K slowest queries of each kind to stderr
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--addresses" && i + 1 < argc) n_addresses = std::stoull(argv[++i]);
        else if (a == "--dir" && i + 1 < argc) dir = argv[++i];
        else if (a == "--queries" && i + 1 < argc) n_queries = std::stoul(argv[++i]);
        else if (a == "--keep") keep = true;
        else if (a == "--reuse") reuse = keep = true;
        else if (a == "--slowest" && i + 1 < argc) slowest = std::stoul(argv[++i]);
        else { std::fprintf(stderr, "usage: %s [--addresses N] [--dir DIR] [--queries Q] [--keep] [--reuse] [--slowest K]\n", argv[0]); return 2; }
    }
    std::filesystem::create_directories(dir);
    const auto csv = dir / "adresses-synthetic.csv";
    constexpr std::uint32_t per_street = 25, streets_per_commune = 200;
    const auto communes = static_cast<std::uint32_t>((n_addresses + per_street * streets_per_commune - 1) / (per_street * streets_per_commune));

    // 1. Deterministic CSV; a sample of rows is kept as queries.
    std::vector<Address> sample;
    std::mt19937_64 pick(7);
    const double keep_every = static_cast<double>(n_addresses) / static_cast<double>(n_queries);
    const bool build = !(reuse && std::filesystem::exists(dir / "geocoder" / "address.idx"));
    {
        std::ofstream out;
        if (build) out.open(csv);
        out << "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;code_insee_ancienne_commune;"
               "nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;libelle_acheminement;nom_afnor;"
               "source_position;source_nom_voie;certification_commune;cad_parcelles\n";
        std::uint64_t written = 0;
        std::string line;
        for (std::uint32_t c = 0; c < communes && written < n_addresses; ++c) {
            const std::string city = commune_name(c);
            const std::string insee = fmt::format("{:02d}{:03d}", 1 + c / 900 % 95, c % 900 + 1);
            const std::string cp = fmt::format("{:02d}{:03d}", 1 + c / 900 % 95, (c % 90) * 10);
            const double clon = -1.5 + (c % 40) * 0.15, clat = 43.5 + (c / 40 % 40) * 0.12;
            for (std::uint32_t s = 0; s < streets_per_commune && written < n_addresses; ++s) {
                std::uint32_t ti = 0;
                const std::string voie = street_name(c, s, ti);
                const std::string sid = fmt::format("{}_{:04x}", insee, s);
                const double slon = clon + (s % 20) * 0.002, slat = clat + (s / 20) * 0.002;
                for (std::uint32_t k = 1; k <= per_street && written < n_addresses; ++k) {
                    const bool bis = k % 11 == 0;
                    const double lon = slon + k * 0.00006, lat = slat + (k % 2) * 0.00015;
                    if (build) {
                        line.clear();
                        fmt::format_to(std::back_inserter(line), "{}_{:05d}{};;{};{};{};{};{};{};;;0;0;{:.6f};{:.6f};;;;;;;;;\n",
                                       sid, k, bis ? "_bis" : "", k, bis ? "bis" : "", voie, cp, insee, city, lon, lat);
                        out << line;
                    }
                    if (static_cast<double>(sample.size()) * keep_every <= static_cast<double>(written)) {
                        const std::string hn = bis ? fmt::format("{} bis", k) : fmt::format("{}", k);
                        sample.push_back({fmt::format("{} {} {} {}", hn, voie, cp, city), hn + " " + voie,
                                          fmt::format("{}_{:05d}{}", sid, k, bis ? "_bis" : ""), lon, lat});
                    }
                    ++written;
                }
            }
        }
    }
    const auto csv_bytes = std::filesystem::exists(csv) ? std::filesystem::file_size(csv) : 0;

    // 2. Build (skipped with --reuse when the index exists: the build figures are then 0).
    gc::BuildStats stats;
    double build_s = 0, build_cpu_s = 0;
    if (build) {
        gc::BuildConfig cfg;
        cfg.sources.push_back({gc::SourceFormat::ban_csv, csv});
        const auto t0 = Clock::now();
        const double c0 = cpu_us();
        stats = gc::Builder(cfg).build(dir / "geocoder");
        build_s = std::chrono::duration<double>(Clock::now() - t0).count();
        build_cpu_s = (cpu_us() - c0) / 1e6;
    }
    const auto t1 = Clock::now();
    const auto geocoder = gc::Geocoder::open(dir / "geocoder");
    const double open_ms = std::chrono::duration<double, std::milli>(Clock::now() - t1).count();
    if (!build) {
        stats.housenumbers = geocoder.info().housenumbers;
        stats.municipalities = geocoder.info().municipalities;
        stats.streets = geocoder.info().streets;
        stats.terms = geocoder.info().terms;
        stats.index_bytes = geocoder.info().bytes;
    }

    gc::Query query(geocoder);
    std::mt19937 rng(11);
    // 3. Searches: full labels, then the label without city and with an abbreviated type, then one typo.
    const auto run_search = [&](auto make_text, bool autocomplete, std::size_t limit, std::size_t& hits) {
        Timing t;
        hits = 0;
        std::vector<std::pair<double, std::string>> slow;
        for (const auto& a : sample) {
            gc::SearchRequest r;
            r.q = make_text(a);
            r.limit = limit;
            r.autocomplete = autocomplete;
            const auto q0 = Clock::now();
            const double c = cpu_us();
            const auto res = query.search(r);
            t.add(std::chrono::duration<double, std::micro>(Clock::now() - q0).count(), cpu_us() - c);
            if (slowest > 0) slow.emplace_back(t.cpu_us.back(), r.q);
            for (const auto& x : res) if (x.id == a.id) { ++hits; break; }
        }
        std::sort(slow.rbegin(), slow.rend());
        for (std::size_t i = 0; i < std::min(slowest, slow.size()); ++i)
            std::fprintf(stderr, "%8.1f us cpu  %s%s\n", slow[i].first, slow[i].second.c_str(), autocomplete ? "  (autocomplete)" : "");
        return t;
    };
    std::size_t hits_full = 0, hits_nocity = 0, hits_prefix = 0;
    auto t_full = run_search([](const Address& a) { return a.label; }, false, 5, hits_full);
    auto t_nocity = run_search([](const Address& a) { return a.no_city; }, false, 5, hits_nocity);
    // Completion: the label cut in the middle of the street's last word, last token as a prefix.
    auto t_prefix = run_search(
        [](const Address& a) {
            const auto sp = a.no_city.rfind(' ');
            const std::size_t len = a.no_city.size() - sp - 1;
            return a.no_city.substr(0, sp + 1 + std::max<std::size_t>(2, len / 2));
        },
        true, 10, hits_prefix);

    // 4. Reverse: points 0–50 m from sampled addresses.
    Timing t_rev;
    std::size_t rev_n = 0;
    for (int rep = 0; rep < 5; ++rep)
        for (const auto& a : sample) {
            const double d = static_cast<double>(rng() % 5000) / 100.0, b = static_cast<double>(rng() % 3600) / 10.0 * M_PI / 180.0;
            gc::ReverseRequest r;
            r.point = {a.lon + d * std::sin(b) / (111320.0 * std::cos(a.lat * M_PI / 180.0)), a.lat + d * std::cos(b) / 110574.0};
            const auto q0 = Clock::now();
            const double c = cpu_us();
            const auto res = query.reverse(r);
            t_rev.add(std::chrono::duration<double, std::micro>(Clock::now() - q0).count(), cpu_us() - c);
            rev_n += res.size();
        }

    const double bpa = static_cast<double>(stats.index_bytes) / static_cast<double>(stats.housenumbers);
    std::printf("{\n");
    std::printf("  \"addresses\": %llu, \"communes\": %llu, \"streets\": %llu, \"terms\": %llu,\n",
                static_cast<unsigned long long>(stats.housenumbers), static_cast<unsigned long long>(stats.municipalities),
                static_cast<unsigned long long>(stats.streets), static_cast<unsigned long long>(stats.terms));
    std::printf("  \"csv_bytes\": %llu, \"index_bytes\": %llu, \"bytes_per_address\": %.1f,\n",
                static_cast<unsigned long long>(csv_bytes), static_cast<unsigned long long>(stats.index_bytes), bpa);
    std::printf("  \"build_seconds\": %.2f, \"build_cpu_seconds\": %.2f, \"build_addresses_per_cpu_second\": %.0f, "
                "\"open_ms\": %.2f,\n", build_s, build_cpu_s, build_cpu_s > 0 ? static_cast<double>(stats.housenumbers) / build_cpu_s : 0.0, open_ms);
    std::printf("  \"queries\": %zu,\n", sample.size());
    const auto line = [&](const char* name, Timing& t, const char* hit_name, double hit_rate, bool last) {
        double cpu_total = 0;
        for (double v : t.cpu_us) cpu_total += v;
        std::printf("  \"%s\": {\"per_second_per_thread_cpu\": %.0f, \"cpu_p50_us\": %.1f, \"cpu_p99_us\": %.1f, "
                    "\"wall_p50_us\": %.1f, \"wall_p99_us\": %.1f, \"%s\": %.4f}%s\n",
                    name, static_cast<double>(t.cpu_us.size()) / (cpu_total / 1e6), pct(t.cpu_us, 0.5), pct(t.cpu_us, 0.99),
                    pct(t.wall_us, 0.5), pct(t.wall_us, 0.99), hit_name, hit_rate, last ? "" : ",");
    };
    const auto rate = [&](std::size_t h) { return static_cast<double>(h) / static_cast<double>(sample.size()); };
    line("search_full_label", t_full, "top5_hit_rate", rate(hits_full), false);
    line("search_no_city", t_nocity, "top5_hit_rate", rate(hits_nocity), false);
    line("completion_prefix", t_prefix, "top10_hit_rate", rate(hits_prefix), false);
    line("reverse", t_rev, "results_per_query", static_cast<double>(rev_n) / static_cast<double>(t_rev.cpu_us.size()), true);
    std::printf("}\n");
    if (!keep) std::filesystem::remove_all(dir);
    return 0;
}
