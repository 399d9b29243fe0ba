// French-sounding names for the synthetic territory: communes, streets, river; AFNOR folding.

#include <array>
#include <cstdio>
#include <string>
#include <string_view>

#include "synth/layout.hpp"

namespace geoplex::synth::detail {
namespace {

template <std::size_t N>
const char* pick(const std::array<const char*, N>& list, std::uint64_t h) {
    return list[h % N];
}

constexpr std::array<const char*, 48> commune_roots = {
    "Saint-Amant", "Saint-Julien", "Sainte-Florine", "Saint-Germain", "Saint-Genès", "Saint-Flour",
    "Montferrand", "Châteauneuf", "Villeneuve", "Beaumont", "Chambon", "Aubière", "Champeix",
    "Besse", "Murol", "Vic", "Ardes", "Lempdes", "Brassac", "Chanonat", "Orcival", "Royat",
    "Olliergues", "Courpière", "Marsac", "Sauxillanges", "Vodable", "Issoire", "Mauriac", "Salers",
    "Allanche", "Condat", "Égliseneuve", "Picherande", "Tauves", "Pontgibaud", "Volvic", "Manzat",
    "Combronde", "Ennezat", "Maringues", "Lezoux", "Billom", "Vertaizon", "Cunlhat", "Arlanc",
    "Viverols", "La Chaise-Dieu"};
constexpr std::array<const char*, 16> commune_suffixes = {
    "", "-sur-Allier", "-les-Bains", "-le-Château", "-d'Auvergne", "-en-Velay", "-sur-Dore",
    "-la-Montagne", "-le-Vieux", "-les-Vignes", "-sur-Alagnon", "-de-Lizet", "-le-Haut",
    "-Chastel", "-en-Combrailles", "-sur-Couze"};

constexpr std::array<const char*, 8> street_types = {"Rue", "Rue", "Rue", "Avenue", "Chemin",
                                                     "Allée", "Boulevard", "Route"};
constexpr std::array<const char*, 72> street_specifics = {
    "de la République", "Jean Jaurès", "Victor Hugo", "des Vignes", "du Stade", "de la Gare",
    "Pasteur", "Jules Ferry", "de l'Église", "du Moulin", "des Écoles", "Gambetta",
    "Émile Zola", "de la Fontaine", "des Tilleuls", "du Château", "Georges Clemenceau",
    "du Général de Gaulle", "Jean Moulin", "de la Paix", "des Acacias", "du Puy de Dôme",
    "de la Liberté", "Anatole France", "du Lavoir", "des Jardins", "Blaise Pascal",
    "Marie Curie", "Louis Aragon", "Pierre et Marie Curie", "de la Croix", "des Prés",
    "du Marché", "des Peupliers", "des Chênes", "du Four", "de l'Abbaye", "Voltaire",
    "Jean de La Fontaine", "Alexandre Dumas", "des Granges", "de la Poste", "du Foirail",
    "des Tanneurs", "Vercingétorix", "de Gergovie", "des Volcans", "de la Source",
    "du Pont", "de la Rivière", "des Bruyères", "des Noyers", "Lafayette", "Desaix",
    "du 8 Mai 1945", "du 11 Novembre", "du 14 Juillet", "Henri Pourrat", "Michel de l'Hospital",
    "des Cerisiers", "des Sources", "Saint-Roch", "Sainte-Anne", "du Couvent", "de la Halle",
    "des Ormeaux", "de la Treille", "des Remparts", "Jean Rochon", "George Sand",
    "Antoine de Saint-Exupéry", "du Plateau"};
constexpr std::array<const char*, 8> street_qualifiers = {"",          "",        " Prolongée", " Haute",
                                                          " Basse",    " Nord",   " Sud",       " Neuve"};
constexpr std::array<const char*, 6> main_streets = {
    "Grande Rue", "Avenue de la République", "Boulevard Gambetta", "Rue Nationale",
    "Avenue Jean Jaurès", "Rue de la République"};
constexpr std::array<const char*, 16> impasse_specifics = {
    "des Lilas", "des Roses", "du Verger", "des Mésanges", "du Puits", "des Coquelicots",
    "des Hirondelles", "du Clos", "des Genêts", "des Aubépines", "du Pré Vert", "des Merisiers",
    "des Sorbiers", "du Moulin", "des Fauvettes", "de la Forge"};
constexpr std::array<const char*, 6> place_specifics = {"de la Mairie", "de l'Église", "du Marché",
                                                        "du Général de Gaulle", "de la Liberté",
                                                        "du Champ de Foire"};
constexpr std::array<const char*, 6> rivers = {"L'Alagnon", "La Couze", "La Sioule", "La Dore",
                                               "La Morge", "L'Ambène"};
constexpr std::array<int, 10> departements = {63, 15, 43, 3, 19, 23, 42, 12, 48, 7};

}  // namespace

std::string commune_name(std::uint64_t seed, std::uint32_t index) {
    constexpr std::uint32_t combos = commune_roots.size() * commune_suffixes.size();
    // A seed-dependent rotation keeps names unique up to `combos` communes.
    const std::uint32_t k = static_cast<std::uint32_t>((index + hash(seed, 0xc0e) % combos) % combos);
    // Spread suffixes: the first communes mostly get bare roots.
    std::string name = std::string(commune_roots[k % commune_roots.size()]) +
                       commune_suffixes[(k / commune_roots.size()) % commune_suffixes.size()];
    if (index >= combos) name += " " + std::to_string(index / combos + 1);
    return name;
}

std::string commune_insee(std::uint32_t index) {
    const int dep = departements[(index / 900) % departements.size()];
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02d%03u", dep, index % 900 + 1);
    return buf;
}

std::string commune_postcode(std::uint32_t index) {
    const int dep = departements[(index / 900) % departements.size()];
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02d%03u", dep, (index % 900 % 99 + 1) * 10);
    return buf;
}

std::string river_name(std::uint64_t seed) { return pick(rivers, hash(seed, 0x71e)); }

std::string StreetNamer::unique(std::string candidate) {
    if (m_used.insert(candidate).second) return candidate;
    for (int n = 2;; ++n) {
        std::string c = candidate + " " + std::to_string(n);
        if (m_used.insert(c).second) return c;
    }
}

std::string StreetNamer::main_street() {
    for (int tries = 0; tries < 12; ++tries) {
        std::string c = pick(main_streets, next());
        if (!m_used.contains(c)) return unique(std::move(c));
    }
    return street();
}

std::string StreetNamer::street() {
    for (int tries = 0; tries < 40; ++tries) {
        const std::uint64_t h = next();
        std::string c = std::string(pick(street_types, h)) + " " + pick(street_specifics, h >> 8) +
                        (tries < 20 ? "" : pick(street_qualifiers, h >> 20));
        if (!m_used.contains(c)) return unique(std::move(c));
    }
    return unique(std::string("Rue ") + pick(street_specifics, next()));
}

std::string StreetNamer::impasse() {
    for (int tries = 0; tries < 60; ++tries) {
        const std::uint64_t h = next();
        std::string c = std::string("Impasse ") + (tries < 10 ? pick(impasse_specifics, h) : pick(street_specifics, h)) +
                        (tries < 30 ? "" : pick(street_qualifiers, h >> 20));
        if (!m_used.contains(c)) return unique(std::move(c));
    }
    return unique(std::string("Impasse ") + pick(impasse_specifics, next()));
}

std::string StreetNamer::place() { return unique(std::string("Place ") + pick(place_specifics, next())); }

std::string afnor(std::string_view text) {
    // Folds the Latin-1 supplement letters used by French (UTF-8, two bytes: C3 xx).
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto ch = static_cast<unsigned char>(text[i]);
        if (ch == 0xC3 && i + 1 < text.size()) {
            const auto n = static_cast<unsigned char>(text[++i]);
            const unsigned lower = n | 0x20U;  // 0x80-0x9F upper ↔ 0xA0-0xBF lower
            char base = '?';
            if (lower >= 0xA0 && lower <= 0xA5) base = 'A';
            else if (lower == 0xA7) base = 'C';
            else if (lower >= 0xA8 && lower <= 0xAB) base = 'E';
            else if (lower >= 0xAC && lower <= 0xAF) base = 'I';
            else if (lower == 0xB1) base = 'N';
            else if (lower >= 0xB2 && lower <= 0xB6) base = 'O';
            else if (lower >= 0xB9 && lower <= 0xBC) base = 'U';
            else if (lower == 0xBD || lower == 0xBF) base = 'Y';
            out += base;
            continue;
        }
        if (ch == 0xC5 && i + 1 < text.size()) {  // œ / Œ
            ++i;
            out += "OE";
            continue;
        }
        if (ch == '\'' || ch == '-') out += ' ';
        else if (ch >= 'a' && ch <= 'z') out += static_cast<char>(ch - 'a' + 'A');
        else out += static_cast<char>(ch);
    }
    return out;
}

}  // namespace geoplex::synth::detail
