// The in-memory dataset search (see search_index.hpp).
#include "search_index.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace geoplex::catalog::detail {

namespace {

/// The first 16 bytes of `s` as two big-endian integers: comparing keys compares those bytes as
/// unsigned (memcmp) order; equal keys fall back to the whole strings.
void prefix_key(std::string_view s, std::uint64_t (&key)[2]) {
    unsigned char buf[16]{};
    std::memcpy(buf, s.data(), std::min<std::size_t>(s.size(), 16));
    for (int k = 0; k < 2; ++k) {
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v = (v << 8) | buf[k * 8 + i];
        key[k] = v;
    }
}

/// <0, 0, >0 like memcmp, by prefix keys then the whole strings.
int compare_keys(const std::uint64_t (&ka)[2], const std::uint64_t (&kb)[2], const std::string& a, const std::string& b) {
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

}  // namespace

void SearchIndex::clear() {
    m_hot.clear();
    m_ids.clear();
    m_modified.clear();
    m_titles.clear();
    m_datastores.clear();
    m_facet_ids.clear();
    m_facet_names.clear();
    m_facet_postings.clear();
    m_facet_pool.clear();
    m_term_ids.clear();
    m_term_postings.clear();
    m_term_pool.clear();
    m_rows = 0;
    m_tokens = 0;
    last_change = -1;
}

SearchIndex::Hot& SearchIndex::hot(std::int64_t seq) {
    const auto i = static_cast<std::size_t>(seq);
    if (m_hot.size() <= i) {
        const auto n = std::max(i + 1, m_hot.size() + m_hot.size() / 2);
        m_hot.resize(n);
        m_ids.resize(n);
        m_modified.resize(n);
        m_titles.resize(n);
    }
    return m_hot[i];
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
    Hot& h = hot(row.seq);
    const auto i = static_cast<std::size_t>(row.seq);
    h.live = true;
    m_ids[i] = row.id;
    prefix_key(row.id, h.id_key);
    h.has_modified = row.modified.has_value();
    m_modified[i] = row.modified.value_or("");
    prefix_key(m_modified[i], h.modified_key);
    m_titles[i] = row.title_sort;
    prefix_key(row.title_sort, h.title_key);
    h.has_bbox = row.bbox.has_value();
    if (row.bbox) {
        h.west = row.bbox->west;
        h.south = row.bbox->south;
        h.east = row.bbox->east;
        h.north = row.bbox->north;
    }
    h.open_data = static_cast<std::int8_t>(row.open_data);
    h.sharing = -1;
    for (auto v : {Sharing::private_, Sharing::community, Sharing::public_})
        if (row.sharing && *row.sharing == to_string(v)) h.sharing = static_cast<std::int8_t>(v);
    h.datastore = 0;
    if (row.datastore)
        h.datastore = m_datastores.emplace(*row.datastore, static_cast<std::uint32_t>(m_datastores.size() + 1)).first->second;
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
    Hot& h = hot(seq);
    if (h.facet_count > 0 && h.facet_begin + h.facet_count != m_facet_pool.size()) {
        // Not the last run of the pool: move this dataset's run to the end (the old one is garbage).
        const auto begin = static_cast<std::uint32_t>(m_facet_pool.size());
        for (std::uint32_t k = 0; k < h.facet_count; ++k) m_facet_pool.push_back(m_facet_pool[h.facet_begin + k]);
        h.facet_begin = begin;
    }
    if (h.facet_count == 0) h.facet_begin = static_cast<std::uint32_t>(m_facet_pool.size());
    m_facet_pool.push_back(it->second);
    ++h.facet_count;
    insert_sorted(m_facet_postings[it->second], nullptr, static_cast<std::uint32_t>(seq), 0);
}

void SearchIndex::set_text(std::int64_t seq, const std::string& title, const std::string& keywords,
                           const std::string& abstract) {
    Hot& h = hot(seq);
    if (h.has_text) return;  // remove() first
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
    h.has_text = true;
    h.tokens = tokens;
    h.term_begin = static_cast<std::uint32_t>(m_term_pool.size());
    h.term_count = static_cast<std::uint32_t>(freq.size());
    for (const auto& [id, f] : freq) {
        m_term_pool.push_back(id);
        auto& p = m_term_postings[id];
        insert_sorted(p.seqs, &p.freqs, static_cast<std::uint32_t>(seq), f);
    }
    ++m_rows;
    m_tokens += tokens;
}

void SearchIndex::remove(std::int64_t seq) {
    if (seq < 0 || static_cast<std::size_t>(seq) >= m_hot.size()) return;
    Hot& h = m_hot[static_cast<std::size_t>(seq)];
    const auto s = static_cast<std::uint32_t>(seq);
    for (std::uint32_t k = 0; k < h.facet_count; ++k) erase_sorted(m_facet_postings[m_facet_pool[h.facet_begin + k]], nullptr, s);
    if (h.has_text) {
        for (std::uint32_t k = 0; k < h.term_count; ++k) {
            auto& p = m_term_postings[m_term_pool[h.term_begin + k]];
            erase_sorted(p.seqs, &p.freqs, s);
        }
        --m_rows;
        m_tokens -= h.tokens;
    }
    const auto i = static_cast<std::size_t>(seq);
    h = Hot{};
    m_ids[i].clear();
    m_modified[i].clear();
    m_titles[i].clear();
}

bool SearchIndex::before(std::uint32_t a, std::uint32_t b, SearchSort sort) const {
    const Hot& ha = m_hot[a];
    const Hot& hb = m_hot[b];
    int c = 0;
    if (sort == SearchSort::title) {
        c = compare_keys(ha.title_key, hb.title_key, m_titles[a], m_titles[b]);
    } else {  // modified, newest first; NULL sorts last (SQLite: NULL is the smallest value)
        if (ha.has_modified != hb.has_modified) return ha.has_modified;
        if (ha.has_modified) c = -compare_keys(ha.modified_key, hb.modified_key, m_modified[a], m_modified[b]);
    }
    if (c != 0) return c < 0;
    return compare_keys(ha.id_key, hb.id_key, m_ids[a], m_ids[b]) < 0;
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
    const auto accept = [&](std::uint32_t seq) {
        if (seq >= m_hot.size()) return false;
        const Hot& h = m_hot[seq];
        if (!h.live) return false;
        if (q.bbox && !(h.has_bbox && h.west <= q.bbox->east && h.east >= q.bbox->west && h.south <= q.bbox->north &&
                        h.north >= q.bbox->south))
            return false;
        if (open_data >= 0 && h.open_data != open_data) return false;
        if (datastore && h.datastore != datastore) return false;
        if (q.sharing && h.sharing != static_cast<std::int8_t>(*q.sharing)) return false;
        return true;
    };

    // ---- bm25 as FTS5 computes it (fts5_aux.c: fts5Bm25GetData, fts5Bm25Function) ----
    const bool relevance = q.sort == SearchSort::relevance && !terms.empty();
    const double k1 = 1.2;
    const double b = 0.75;
    const auto n_row = static_cast<std::int64_t>(m_rows);
    const double avgdl = static_cast<double>(static_cast<std::int64_t>(m_tokens)) / static_cast<double>(n_row);
    std::vector<double> idf(terms.size(), 0.0);
    std::vector<double> freq(terms.size(), 0.0);
    for (const auto& l : lists)
        if (l.term >= 0) {
            const auto n_hit = static_cast<std::int64_t>(l.size);
            double v = std::log((static_cast<double>(n_row - n_hit) + 0.5) / (static_cast<double>(n_hit) + 0.5));
            if (v <= 0.0) v = 1e-6;
            idf[static_cast<std::size_t>(l.term)] = v;
        }

    std::vector<std::uint32_t> matches;
    std::vector<double> scores;
    const auto take = [&](std::uint32_t seq) {
        matches.push_back(seq);
        if (!relevance) return;
        const double D = static_cast<double>(static_cast<int>(m_hot[seq].tokens));
        double score = 0.0;
        for (std::size_t i = 0; i < terms.size(); ++i)
            score += idf[i] * ((freq[i] * (k1 + 1.0)) / (freq[i] + k1 * (1 - b + b * D / avgdl)));
        scores.push_back(score);
    };
    if (lists.empty()) {
        for (std::uint32_t seq = 0; seq < m_hot.size(); ++seq)
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
        std::vector<std::uint32_t> counts(m_facet_names.size(), 0);
        for (const auto seq : matches) {
            const Hot& h = m_hot[seq];
            for (std::uint32_t k = 0; k < h.facet_count; ++k) ++counts[m_facet_pool[h.facet_begin + k]];
        }
        for (std::size_t id = 0; id < counts.size(); ++id)
            if (counts[id]) facets[m_facet_names[id].first].push_back(FacetCount{m_facet_names[id].second, counts[id]});
    }

    // ---- the page: a partial sort of the first offset + limit ----
    const std::size_t total = matches.size();
    if (q.limit == 0 || q.offset >= total) return total;
    const std::size_t end = std::min(total, q.offset + q.limit);
    std::vector<std::uint32_t> order(total);
    for (std::uint32_t i = 0; i < total; ++i) order[i] = i;
    const auto cmp = [&](std::uint32_t a, std::uint32_t b2) {
        if (relevance) {
            if (scores[a] != scores[b2]) return scores[a] > scores[b2];
            return compare_keys(m_hot[matches[a]].id_key, m_hot[matches[b2]].id_key, m_ids[matches[a]], m_ids[matches[b2]]) < 0;
        }
        return before(matches[a], matches[b2], q.sort == SearchSort::title ? SearchSort::title : SearchSort::modified);
    };
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(end), order.end(), cmp);
    for (std::size_t i = q.offset; i < end; ++i)
        page.emplace_back(matches[order[i]], relevance ? scores[order[i]] : 0.0);
    return total;
}

}  // namespace geoplex::catalog::detail
