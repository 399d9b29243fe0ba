#pragma once
// French text normalisation shared by the index builder and the queries: both sides go through
// the same functions, so "Av. du Général de Gaulle" and "avenue du general de gaulle" meet.
//
//   fold()      Unicode NFKD, accents stripped, case folded (utf8proc), œ→oe, æ→ae, and every
//               character that is not a letter or a digit becomes a space.
//   tokenize()  fold(), split, then: "12bis"→"12" "bis", abbreviations and synonyms expanded
//               (av→avenue, bd→boulevard, st→saint, r→rue…), stop words dropped (de, la, l, d…),
//               postal noise dropped (cedex [nn], bp nn, tsa nn, cs nn).
//   parse_housenumber() recognises "12", "12 bis", "12b", "12 ter"… in any token position.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace geoplex::geocoder {

/// Accent- and case-folded text with punctuation turned into single spaces, trimmed.
[[nodiscard]] std::string fold(std::string_view utf8);

/// Tokens of `utf8` after folding, splitting, expansion of abbreviations and removal of stop
/// words and postal noise. Numbers stay tokens ("8", "mai", "1945").
[[nodiscard]] std::vector<std::string> tokenize(std::string_view utf8);

/// The canonical form of one folded token ("av" → "avenue", "st" → "saint"); the token itself
/// when it has none.
[[nodiscard]] std::string_view expand_abbreviation(std::string_view folded_token) noexcept;

/// True for words that carry no meaning for matching ("de", "la", "l", "d", "du", "des"…).
[[nodiscard]] bool is_stop_word(std::string_view folded_token) noexcept;

/// Canonical house-number suffix of a folded token: "bis", "ter", "quater" (also "qua"),
/// "quinquies", "quinter", "sexter", or a
/// single letter "a".."z"; nullopt when the token is not a suffix. "b"→"b" (letter B, as BAN
/// keeps it distinct from "bis"); queries fall back from "b" to "bis" when "b" does not exist.
[[nodiscard]] std::optional<std::string_view> housenumber_suffix(std::string_view folded_token) noexcept;

/// A house number: the integer part and its canonical suffix ("" when none).
struct HouseNumber {
    std::uint32_t number = 0;
    std::string suffix;
    friend bool operator==(const HouseNumber&, const HouseNumber&) = default;
};

/// Parses "12", "12 bis", "12bis", "12-B", "12 T" (folded or not). nullopt when `text` is not a
/// house number (more than 5 digits, no digits, trailing words).
[[nodiscard]] std::optional<HouseNumber> parse_housenumber(std::string_view text);

/// Damerau–Levenshtein distance (adjacent transpositions cost 1), stopping early: returns
/// `max + 1` as soon as the distance is known to exceed `max`.
[[nodiscard]] unsigned edit_distance(std::string_view a, std::string_view b, unsigned max);

}  // namespace geoplex::geocoder
