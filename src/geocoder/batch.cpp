// Batch CSV geocoding: one record in, one record out, so memory stays constant whatever the size.

#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "geoplex/core/error.hpp"
#include "geoplex/geocoder/geocoder.hpp"

namespace geoplex::geocoder {

namespace {

// Reads one CSV record (which may span lines inside quotes). False at the end of input.
bool read_record(std::istream& in, std::string& record, std::size_t& line_no) {
    record.clear();
    std::string line;
    bool in_quotes = false;
    bool any = false;
    while (std::getline(in, line)) {
        ++line_no;
        any = true;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        for (const char c : line)
            if (c == '"') in_quotes = !in_quotes;
        record += line;
        if (!in_quotes) return true;
        record.push_back('\n');
    }
    if (in_quotes) throw FormatError(fmt::format("CSV line {}: unterminated quoted field", line_no));
    return any;
}

std::vector<std::string> split(const std::string& record, char sep) {
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false;
    for (std::size_t i = 0; i < record.size(); ++i) {
        const char c = record[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < record.size() && record[i + 1] == '"') { cur.push_back('"'); ++i; }
                else quoted = false;
            } else {
                cur.push_back(c);
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == sep) {
            out.push_back(std::move(cur));
            cur.clear();
        } else {
            cur.push_back(c);
        }
    }
    out.push_back(std::move(cur));
    return out;
}

void write_field(std::ostream& out, std::string_view v, char sep) {
    if (v.find_first_of(std::string{sep, '"', '\n', '\r'}) == std::string_view::npos) {
        out << v;
        return;
    }
    out << '"';
    for (const char c : v) {
        if (c == '"') out << '"';
        out << c;
    }
    out << '"';
}

char detect(const std::string& header) {
    std::size_t best = 0;
    char sep = ',';
    for (const char c : {',', ';', '\t', '|'}) {
        const auto n = static_cast<std::size_t>(std::count(header.begin(), header.end(), c));
        if (n > best) { best = n; sep = c; }
    }
    return sep;
}

std::size_t column(const std::vector<std::string>& header, const std::string& name) {
    for (std::size_t i = 0; i < header.size(); ++i)
        if (header[i] == name) return i;
    throw InvalidArgument(fmt::format("the CSV has no column '{}' (columns: {})", name, fmt::join(header, ", ")));
}

template <class Geocode>
BatchStats run(std::istream& in, std::ostream& out, const BatchOptions& options, Geocode&& geocode,
               const std::function<void(const std::vector<std::string>&)>& prepare) {
    BatchStats stats;
    std::string record;
    std::size_t line_no = 0;
    if (!read_record(in, record, line_no)) throw InvalidArgument("the CSV is empty: a header row is needed");
    if (record.size() >= 3 && record.compare(0, 3, "\xEF\xBB\xBF") == 0) record.erase(0, 3);
    const char sep = options.delimiter != 0 ? options.delimiter : detect(record);
    const auto header = split(record, sep);
    prepare(header);
    out << record;
    for (const auto& c : batch_result_columns) out << sep << c;
    out << '\n';
    while (read_record(in, record, line_no)) {
        if (record.empty()) continue;
        if (options.max_rows != 0 && stats.rows >= options.max_rows)
            throw Error(errc::limit_exceeded, fmt::format("the CSV has more than {} rows", options.max_rows));
        ++stats.rows;
        const auto fields = split(record, sep);
        out << record;
        const std::optional<Result> r = geocode(fields);
        if (r) {
            ++stats.matched;
            out << sep << fmt::format("{:.6f}", r->position.lat) << sep << fmt::format("{:.6f}", r->position.lon) << sep;
            write_field(out, r->label, sep);
            out << sep << fmt::format("{:.4f}", r->score) << sep << to_string(r->type) << sep;
            write_field(out, r->id, sep);
            out << sep;
            write_field(out, r->housenumber, sep);
            out << sep;
            write_field(out, r->type == DocType::housenumber ? r->street : r->name, sep);
            out << sep;
            write_field(out, r->postcode, sep);
            out << sep;
            write_field(out, r->city, sep);
            out << sep;
            write_field(out, r->citycode, sep);
        } else {
            for (std::size_t i = 0; i < std::size(batch_result_columns); ++i) out << sep;
        }
        out << '\n';
    }
    return stats;
}

}  // namespace

BatchStats batch_search_csv(Query& query, std::istream& in, std::ostream& out, const BatchOptions& options) {
    std::vector<std::size_t> cols;
    std::size_t pc_col = std::size_t(-1), cc_col = std::size_t(-1);
    SearchRequest req;
    req.limit = 1;
    req.filters = options.filters;
    return run(in, out, options,
        [&](const std::vector<std::string>& f) -> std::optional<Result> {
            req.q.clear();
            for (const auto c : cols)
                if (c < f.size() && !f[c].empty()) (req.q.empty() ? req.q : req.q.append(" ")).append(f[c]);
            req.filters.postcodes = options.filters.postcodes;
            req.filters.citycodes = options.filters.citycodes;
            if (pc_col < f.size() && f[pc_col].size() == 5) req.filters.postcodes = {f[pc_col]};
            if (cc_col < f.size() && f[cc_col].size() == 5) req.filters.citycodes = {f[cc_col]};
            if (req.q.find_first_not_of(' ') == std::string::npos || !req.validate().empty()) return std::nullopt;
            auto results = query.search(req);
            if (results.empty()) return std::nullopt;
            return std::move(results.front());
        },
        [&](const std::vector<std::string>& header) {
            if (options.columns.empty()) {
                for (std::size_t i = 0; i < header.size(); ++i) cols.push_back(i);
            } else {
                for (const auto& c : options.columns) cols.push_back(column(header, c));
            }
            if (!options.postcode_column.empty()) pc_col = column(header, options.postcode_column);
            if (!options.citycode_column.empty()) cc_col = column(header, options.citycode_column);
        });
}

BatchStats batch_reverse_csv(Query& query, std::istream& in, std::ostream& out, const BatchOptions& options) {
    std::size_t lat_col = 0, lon_col = 0;
    ReverseRequest req;
    req.limit = 1;
    req.filters = options.filters;
    return run(in, out, options,
        [&](const std::vector<std::string>& f) -> std::optional<Result> {
            if (lat_col >= f.size() || lon_col >= f.size()) return std::nullopt;
            try {
                std::size_t n1 = 0, n2 = 0;
                req.point.lat = std::stod(f[lat_col], &n1);
                req.point.lon = std::stod(f[lon_col], &n2);
                if (n1 != f[lat_col].size() || n2 != f[lon_col].size()) return std::nullopt;
            } catch (const std::exception&) {
                return std::nullopt;  // an unreadable coordinate is an unmatched row, not a failure
            }
            if (!req.validate().empty()) return std::nullopt;
            auto results = query.reverse(req);
            if (results.empty()) return std::nullopt;
            return std::move(results.front());
        },
        [&](const std::vector<std::string>& header) {
            lat_col = column(header, options.lat_column);
            lon_col = column(header, options.lon_column);
        });
}

}  // namespace geoplex::geocoder
