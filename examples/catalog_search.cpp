// The dataset catalog from C++: open (create) a SQLite store, bulk-import a few dataset sheets, search
// them with text, a bbox and a filter, print the facet counts, then change one sheet and find it
// again. docs/catalog.md describes the model and the search semantics.
//   catalog_search STORE.sqlite

#include <cstdio>
#include <exception>
#include <filesystem>
#include <vector>

#include "geoplex/catalog/store.hpp"

namespace cat = geoplex::catalog;

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s STORE.sqlite\n", argv[0]);
        return 2;
    }
    try {
        std::filesystem::remove(argv[1]);  // a fresh store each run
        auto store = cat::open_store(std::string("sqlite:") + argv[1]);  // created and migrated

        const auto sheet = [](const char* title, const char* producer, const char* theme, cat::GeoBox box, const char* date) {
            cat::Dataset d;
            d.title = title;
            d.abstract = "Exemple du catalogue geoplex.";
            d.producer = producer;
            d.themes = {theme};
            d.keywords = {"exemple"};
            d.licence = "etalab-2.0";
            d.bbox = box;
            d.publication_date = date;
            return d;
        };
        // A bulk import: one transaction; a sheet the store refuses is reported, the others are stored.
        const cat::ImportResult imported = store->import_many(std::vector<cat::Dataset>{
            sheet("Réseau routier de Bretagne", "IGN", "Transport", {-5.2, 47.2, -1.0, 48.9}, "2024-02-01"),
            sheet("Routes départementales du Finistère", "CD29", "Transport", {-5.2, 47.7, -3.4, 48.8}, "2023-06-12"),
            sheet("Cours d'eau de Bretagne", "OFB", "Hydrographie", {-5.2, 47.2, -1.0, 48.9}, "2022-09-30"),
            sheet("Réseau routier d'Occitanie", "IGN", "Transport", {-0.4, 42.3, 4.9, 45.1}, "2024-03-15")});
        for (const auto& p : imported.problems) std::fprintf(stderr, "sheet %zu refused: %s\n", p.index, p.message.c_str());
        if (!imported.problems.empty()) return 1;

        cat::SearchQuery q;
        q.bbox = cat::GeoBox{-4.5, 47.5, -3.0, 48.5};   // intersecting western Brittany
        q.themes = {"Transport"};                       // OR within a filter, AND across filters
        q.sort = cat::SearchSort::title;
        const auto result = store->search(q);
        std::printf("transport near Quimper: %llu datasets\n", static_cast<unsigned long long>(result.total));
        for (const auto& hit : result.hits) std::printf("  %s (%s)\n", hit.dataset.title.c_str(), hit.dataset.producer.c_str());

        cat::SearchQuery text;
        text.text = "réseaux routiers";  // folded and stemmed: matches "Réseau routier"; every term must occur
        const auto by_text = store->search(text);
        std::printf("'%s': %llu datasets\n", text.text.c_str(), static_cast<unsigned long long>(by_text.total));
        for (const auto& hit : by_text.hits) std::printf("  %s (score %.3g)\n", hit.dataset.title.c_str(), hit.score);

        cat::SearchQuery everything;  // no condition: the facets count the whole catalog
        everything.limit = 0;
        const auto facets = store->search(everything).facets;
        for (const auto& name : cat::facet_names()) {
            const auto it = facets.find(name);
            if (it == facets.end() || it->second.empty()) continue;
            std::printf("facet %s:", name.c_str());
            for (const auto& f : it->second) std::printf(" %s=%llu", f.value.c_str(), static_cast<unsigned long long>(f.count));
            std::printf("\n");
        }

        // Update a sheet: the search index follows.
        auto first = store->require<cat::Dataset>(result.hits.at(0).dataset.id);
        first.keywords.push_back("cyclable");
        store->update(first);
        cat::SearchQuery cyclable;
        cyclable.text = "cyclables";
        std::printf("after update, 'cyclables': %s\n", store->search(cyclable).hits.at(0).dataset.title.c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
