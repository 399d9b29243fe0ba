// Layer search (/recherche) on a synthetic index: build time of a LayerIndex over N documents and
// the time of typical queries (median and min of R runs, wall clock, one thread). Plain driver:
//
//   layer_search_bench [--n 10000] [--runs 200]
//
// Prints one JSON object per line: {"case", "n", "runs", "median_us", "min_us", "qps", "hits"}.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/server/search_api.hpp"

using geoplex::server::LayerDocument;
using geoplex::server::LayerIndex;
using geoplex::server::LayerQuery;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<LayerDocument> synthetic(std::size_t n) {
    const std::vector<std::string> nouns{"Réseau", "Bâtiments", "Cours d'eau", "Limites", "Parcelles", "Forêts", "Orthophotographie",
                                         "Occupation du sol", "Adresses", "Routes", "Voies ferrées", "Lacs", "Altitude", "Cadastre"};
    const std::vector<std::string> adjectives{"routier", "administratives", "départementales", "communales", "nationales", "historiques",
                                              "hydrographiques", "forestières", "urbaines", "littorales", "agricoles", "protégées"};
    const std::vector<std::string> themes{"Transports", "Administratif", "Hydrographie", "Occupation du sol", "Altimétrie", "Bâti"};
    const std::vector<std::string> types{"WMTS-TMS", "VECTOR-TMS", "WMS-RASTER", "WMS-VECTOR", "WFS", "DOWNLOAD"};
    std::mt19937_64 rng(42);
    const auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
    std::uniform_real_distribution<double> lon(-5, 8), lat(42, 51), size(0.05, 2);
    std::vector<LayerDocument> docs;
    docs.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        LayerDocument d;
        d.id = fmt::format("doc-{:06}", i);
        d.offering_id = d.id;
        d.title = fmt::format("{} {} {}", pick(nouns), pick(adjectives), 1 + i % 101);
        d.layer_name = fmt::format("layer_{}", i);
        d.description = fmt::format("{} {} du département {} ({})", pick(nouns), pick(adjectives), 1 + i % 95, pick(themes));
        d.type = pick(types);
        d.theme = pick(themes);
        d.keywords = {pick(adjectives), pick(nouns)};
        d.producers = {i % 3 == 0 ? "IGN" : i % 3 == 1 ? "Cerema" : "OSM"};
        d.production_years = {static_cast<int>(2000 + i % 25)};
        d.srs = {"EPSG:2154"};
        const double w = lon(rng), s = lat(rng), z = size(rng);
        d.extent = std::array<double, 4>{w, s, w + z, s + z};
        docs.push_back(std::move(d));
    }
    return docs;
}

template <class F>
void measure(const char* name, std::size_t n, std::size_t runs, F&& run) {
    std::vector<double> us;
    std::size_t hits = 0;
    for (std::size_t r = 0; r < runs; ++r) {
        const auto t0 = Clock::now();
        hits = run();
        us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    std::sort(us.begin(), us.end());
    const double median = us[us.size() / 2];
    std::printf("%s\n", nlohmann::json{{"case", name}, {"n", n}, {"runs", runs}, {"median_us", median}, {"min_us", us.front()},
                                       {"qps", 1e6 / median}, {"hits", hits}}.dump().c_str());
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t n = 10'000, runs = 200;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--n" && i + 1 < argc) n = std::stoull(argv[++i]);
        else if (a == "--runs" && i + 1 < argc) runs = std::stoull(argv[++i]);
        else {
            std::fprintf(stderr, "usage: layer_search_bench [--n N] [--runs R]\n");
            return 2;
        }
    }
    auto docs = synthetic(n);
    std::unique_ptr<LayerIndex> index;
    measure("build_index", n, 5, [&] {
        index = std::make_unique<LayerIndex>(docs);
        return index->size();
    });
    const auto q = [](const char* body) { return LayerQuery::parse(nlohmann::json::parse(body)); };
    const LayerQuery all = q("{}"), text = q(R"({"text":"réseau routier"})"), filtered = q(R"({"title":"routières","type":"WFS","open":true})"),
                     shape = q(R"({"shape":{"type":"Polygon","coordinates":[[[2,48],[3,48],[3,49],[2,49],[2,48]]]},"theme":"Transports"})"),
                     aggs = q(R"({"text":"département","aggregation":{"fields":["type","theme","keywords","producers"]}})");
    measure("all_page1", n, runs, [&] { return index->search(all).total; });
    measure("text", n, runs, [&] { return index->search(text).total; });
    measure("title_type_open", n, runs, [&] { return index->search(filtered).total; });
    measure("shape_theme", n, runs, [&] { return index->search(shape).total; });
    measure("text_aggregations", n, runs, [&] { return index->search(aggs).total; });
    measure("suggest_rou", n, runs, [&] { return index->suggest("rou", {"title", "keywords"}, 10).size(); });
    return 0;
}
