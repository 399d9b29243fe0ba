// Geocoding from C++: open a bundle, reverse-geocode the middle of its extent to the nearest
// address, then search that address's label and find the same house number again.
//   geocoder_search BUNDLE_DIR

#include <cstdio>
#include <exception>

#include "geoplex/bundle/engine.hpp"
#include "geoplex/geocoder/geocoder.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s BUNDLE_DIR\n", argv[0]);
        return 2;
    }
    try {
        const auto engine = geoplex::bundle::Engine::open(argv[1]);
        const auto& geocoder = engine.geocoder();            // throws when the bundle has no geocoder
        const auto& box = geocoder.info().extent;
        geoplex::geocoder::Query query(geocoder);            // one per thread, reusable

        geoplex::geocoder::ReverseRequest rq;                // house numbers by default
        rq.point = {(box.min_x + box.max_x) / 2, (box.min_y + box.max_y) / 2};
        const auto nearest = query.reverse(rq);
        if (nearest.empty()) {
            std::fprintf(stderr, "no address in the bundle\n");
            return 1;
        }
        std::printf("reverse: %s (%s), %.0f m away\n", nearest[0].label.c_str(), nearest[0].id.c_str(),
                    nearest[0].distance);

        geoplex::geocoder::SearchRequest sq;
        sq.q = nearest[0].label;
        sq.limit = 3;
        const auto found = query.search(sq);
        for (const auto& r : found)
            std::printf("search: %s (%s) score %.3f\n", r.label.c_str(), r.id.c_str(), r.score);
        if (found.empty() || found[0].id != nearest[0].id) {
            std::fprintf(stderr, "the label did not find its own address first\n");
            return 1;
        }
        std::printf("round trip: ok\n");
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
