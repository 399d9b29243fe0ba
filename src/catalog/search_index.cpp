// The in-memory dataset search (see search_index.hpp).
#include "search_index.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace geoplex::catalog::detail {

namespace {

/// The first 16 bytes of `s` as two big-endian integers: comparing keys compares those bytes as
/// unsigned (memcmp) order; equal keys fall back to the whole strings.
std::array<std::uint64_t, 2> prefix_key(std::string_view s) {
    std::array<std::uint64_t, 2> key{};
    unsigned char buf[16]{};
    std::memcpy(buf, s.data(), std::min<std::size_t>(s.size(), 16));
    for (int k = 0; k < 2; ++k) {
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v = (v << 8) | buf[k * 8 + i];
        key[static_cast<std::size_t>(k)] = v;
    }
    return key;
}

/// <0, 0, >0 like memcmp, by prefix keys then the whole strings.
int compare_keys(const std::array<std::uint64_t, 2>& ka, const std::array<std::uint64_t, 2>& kb, const std::string& a,
                 const std::string& b) {
    if (ka[0] != kb[0]) return ka[0] < kb[0] ? -1 : 1;
    if (ka[1] != kb[1]) return ka[1] < kb[1] ? -1 : 1;
    return a.compare(b);
}

/// Calls fn(token) for each space-separated token of `text`.
template <class Fn>
void for_each_token(const std::string& text, Fn&& fn) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find(' ', pos);
        if (end == std::string::npos) end = text.size();
        if (end > pos) fn(std::string_view(text.data() + pos, end - pos));
        pos = end + 1;
    }
}

struct List {
    const std::uint32_t* seqs = nullptr;
    std::size_t size = 0;
    const std::uint32_t* freqs = nullptr;  ///< term lists only
    int term = -1;                         ///< index into the query's terms, -1 = a filter
    std::size_t pos = 0;

    /// Moves pos to the first element ≥ target (galloping from the current position).
    void seek(std::uint32_t target) {
        if (pos >= size || seqs[pos] >= target) return;
        std::size_t lo = pos, step = 1;  // seqs[lo] < target
        while (lo + step < size && seqs[lo + step] < target) {
            lo += step;
            step *= 2;
        }
        const std::size_t hi = std::min(lo + step, size);
        pos = static_cast<std::size_t>(std::lower_bound(seqs + lo + 1, seqs + hi, target) - seqs);
    }
};

/// A coordinate on the grid of the pre-check: floor (`up` false) or ceiling of its position in
/// [lo, lo + span] scaled to 0 … 65 535 (monotonic, so comparisons on the grid never reject a box
/// that the exact test accepts).
std::uint16_t grid(double v, double lo, double span, bool up) {
    if (std::isnan(v)) return up ? 65535 : 0;
    const double x = (v - lo) / span * 65535.0;
    if (!(x > 0)) return 0;
    if (x >= 65535) return 65535;
    return static_cast<std::uint16_t>(up ? std::ceil(x) : std::floor(x));
}

/// The `k` best of candidates 0 … n-1 under `better` (a strict weak order: better(a, b) = a comes
/// first), best first: a bounded heap whose front is the worst kept, so most candidates of a
/// large match set cost one comparison with it.
template <class Better>
void top_k(std::size_t n, std::size_t k, Better better, std::vector<std::uint32_t>& out) {
    out.clear();
    if (k == 0) return;
    out.reserve(std::min(n, k));
    for (std::uint32_t i = 0; i < n; ++i) {
        if (out.size() < k) {
            out.push_back(i);
            std::push_heap(out.begin(), out.end(), better);
        } else if (better(i, out.front())) {
            std::pop_heap(out.begin(), out.end(), better);
            out.back() = i;
            std::push_heap(out.begin(), out.end(), better);
        }
    }
    std::sort_heap(out.begin(), out.end(), better);
}

/// Per-thread buffers of a search (a broad query's match set is reused, not reallocated and
/// page-faulted in on every query).
struct Scratch {
    std::vector<std::uint32_t> matches, counts, order;
    std::vector<double> scores;
};

Scratch& scratch() {
    thread_local Scratch s;
    return s;
}

}  // namespace

void SearchIndex::clear() {
    m_attr.clear();
    m_live_bits.clear();
    m_box.clear();
    m_qbox.clear();
    m_tokens.clear();
    m_facet_span.clear();
    m_term_span.clear();
    m_modified_key.clear();
    m_title_key.clear();
    m_id_key.clear();
    m_ids.clear();
    m_modified.clear();
    m_titles.clear();
    m_datastores.clear();
    m_live = 0;
    m_facet_ids.clear();
    m_facet_names.clear();
    m_facet_postings.clear();
    m_facet_pool.clear();
    m_term_ids.clear();
    m_term_postings.clear();
    m_term_pool.clear();
    m_rows = 0;
    m_tokens_total = 0;
    last_change = -1;
}

void SearchIndex::ensure(std::int64_t seq) {
    const auto i = static_cast<std::size_t>(seq);
    if (i < m_attr.size()) return;
    const auto n = std::max(i + 1, m_attr.size() + m_attr.size() / 2);
    m_attr.resize(n);
    m_live_bits.resize((n + 63) / 64);
    m_box.resize(n);
    m_qbox.resize(n);
    m_tokens.resize(n);
    m_facet_span.resize(n);
    m_term_span.resize(n);
    m_modified_key.resize(n);
    m_title_key.resize(n);
    m_id_key.resize(n);
    m_ids.resize(n);
    m_modified.resize(n);
    m_titles.resize(n);
}

void SearchIndex::insert_sorted(std::vector<std::uint32_t>& seqs, std::vector<std::uint32_t>* freqs, std::uint32_t seq,
                                std::uint32_t freq) {
    if (seqs.empty() || seqs.back() < seq) {  // imports and new datasets: appends
        seqs.push_back(seq);
        if (freqs) freqs->push_back(freq);
        return;
    }
    const auto it = std::lower_bound(seqs.begin(), seqs.end(), seq);
    const auto at = it - seqs.begin();
    if (it != seqs.end() && *it == seq) {
        if (freqs) (*freqs)[static_cast<std::size_t>(at)] = freq;
        return;
    }
    seqs.insert(it, seq);
    if (freqs) freqs->insert(freqs->begin() + at, freq);
}

void SearchIndex::erase_sorted(std::vector<std::uint32_t>& seqs, std::vector<std::uint32_t>* freqs, std::uint32_t seq) {
    const auto it = std::lower_bound(seqs.begin(), seqs.end(), seq);
    if (it == seqs.end() || *it != seq) return;
    const auto at = it - seqs.begin();
    seqs.erase(it);
    if (freqs) freqs->erase(freqs->begin() + at);
}

void SearchIndex::set_row(const Row& row) {
    ensure(row.seq);
    const auto i = static_cast<std::size_t>(row.seq);
    Attr& a = m_attr[i];
    if (!(a.flags & k_live)) ++m_live;
    m_live_bits[i / 64] |= std::uint64_t{1} << (i % 64);
    a.flags = static_cast<std::uint8_t>((a.flags & k_text) | k_live);
    m_ids[i] = row.id;
    m_id_key[i] = prefix_key(row.id);
    if (row.modified) a.flags |= k_modified;
    m_modified[i] = row.modified.value_or("");
    m_modified_key[i] = prefix_key(m_modified[i]);
    m_titles[i] = row.title_sort;
    m_title_key[i] = prefix_key(row.title_sort);
    m_box[i] = Box{};
    m_qbox[i] = QBox{};
    if (row.bbox) {
        a.flags |= k_bbox;
        const auto& b = *row.bbox;
        m_box[i] = Box{b.west, b.south, b.east, b.north};
        m_qbox[i] = QBox{grid(b.west, -180, 360, false), grid(b.south, -90, 180, false), grid(b.east, -180, 360, true),
                         grid(b.north, -90, 180, true)};
    }
    a.open_data = static_cast<std::int8_t>(row.open_data);
    a.sharing = -1;
    for (auto v : {Sharing::private_, Sharing::community, Sharing::public_})
        if (row.sharing && *row.sharing == to_string(v)) a.sharing = static_cast<std::int8_t>(v);
    a.datastore = 0;
    if (row.datastore)
        a.datastore = m_datastores.emplace(*row.datastore, static_cast<std::uint32_t>(m_datastores.size() + 1)).first->second;
}

void SearchIndex::add_facet(std::int64_t seq, const std::string& facet, const std::string& value) {
    std::string key = facet;
    key += '\0';
    key += value;
    auto [it, inserted] = m_facet_ids.emplace(std::move(key), static_cast<std::uint32_t>(m_facet_names.size()));
    if (inserted) {
        m_facet_names.emplace_back(facet, value);
        m_facet_postings.emplace_back();
    }
    ensure(seq);
    Span& span = m_facet_span[static_cast<std::size_t>(seq)];
    // Distinct per dataset, like the posting lists (counting over the complement relies on it).
    for (std::uint32_t k = 0; k < span.count; ++k)
        if (m_facet_pool[span.begin + k] == it->second) return;
    if (span.count > 0 && span.begin + span.count != m_facet_pool.size()) {
        // Not the last run of the pool: move this dataset's run to the end (the old one is garbage).
        const auto begin = static_cast<std::uint32_t>(m_facet_pool.size());
        for (std::uint32_t k = 0; k < span.count; ++k) m_facet_pool.push_back(m_facet_pool[span.begin + k]);
        span.begin = begin;
    }
    if (span.count == 0) span.begin = static_cast<std::uint32_t>(m_facet_pool.size());
    m_facet_pool.push_back(it->second);
    ++span.count;
    insert_sorted(m_facet_postings[it->second], nullptr, static_cast<std::uint32_t>(seq), 0);
}

void SearchIndex::set_text(std::int64_t seq, const std::string& title, const std::string& keywords,
                           const std::string& abstract) {
    ensure(seq);
    const auto i = static_cast<std::size_t>(seq);
    if (m_attr[i].flags & k_text) return;  // remove() first
    // Weighted frequency per distinct term, in first-seen order.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> freq;
    std::uint32_t tokens = 0;
    const std::pair<const std::string*, std::uint32_t> columns[] = {{&title, 10}, {&keywords, 5}, {&abstract, 1}};
    for (const auto& [text, weight] : columns)
        for_each_token(*text, [&, w = weight](std::string_view token) {
            ++tokens;
            auto [it, inserted] = m_term_ids.try_emplace(std::string(token), static_cast<std::uint32_t>(m_term_postings.size()));
            if (inserted) m_term_postings.emplace_back();
            const auto f = std::find_if(freq.begin(), freq.end(), [id = it->second](const auto& p) { return p.first == id; });
            if (f == freq.end()) freq.emplace_back(it->second, w);
            else f->second += w;
        });
    m_attr[i].flags |= k_text;
    m_tokens[i] = tokens;
    m_term_span[i] = Span{static_cast<std::uint32_t>(m_term_pool.size()), static_cast<std::uint32_t>(freq.size())};
    for (const auto& [id, f] : freq) {
        m_term_pool.push_back(id);
        auto& p = m_term_postings[id];
        insert_sorted(p.seqs, &p.freqs, static_cast<std::uint32_t>(seq), f);
    }
    ++m_rows;
    m_tokens_total += tokens;
}

void SearchIndex::remove(std::int64_t seq) {
    if (seq < 0 || static_cast<std::size_t>(seq) >= m_attr.size()) return;
    const auto i = static_cast<std::size_t>(seq);
    const auto s = static_cast<std::uint32_t>(seq);
    const Span facets = m_facet_span[i];
    for (std::uint32_t k = 0; k < facets.count; ++k) erase_sorted(m_facet_postings[m_facet_pool[facets.begin + k]], nullptr, s);
    if (m_attr[i].flags & k_text) {
        const Span terms = m_term_span[i];
        for (std::uint32_t k = 0; k < terms.count; ++k) {
            auto& p = m_term_postings[m_term_pool[terms.begin + k]];
            erase_sorted(p.seqs, &p.freqs, s);
        }
        --m_rows;
        m_tokens_total -= m_tokens[i];
    }
    if (m_attr[i].flags & k_live) --m_live;
    m_live_bits[i / 64] &= ~(std::uint64_t{1} << (i % 64));
    m_attr[i] = Attr{};
    m_box[i] = Box{};
    m_qbox[i] = QBox{};
    m_tokens[i] = 0;
    m_facet_span[i] = Span{};
    m_term_span[i] = Span{};
    m_modified_key[i] = m_title_key[i] = m_id_key[i] = Key{};
    m_ids[i].clear();
    m_modified[i].clear();
    m_titles[i].clear();
}

bool SearchIndex::before(std::uint32_t a, std::uint32_t b, SearchSort sort) const {
    int c = 0;
    if (sort == SearchSort::title) {
        c = compare_keys(m_title_key[a], m_title_key[b], m_titles[a], m_titles[b]);
    } else {  // modified, newest first; NULL sorts last (SQLite: NULL is the smallest value)
        const bool ha = m_attr[a].flags & k_modified, hb = m_attr[b].flags & k_modified;
        if (ha != hb) return ha;
        if (ha) c = -compare_keys(m_modified_key[a], m_modified_key[b], m_modified[a], m_modified[b]);
    }
    if (c != 0) return c < 0;
    return compare_keys(m_id_key[a], m_id_key[b], m_ids[a], m_ids[b]) < 0;
}

void SearchIndex::count_facets(const std::vector<std::uint32_t>& matches, std::vector<std::uint32_t>& counts) const {
    counts.assign(m_facet_names.size(), 0);
    if (matches.size() * 2 <= m_live) {
        for (const auto seq : matches) {
            const Span span = m_facet_span[seq];
            for (std::uint32_t k = 0; k < span.count; ++k) ++counts[m_facet_pool[span.begin + k]];
        }
        return;
    }
    // Most datasets match: count the others and subtract from the totals (the posting lists'
    // sizes: a dataset's facet ids are distinct, and every match is a dataset of those lists).
    for (std::size_t id = 0; id < counts.size(); ++id) counts[id] = static_cast<std::uint32_t>(m_facet_postings[id].size());
    std::size_t next = 0;
    for (std::uint32_t seq = 0; seq < m_facet_span.size(); ++seq) {
        if (next < matches.size() && matches[next] == seq) {
            ++next;
            continue;
        }
        const Span span = m_facet_span[seq];
        for (std::uint32_t k = 0; k < span.count; ++k) --counts[m_facet_pool[span.begin + k]];
    }
}

std::uint64_t SearchIndex::search(const SearchQuery& q, const std::vector<std::string>& terms,
                                  std::map<std::string, std::vector<FacetCount>>& facets, std::vector<PageEntry>& page) const {
    // ---- the conditions as sorted seq lists ----
    std::vector<List> lists;
    std::vector<std::vector<std::uint32_t>> unions;
    unions.reserve(6);  // pointers into them stay valid
    for (std::size_t i = 0; i < terms.size(); ++i) {
        const auto it = m_term_ids.find(terms[i]);
        if (it == m_term_ids.end()) return 0;
        const auto& p = m_term_postings[it->second];
        if (p.seqs.empty()) return 0;
        lists.push_back(List{p.seqs.data(), p.seqs.size(), p.freqs.data(), static_cast<int>(i)});
    }
    const std::pair<const char*, const std::vector<std::string>*> filters[] = {
        {"theme", &q.themes},     {"producer", &q.producers}, {"format", &q.formats},
        {"licence", &q.licences}, {"keyword", &q.keywords},   {"year", &q.years}};
    for (const auto& [facet, values] : filters) {
        if (values->empty()) continue;
        std::vector<const std::vector<std::uint32_t>*> parts;
        for (const auto& v : *values) {
            std::string key = facet;
            key += '\0';
            key += v;
            const auto it = m_facet_ids.find(key);
            if (it != m_facet_ids.end() && !m_facet_postings[it->second].empty()) parts.push_back(&m_facet_postings[it->second]);
        }
        std::sort(parts.begin(), parts.end());
        parts.erase(std::unique(parts.begin(), parts.end()), parts.end());
        if (parts.empty()) return 0;
        if (parts.size() == 1) {
            lists.push_back(List{parts[0]->data(), parts[0]->size()});
            continue;
        }
        auto& u = unions.emplace_back();
        for (const auto* p : parts) u.insert(u.end(), p->begin(), p->end());
        std::sort(u.begin(), u.end());
        u.erase(std::unique(u.begin(), u.end()), u.end());
        lists.push_back(List{u.data(), u.size()});
    }
    std::sort(lists.begin(), lists.end(), [](const List& a, const List& b) { return a.size < b.size; });

    // ---- the remaining conditions, per candidate ----
    std::uint32_t datastore = 0;
    if (!q.datastore.empty()) {
        const auto it = m_datastores.find(q.datastore);
        if (it == m_datastores.end()) return 0;
        datastore = it->second;
    }
    const int open_data = q.open_data ? (*q.open_data ? 1 : 0) : -1;
    // Cheapest first: the live bit (a bitset in cache), the box on its grid (8 bytes), then the
    // exact box and the per-dataset attributes only when the query needs them.
    const bool attrs = open_data >= 0 || datastore || q.sharing;
    QBox qq{};
    if (q.bbox)
        qq = QBox{grid(q.bbox->west, -180, 360, false), grid(q.bbox->south, -90, 180, false), grid(q.bbox->east, -180, 360, true),
                  grid(q.bbox->north, -90, 180, true)};
    const auto accept = [&](std::uint32_t seq) {
        if (seq >= m_attr.size()) return false;
        if (!((m_live_bits[seq / 64] >> (seq % 64)) & 1)) return false;
        if (q.bbox) {
            const QBox g = m_qbox[seq];
            if (!(g.west <= qq.east && g.east >= qq.west && g.south <= qq.north && g.north >= qq.south)) return false;
            if (!(m_attr[seq].flags & k_bbox)) return false;
            const Box& h = m_box[seq];
            if (!(h.west <= q.bbox->east && h.east >= q.bbox->west && h.south <= q.bbox->north && h.north >= q.bbox->south))
                return false;
        }
        if (!attrs) return true;
        const Attr a = m_attr[seq];
        if (open_data >= 0 && a.open_data != open_data) return false;
        if (datastore && a.datastore != datastore) return false;
        if (q.sharing && a.sharing != static_cast<std::int8_t>(*q.sharing)) return false;
        return true;
    };

    // ---- bm25 as FTS5 computes it (fts5_aux.c: fts5Bm25GetData, fts5Bm25Function) ----
    const bool relevance = q.sort == SearchSort::relevance && !terms.empty();
    const double k1 = 1.2;
    const double b = 0.75;
    const auto n_row = static_cast<std::int64_t>(m_rows);
    const double avgdl = static_cast<double>(static_cast<std::int64_t>(m_tokens_total)) / static_cast<double>(n_row);
    std::vector<double> idf(terms.size(), 0.0);
    std::vector<double> freq(terms.size(), 0.0);
    for (const auto& l : lists)
        if (l.term >= 0) {
            const auto n_hit = static_cast<std::int64_t>(l.size);
            double v = std::log((static_cast<double>(n_row - n_hit) + 0.5) / (static_cast<double>(n_hit) + 0.5));
            if (v <= 0.0) v = 1e-6;
            idf[static_cast<std::size_t>(l.term)] = v;
        }

    Scratch& tmp = scratch();
    auto& matches = tmp.matches;
    auto& scores = tmp.scores;
    matches.clear();
    scores.clear();
    const auto take = [&](std::uint32_t seq) {
        matches.push_back(seq);
        if (!relevance) return;
        const double D = static_cast<double>(static_cast<int>(m_tokens[seq]));
        double score = 0.0;
        for (std::size_t i = 0; i < terms.size(); ++i)
            score += idf[i] * ((freq[i] * (k1 + 1.0)) / (freq[i] + k1 * (1 - b + b * D / avgdl)));
        scores.push_back(score);
    };
    if (lists.empty()) {
        for (std::uint32_t seq = 0; seq < m_attr.size(); ++seq)
            if (accept(seq)) take(seq);
    } else {
        List& driver = lists[0];
        for (std::size_t i = 0; i < driver.size; ++i) {
            const std::uint32_t seq = driver.seqs[i];
            bool ok = true, exhausted = false;
            for (std::size_t k = 1; k < lists.size(); ++k) {
                auto& l = lists[k];
                l.seek(seq);
                if (l.pos >= l.size) {
                    exhausted = true;
                    break;
                }
                if (l.seqs[l.pos] != seq) {
                    ok = false;
                    break;
                }
            }
            if (exhausted) break;
            if (!ok || !accept(seq)) continue;
            if (relevance) {
                if (driver.term >= 0) freq[static_cast<std::size_t>(driver.term)] = driver.freqs[i];
                for (std::size_t k = 1; k < lists.size(); ++k)
                    if (lists[k].term >= 0) freq[static_cast<std::size_t>(lists[k].term)] = lists[k].freqs[lists[k].pos];
            }
            take(seq);
        }
    }

    // ---- facets over the whole match set ----
    if (q.facets && !matches.empty()) {
        count_facets(matches, tmp.counts);
        for (std::size_t id = 0; id < tmp.counts.size(); ++id)
            if (tmp.counts[id]) facets[m_facet_names[id].first].push_back(FacetCount{m_facet_names[id].second, tmp.counts[id]});
    }

    // ---- the page: the first offset + limit of the order, through a bounded heap ----
    const std::size_t total = matches.size();
    if (q.limit == 0 || q.offset >= total) return total;
    const std::size_t end = std::min(total, q.offset + q.limit);
    auto& order = tmp.order;
    if (relevance) {
        top_k(total, end, [&](std::uint32_t a, std::uint32_t b2) {
            if (scores[a] != scores[b2]) return scores[a] > scores[b2];
            return compare_keys(m_id_key[matches[a]], m_id_key[matches[b2]], m_ids[matches[a]], m_ids[matches[b2]]) < 0;
        }, order);
    } else {
        const SearchSort sort = q.sort == SearchSort::title ? SearchSort::title : SearchSort::modified;
        top_k(total, end, [&](std::uint32_t a, std::uint32_t b2) { return before(matches[a], matches[b2], sort); }, order);
    }
    for (std::size_t i = q.offset; i < end; ++i)
        page.emplace_back(matches[order[i]], relevance ? scores[order[i]] : 0.0);
    return total;
}

}  // namespace geoplex::catalog::detail

