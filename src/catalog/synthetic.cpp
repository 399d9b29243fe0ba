#include "synthetic.hpp"

#include <array>
#include <cmath>
#include <cstdio>

namespace geoplex::catalog::synthetic {

namespace {

std::uint64_t splitmix(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

class Rng {
public:
    explicit Rng(std::uint64_t seed) : m_state(splitmix(seed)) {}
    std::uint64_t next() { return m_state = splitmix(m_state); }
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
    double unit() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }
    /// Zipf-like rank in [0, n): rank r with weight ~ 1/(r+1).
    std::size_t zipf(std::size_t n) {
        const double u = unit();
        const auto r = static_cast<std::size_t>(std::exp(u * std::log(static_cast<double>(n) + 1.0))) - 1;
        return r < n ? r : n - 1;
    }

private:
    std::uint64_t m_state;
};

constexpr std::array<std::string_view, 120> k_words{
    "réseau", "routier", "route", "autoroute", "chemin", "sentier", "piste", "cyclable", "voie", "ferrée",
    "gare", "aéroport", "port", "fluvial", "canal", "rivière", "fleuve", "lac", "étang", "bassin",
    "versant", "hydrographique", "zone", "humide", "forêt", "bois", "haie", "prairie", "parcelle", "cadastrale",
    "bâtiment", "bâti", "habitat", "logement", "commune", "département", "région", "limite", "administrative", "canton",
    "adresse", "voirie", "numéro", "altitude", "relief", "pente", "modèle", "numérique", "terrain", "surface",
    "orthophotographie", "image", "aérienne", "satellite", "occupation", "sol", "agricole", "culture", "vigne", "verger",
    "réserve", "naturelle", "parc", "national", "régional", "site", "protégé", "patrimoine", "monument", "historique",
    "école", "collège", "lycée", "hôpital", "santé", "pharmacie", "équipement", "sportif", "stade", "piscine",
    "risque", "inondation", "submersion", "séisme", "avalanche", "incendie", "pollution", "bruit", "air", "qualité",
    "énergie", "éolienne", "solaire", "réseau électrique", "ligne", "haute", "tension", "gaz", "eau", "potable",
    "assainissement", "station", "épuration", "déchet", "carrière", "mine", "industrie", "zone d'activité", "commerce", "marché",
    "tourisme", "randonnée", "camping", "hébergement", "littoral", "plage", "côte", "île", "montagne", "vallée"};
constexpr std::array<std::string_view, 19> k_themes{
    "Adresses", "Altitude", "Bâtiments", "Dénominations géographiques", "Hydrographie", "Occupation des terres",
    "Orthoimagerie", "Parcelles cadastrales", "Réseaux de transport", "Unités administratives", "Zones à risque naturel",
    "Sites protégés", "Santé et sécurité des personnes", "Services d'utilité publique", "Agriculture",
    "Sources d'énergie", "Installations industrielles", "Répartition de la population", "Sols"};
constexpr std::array<std::string_view, 8> k_formats{"WMTS", "TMS", "WFS", "WMS", "GeoPackage", "Shapefile", "GeoJSON", "CSV"};
constexpr std::array<std::string_view, 5> k_licences{"etalab-2.0", "ODbL-1.0", "CC-BY-4.0", "Licence IGN", "CC0-1.0"};

constexpr std::array<std::string_view, 32> k_syllables{
    "mar", "seil", "lon", "bor", "deaux", "vil", "le", "ton", "gny", "court", "mont", "ber", "ger", "lan", "nes", "rou",
    "en", "sau", "mur", "châ", "teau", "bois", "champ", "fon", "taine", "pré", "val", "ro", "che", "sur", "lès", "dun"};
constexpr std::size_t k_places = 6000;

/// Place name `k` of k_places ("Saint-Valbor", "Montlès-Rouen"…): selective words, like the
/// commune and department names of real dataset titles.
std::string place(std::size_t k) {
    Rng r(k * 7919 + 17);
    std::string s = r.below(5) == 0 ? "Saint-" : "";
    const std::size_t n = 2 + r.below(2);
    for (std::size_t i = 0; i < n; ++i) s += k_syllables[r.below(k_syllables.size())];
    s += "-" + std::to_string(k % 97);  // keeps the k_places names distinct after stemming
    return s;
}

std::string word(Rng& r) { return std::string(k_words[r.zipf(k_words.size())]); }

std::string words(Rng& r, std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        if (i) s += ' ';
        s += word(r);
    }
    return s;
}

Id derived_id(std::uint64_t index) {
    const std::uint64_t hi = (splitmix(index * 2 + 1) & 0xFFFFFFFFFFFF0FFFULL) | 0x4000ULL;
    const std::uint64_t lo = (splitmix(index * 2 + 2) & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                  static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                  static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
    return buf;
}

}  // namespace

Dataset dataset(std::uint64_t index, const Id& datastore) {
    Rng r(index);
    Dataset d;
    d.id = derived_id(index);
    d.datastore = datastore;
    d.file_identifier = "SYNTH_" + std::to_string(index);
    const std::string where = place(r.below(k_places));
    d.title = words(r, 2 + r.below(4)) + " " + where;
    d.abstract = words(r, 12 + r.below(30)) + " sur le territoire de " + where;
    for (std::size_t k = 1 + r.below(5); k > 0; --k) d.keywords.push_back(word(r));
    d.themes.emplace_back(k_themes[r.zipf(k_themes.size())]);
    if (r.below(4) == 0) d.themes.emplace_back(k_themes[r.below(k_themes.size())]);
    for (std::size_t k = 1 + r.below(3); k > 0; --k) d.formats.emplace_back(k_formats[r.below(k_formats.size())]);
    d.producer = "Producteur " + std::to_string(r.zipf(60));
    d.licence = std::string(k_licences[r.zipf(k_licences.size())]);
    const int year = 2000 + static_cast<int>(r.below(26));
    char date[32];
    std::snprintf(date, sizeof date, "%04d-%02d-%02d", year, 1 + static_cast<int>(r.below(12)), 1 + static_cast<int>(r.below(28)));
    d.publication_date = date;
    std::snprintf(date, sizeof date, "%04d-%02d-%02dT%02d:%02d:%02dZ", year + static_cast<int>(r.below(2)),
                  1 + static_cast<int>(r.below(12)), 1 + static_cast<int>(r.below(28)), static_cast<int>(r.below(24)),
                  static_cast<int>(r.below(60)), static_cast<int>(r.below(60)));
    d.modified = date;
    d.created = date;
    d.open_data = r.below(3) != 0;
    d.quality = static_cast<int>(r.below(101));
    if (r.below(10) != 0) {
        // Metropolitan France, from commune-sized to national extents.
        const double size = std::pow(10.0, -2.0 + 3.0 * r.unit());
        const double w = -4.8 + r.unit() * (8.2 - std::min(size, 8.0));
        const double s = 42.3 + r.unit() * (8.8 - std::min(size, 6.0));
        d.bbox = GeoBox{w, s, std::min(w + size, 9.6), std::min(s + size * 0.7, 51.1)};
    }
    d.contact = Contact{"IGN", "Service clients", "contact@example.fr", "pointOfContact"};
    d.lineage = "Données synthétiques générées pour les mesures de performance.";
    return d;
}

SearchQuery query(std::uint64_t index, const Id& datastore) {
    Rng r(index ^ 0x5EA5C4ULL);
    SearchQuery q;
    q.datastore = datastore;
    // Topic words are drawn uniformly (users search specific words): 50 % topic + place,
    // 30 % one topic word (broad: thousands to hundreds of thousands of matches), 20 % two words.
    const auto topic = [&] { return std::string(k_words[r.below(k_words.size())]); };
    const auto kind = r.below(10);
    if (kind < 5) q.text = topic() + " " + place(r.below(k_places));
    else if (kind < 8) q.text = topic();
    else q.text = topic() + " " + topic();
    if (r.below(10) < 3) {
        const double lon = -4 + r.unit() * 12, lat = 43 + r.unit() * 7;
        q.bbox = GeoBox{lon, lat, lon + 0.5, lat + 0.4};
    }
    if (r.below(4) == 0) q.themes = {std::string(k_themes[r.below(k_themes.size())])};
    if (r.below(20) < 3) q.years = {std::to_string(2000 + r.below(26))};
    if (r.below(10) == 0) q.open_data = true;
    q.sort = static_cast<SearchSort>(r.below(3));
    q.limit = 10;
    q.offset = r.below(4) == 0 ? 10 * r.below(5) : 0;
    return q;
}

}  // namespace geoplex::catalog::synthetic
