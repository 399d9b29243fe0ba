// French text normalisation (see include/geoplex/geocoder/text.hpp).

#include "geoplex/geocoder/text.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <utility>

#include <utf8proc.h>

namespace geoplex::geocoder {

namespace {

struct Pair {
    std::string_view from;
    std::string_view to;
};

// Sorted by `from` (checked by a test through expand_abbreviation). Street types first, then
// titles and saints: the forms La Poste's address standard (AFNOR NF Z10-011) abbreviates, plus
// the spellings users type.
constexpr std::array abbreviations = std::to_array<Pair>({
    {"all", "allee"},        {"av", "avenue"},       {"ave", "avenue"},      {"bd", "boulevard"},
    {"bld", "boulevard"},    {"blvd", "boulevard"},  {"boul", "boulevard"},  {"bvd", "boulevard"},
    {"cdt", "commandant"},   {"ch", "chemin"},       {"che", "chemin"},      {"chem", "chemin"},
    {"cit", "cite"},         {"cpt", "capitaine"},   {"crs", "cours"},       {"dr", "docteur"},
    {"fbg", "faubourg"},     {"fg", "faubourg"},     {"gal", "general"},     {"gen", "general"},
    {"gl", "general"},       {"hab", "habitation"},  {"imp", "impasse"},     {"lot", "lotissement"},
    {"lt", "lieutenant"},    {"mal", "marechal"},    {"mgr", "monseigneur"}, {"mte", "montee"},
    {"pas", "passage"},     {"pass", "passage"},    {"pdt", "president"},
    {"pl", "place"},         {"pr", "professeur"},   {"prof", "professeur"}, {"prom", "promenade"},
    {"psg", "passage"},      {"pte", "porte"},       {"qu", "quai"},         {"r", "rue"},
    {"res", "residence"},    {"rle", "ruelle"},      {"rpt", "rondpoint"},   {"rte", "route"},
    {"sen", "sente"},        {"sent", "sentier"},    {"sq", "square"},       {"st", "saint"},
    {"ste", "sainte"},       {"ter", "terrasse"},    {"vla", "villa"},       {"vte", "vieille"},
});

constexpr std::array stop_words = std::to_array<std::string_view>({
    "a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "sur",
});

// Postal noise: the token and how many following number tokens it swallows.
bool is_postal_noise(std::string_view t) { return t == "cedex" || t == "bp" || t == "tsa" || t == "cs"; }

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void append_codepoint(std::string& out, utf8proc_int32_t cp) {
    utf8proc_uint8_t buf[4];
    const auto n = utf8proc_encode_char(cp, buf);
    out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
}

}  // namespace

std::string fold(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    bool pending_space = false;
    const auto emit = [&](std::string_view piece) {
        if (pending_space && !out.empty()) out.push_back(' ');
        pending_space = false;
        out.append(piece);
    };
    // Fast path for ASCII; utf8proc for everything else (decompose, strip marks, case fold).
    std::size_t i = 0;
    while (i < in.size()) {
        const auto c = static_cast<unsigned char>(in[i]);
        if (c < 0x80) {
            if (c >= 'A' && c <= 'Z') {
                const char lc = static_cast<char>(c - 'A' + 'a');
                emit(std::string_view(&lc, 1));
            } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                emit(std::string_view(&in[i], 1));
            } else {
                pending_space = true;
            }
            ++i;
            continue;
        }
        utf8proc_int32_t cp = 0;
        const auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(in.data() + i),
                                        static_cast<utf8proc_ssize_t>(in.size() - i), &cp);
        if (n <= 0) {  // invalid UTF-8: treat the byte as a separator rather than failing
            pending_space = true;
            ++i;
            continue;
        }
        i += static_cast<std::size_t>(n);
        if (cp == 0x0153 || cp == 0x0152) { emit("oe"); continue; }  // œ Œ have no decomposition
        if (cp == 0x00E6 || cp == 0x00C6) { emit("ae"); continue; }
        if (cp == 0x2019 || cp == 0x2018) { pending_space = true; continue; }  // typographic apostrophes
        utf8proc_int32_t decomposed[8];
        int last_boundclass = 0;
        const auto m = utf8proc_decompose_char(
            cp, decomposed, 8,
            static_cast<utf8proc_option_t>(UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK | UTF8PROC_CASEFOLD),
            &last_boundclass);
        if (m <= 0 || m > 8) { pending_space = true; continue; }
        for (utf8proc_ssize_t k = 0; k < m; ++k) {
            const auto d = decomposed[k];
            const auto cat = utf8proc_category(d);
            const bool letter = cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL || cat == UTF8PROC_CATEGORY_LT ||
                                cat == UTF8PROC_CATEGORY_LO || cat == UTF8PROC_CATEGORY_LM;
            const bool digit = cat == UTF8PROC_CATEGORY_ND;
            if (letter || digit) {
                if (d < 0x80) {
                    const char ch = static_cast<char>(d >= 'A' && d <= 'Z' ? d - 'A' + 'a' : d);
                    emit(std::string_view(&ch, 1));
                } else {
                    std::string tmp;
                    append_codepoint(tmp, utf8proc_tolower(d));
                    emit(tmp);
                }
            } else if (cat != UTF8PROC_CATEGORY_MN && cat != UTF8PROC_CATEGORY_MC && cat != UTF8PROC_CATEGORY_ME) {
                pending_space = true;
            }
        }
    }
    return out;
}

std::string_view expand_abbreviation(std::string_view t) noexcept {
    const auto it = std::lower_bound(abbreviations.begin(), abbreviations.end(), t,
                                     [](const Pair& p, std::string_view v) { return p.from < v; });
    if (it != abbreviations.end() && it->from == t) return it->to;
    return t;
}

bool is_stop_word(std::string_view t) noexcept {
    return std::binary_search(stop_words.begin(), stop_words.end(), t);
}

std::optional<std::string_view> housenumber_suffix(std::string_view t) noexcept {
    if (t == "bis" || t == "ter" || t == "quater" || t == "quinquies" || t == "quinter" || t == "sexter") return t;
    if (t == "qua") return std::string_view("quater");
    if (t.size() == 1 && t[0] >= 'a' && t[0] <= 'z') return t;
    return std::nullopt;
}

std::vector<std::string> tokenize(std::string_view utf8) {
    const std::string folded = fold(utf8);
    std::vector<std::string> raw;
    std::size_t pos = 0;
    while (pos < folded.size()) {
        std::size_t end = folded.find(' ', pos);
        if (end == std::string::npos) end = folded.size();
        std::string_view tok(folded.data() + pos, end - pos);
        // "12bis" / "12b": a number glued to its suffix becomes two tokens.
        std::size_t d = 0;
        while (d < tok.size() && tok[d] >= '0' && tok[d] <= '9') ++d;
        if (d > 0 && d < tok.size() && d <= 5 && housenumber_suffix(tok.substr(d))) {
            raw.emplace_back(tok.substr(0, d));
            raw.emplace_back(tok.substr(d));
        } else if (!tok.empty()) {
            raw.emplace_back(tok);
        }
        pos = end + 1;
    }
    std::vector<std::string> out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        const std::string& t = raw[i];
        if (is_postal_noise(t)) {
            // "CEDEX 09", "BP 123", "TSA 70011": drop the word and one number after it.
            if (i + 1 < raw.size() && all_digits(raw[i + 1]) && raw[i + 1].size() <= 5) ++i;
            continue;
        }
        const bool after_number = i > 0 && all_digits(raw[i - 1]) && raw[i - 1].size() <= 5;
        if (after_number && t.size() == 1 && t[0] >= 'a' && t[0] <= 'g') {
            out.push_back(t);  // a suffix letter ("12 a"), not the stop word "a"
            continue;
        }
        if (after_number && t.size() > 1 && housenumber_suffix(t)) {
            out.push_back(t);  // "ter" is a suffix here, not "terrasse"
            continue;
        }
        if (is_stop_word(t)) continue;
        out.emplace_back(expand_abbreviation(t));
    }
    return out;
}

std::optional<HouseNumber> parse_housenumber(std::string_view text) {
    const auto toks = tokenize(text);
    if (toks.empty() || toks.size() > 2 || !all_digits(toks[0]) || toks[0].size() > 5) return std::nullopt;
    HouseNumber hn;
    hn.number = static_cast<std::uint32_t>(std::strtoul(toks[0].c_str(), nullptr, 10));
    if (toks.size() == 2) {
        const auto s = housenumber_suffix(toks[1]);
        if (!s) return std::nullopt;
        hn.suffix = std::string(*s);
    }
    return hn;
}

unsigned edit_distance(std::string_view a, std::string_view b, unsigned max) {
    const std::size_t n = a.size();
    const std::size_t m = b.size();
    const std::size_t diff = n > m ? n - m : m - n;
    if (diff > max) return max + 1;
    // Three rows of the optimal-string-alignment matrix; strings here are short tokens.
    std::array<unsigned, 64> r0{};
    std::array<unsigned, 64> r1{};
    std::array<unsigned, 64> r2{};
    if (m + 1 > r0.size()) return max + 1;
    unsigned* prev2 = r0.data();
    unsigned* prev = r1.data();
    unsigned* cur = r2.data();
    for (std::size_t j = 0; j <= m; ++j) prev[j] = static_cast<unsigned>(j);
    for (std::size_t i = 1; i <= n; ++i) {
        cur[0] = static_cast<unsigned>(i);
        unsigned row_min = cur[0];
        for (std::size_t j = 1; j <= m; ++j) {
            const unsigned cost = a[i - 1] == b[j - 1] ? 0U : 1U;
            unsigned v = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) v = std::min(v, prev2[j - 2] + 1);
            cur[j] = v;
            row_min = std::min(row_min, v);
        }
        if (row_min > max) return max + 1;
        std::swap(prev2, prev);
        std::swap(prev, cur);
    }
    return std::min(prev[m], max + 1);
}

}  // namespace geoplex::geocoder
