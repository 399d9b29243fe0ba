// Text analysis shared by indexing and queries (both stores), and SearchQuery validation.
#include "geoplex/catalog/search.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string_view>
#include <unordered_map>

#include <libstemmer.h>
#include <utf8proc.h>

namespace geoplex::catalog {

namespace {

bool is_word_char(utf8proc_int32_t cp) {
    switch (utf8proc_category(cp)) {
        case UTF8PROC_CATEGORY_LU:
        case UTF8PROC_CATEGORY_LL:
        case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM:
        case UTF8PROC_CATEGORY_LO:
        case UTF8PROC_CATEGORY_ND:
        case UTF8PROC_CATEGORY_NL:
        case UTF8PROC_CATEGORY_NO: return true;
        default: return false;
    }
}

// French function words: they carry no meaning for matching (folded spellings).
constexpr std::array<std::string_view, 56> k_stop_words{
    "a",    "au",   "aux",  "avec", "c",     "ce",   "ces",  "cet",    "cette", "d",    "dans", "de",
    "des",  "du",   "elle", "elles", "en",   "est",  "et",   "il",     "ils",   "j",    "l",    "la",
    "le",   "les",  "leur", "leurs", "lui",  "m",    "ma",   "mes",    "n",     "ne",   "nos",  "notre",
    "on",   "ou",   "par",  "pas",  "pour",  "qu",   "que",  "qui",    "s",     "sa",   "se",   "ses",
    "son",  "sur",  "t",    "un",   "une",   "vos",  "votre", "y"};

bool is_stop_word(std::string_view w) {
    return std::find(k_stop_words.begin(), k_stop_words.end(), w) != k_stop_words.end();
}

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

struct StemmerDeleter {
    void operator()(sb_stemmer* s) const noexcept { sb_stemmer_delete(s); }
};

}  // namespace

namespace {

bool is_ascii_separator(unsigned char c) { return c < 0x80 && !std::isalnum(c); }

/// Appends `c` to `out`, collapsing runs of spaces and dropping leading ones.
void put_folded(std::string& out, char c) {
    if (c == ' ' && (out.empty() || out.back() == ' ')) return;
    out.push_back(c);
}

/// Folds one run without ASCII separators through utf8proc; false when it is not UTF-8.
bool fold_run(std::string_view run, std::string& out) {
    utf8proc_uint8_t* mapped = nullptr;
    const auto options = static_cast<utf8proc_option_t>(UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
                                                        UTF8PROC_STRIPMARK | UTF8PROC_IGNORE);
    const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(run.data()),
                                static_cast<utf8proc_ssize_t>(run.size()), &mapped, options);
    if (n < 0) return false;
    std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> guard(mapped, &std::free);
    utf8proc_ssize_t i = 0;
    while (i < n) {
        utf8proc_int32_t cp = 0;
        const auto len = utf8proc_iterate(mapped + i, n - i, &cp);
        if (len <= 0) break;
        if (cp == 0x153) out += "oe";       // œ
        else if (cp == 0xE6) out += "ae";   // æ
        else if (is_word_char(cp)) out.append(reinterpret_cast<const char*>(mapped + i), static_cast<std::size_t>(len));
        else put_folded(out, ' ');
        i += len;
    }
    return true;
}

}  // namespace

std::string fold(std::string_view text) {
    // Runs are split at ASCII separators (they fold to a space, and no composition, case folding
    // or mark stripping crosses them): pure-ASCII runs are lower-cased byte by byte, the others
    // go through utf8proc. Same result as mapping the whole text at once.
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto c = static_cast<unsigned char>(text[pos]);
        if (is_ascii_separator(c)) {
            put_folded(out, ' ');
            ++pos;
            continue;
        }
        std::size_t end = pos;
        bool ascii = true;
        while (end < text.size() && !is_ascii_separator(static_cast<unsigned char>(text[end]))) {
            ascii = ascii && static_cast<unsigned char>(text[end]) < 0x80;
            ++end;
        }
        if (ascii) {
            for (std::size_t k = pos; k < end; ++k)
                out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(text[k]))));
        } else if (!fold_run(text.substr(pos, end - pos), out)) {
            // Not UTF-8: keep ASCII letters and digits only (lower-cased); everything else separates.
            out.clear();
            for (unsigned char b : text) put_folded(out, std::isalnum(b) ? static_cast<char>(std::tolower(b)) : ' ');
            break;
        }
        pos = end;
    }
    if (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

std::vector<std::string> analyze(std::string_view text) {
    thread_local std::unique_ptr<sb_stemmer, StemmerDeleter> stemmer(sb_stemmer_new("french", "UTF_8"));
    // Stemming is a pure function of the word and costs more than the lookup (bulk imports
    // analyse the same few thousand words over and over).
    thread_local std::unordered_map<std::string, std::string, StringHash, std::equal_to<>> stems;
    std::vector<std::string> terms;
    const std::string folded = fold(text);
    std::size_t pos = 0;
    while (pos < folded.size()) {
        std::size_t end = folded.find(' ', pos);
        if (end == std::string::npos) end = folded.size();
        const std::string_view word(folded.data() + pos, end - pos);
        pos = end + 1;
        if (word.empty() || is_stop_word(word)) continue;
        if (const auto hit = stems.find(word); hit != stems.end()) {
            terms.push_back(hit->second);
            continue;
        }
        if (stemmer) {
            const sb_symbol* s = sb_stemmer_stem(stemmer.get(), reinterpret_cast<const sb_symbol*>(word.data()),
                                                 static_cast<int>(word.size()));
            if (s) {
                terms.emplace_back(reinterpret_cast<const char*>(s), static_cast<std::size_t>(sb_stemmer_length(stemmer.get())));
                if (stems.size() >= 100'000) stems.clear();  // bounded; vocabularies repeat a lot
                stems.emplace(std::string(word), terms.back());
                continue;
            }
        }
        terms.emplace_back(word);
    }
    return terms;
}

const std::vector<std::string>& facet_names() {
    static const std::vector<std::string> names{"theme", "producer", "format", "licence", "keyword", "year"};
    return names;
}

std::vector<std::string> SearchQuery::validate() const {
    std::vector<std::string> problems;
    if (limit > 1000) problems.emplace_back("limit must be at most 1000");
    if (facet_limit > 1000) problems.emplace_back("facet_limit must be at most 1000");
    if (bbox) {
        const auto& b = *bbox;
        if (!(b.west <= b.east) || !(b.south <= b.north))
            problems.emplace_back("bbox must have west <= east and south <= north");
        if (b.west < -180 || b.east > 180 || b.south < -90 || b.north > 90)
            problems.emplace_back("bbox must lie within [-180,180] x [-90,90]");
    }
    if (text.size() > 4096) problems.emplace_back("text must be at most 4096 bytes");
    for (const auto* values : {&themes, &producers, &formats, &licences, &keywords, &years})
        for (const auto& v : *values)
            if (v.empty()) {
                problems.emplace_back("filter values must not be empty");
                break;
            }
    for (const auto& y : years)
        if (y.size() != 4 || !std::all_of(y.begin(), y.end(), [](char c) { return c >= '0' && c <= '9'; }))
            problems.emplace_back("year '" + y + "' must be four digits");
    return problems;
}

}  // namespace geoplex::catalog
