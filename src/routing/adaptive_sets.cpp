// Adaptive constraint sets (see adaptive_sets.hpp): the registry, its background builder and
// the LRU limit.

#include "routing/adaptive_sets.hpp"

#include <algorithm>
#include <chrono>
#include <random>

#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "geoplex/core/error.hpp"
#include "routing/ch_recontract.hpp"
#include "routing/router_impl.hpp"

namespace geoplex::routing::detail {

namespace {

/// Registry entries kept for sets seen but not built (each holds its per-way factors).
constexpr std::size_t max_idle_entries = 64;

using State = AdaptiveEntry::Slot::State;

}  // namespace

AdaptiveSets::AdaptiveSets(AdaptiveSetOptions options) : m_options(std::move(options)) {
    m_options.after = std::max<std::uint32_t>(1, m_options.after);
    m_options.max_sets = std::max<std::uint32_t>(1, m_options.max_sets);
}

AdaptiveSets::~AdaptiveSets() {
    {
        const std::lock_guard lock(m_mutex);
        m_stop = true;
        m_queue.clear();
    }
    m_work.notify_all();
    m_idle.notify_all();
    if (m_thread.joinable()) m_thread.join();
    std::error_code ec;
    if (m_own_dir) {
        std::filesystem::remove_all(m_dir, ec);
    } else {
        for (const auto& e : m_entries)
            for (const auto& s : e->slots)
                if (!s.file.empty()) std::filesystem::remove(s.file, ec);
    }
}

std::shared_ptr<AdaptiveEntry> AdaptiveSets::entry(const LoadedProfile& lp, const WayCosts& wc,
                                                   const std::vector<Constraint>& constraints) {
    const std::uint64_t h = factor_hash(wc.factor);
    const std::lock_guard lock(m_mutex);
    for (const auto& e : m_entries)
        if (e->profile == &lp && e->hash == h && e->costs.factor == wc.factor) return e;
    if (m_entries.size() >= max_idle_entries) {
        // Forget the least recently used entry with nothing built or queued.
        auto idle = [](const std::shared_ptr<AdaptiveEntry>& e) {
            return std::all_of(e->slots.begin(), e->slots.end(),
                               [](const auto& s) { return s.state == State::idle || s.state == State::failed; });
        };
        auto last = [](const std::shared_ptr<AdaptiveEntry>& e) {
            return std::max(e->slots[0].last_use, e->slots[1].last_use);
        };
        auto victim = m_entries.end();
        for (auto it = m_entries.begin(); it != m_entries.end(); ++it)
            if (idle(*it) && (victim == m_entries.end() || last(*it) < last(*victim))) victim = it;
        if (victim != m_entries.end()) m_entries.erase(victim);
    }
    auto e = std::make_shared<AdaptiveEntry>();
    e->profile = &lp;
    e->hash = h;
    e->costs = wc;
    e->inert = std::all_of(wc.factor.begin(), wc.factor.end(), [](double f) { return f == 1.0; });
    e->constraints = constraints;
    m_entries.push_back(e);
    return e;
}

std::shared_ptr<const PrecomputedSet> AdaptiveSets::use(AdaptiveEntry& e, Optimization o) {
    if (!m_options.enabled || e.inert) return nullptr;
    const std::lock_guard lock(m_mutex);
    auto& slot = e.slots[static_cast<std::size_t>(o)];
    slot.last_use = ++m_tick;
    if (slot.state == State::ready) return slot.set;
    if (slot.state != State::idle || m_stop) return nullptr;
    if (++slot.uses < m_options.after) return nullptr;
    auto self = e.shared_from_this();
    if (std::find(m_entries.begin(), m_entries.end(), self) == m_entries.end()) m_entries.push_back(self);  // was forgotten
    slot.state = State::queued;
    m_queue.push_back({std::move(self), o});
    ++m_stats.pending;
    if (!m_thread.joinable()) m_thread = std::thread([this] { run(); });
    m_work.notify_one();
    return nullptr;
}

ConstraintSetStats AdaptiveSets::stats() const {
    const std::lock_guard lock(m_mutex);
    return m_stats;
}

void AdaptiveSets::wait_for_pending() const {
    std::unique_lock lock(m_mutex);
    m_idle.wait(lock, [this] { return m_stop || (m_queue.empty() && !m_building); });
}

void AdaptiveSets::run() {
#ifdef __linux__
    // Lowest priority for this thread only (Linux: nice values are per thread).
    (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 19);
#endif
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_work.wait(lock, [this] { return m_stop || !m_queue.empty(); });
        if (m_stop) break;
        const Job job = std::move(m_queue.front());
        m_queue.pop_front();
        m_building = true;
        lock.unlock();
        build(job);
        lock.lock();
        m_building = false;
        --m_stats.pending;
        if (m_queue.empty()) m_idle.notify_all();
    }
    m_building = false;
    m_idle.notify_all();
}

std::filesystem::path AdaptiveSets::directory() {
    if (!m_dir.empty()) return m_dir;
    if (!m_options.cache_dir.empty()) {
        std::filesystem::create_directories(m_options.cache_dir);
        m_dir = m_options.cache_dir;
        return m_dir;
    }
    std::random_device rd;
    for (int attempt = 0;; ++attempt) {
        const auto dir = std::filesystem::temp_directory_path() /
                         fmt::format("geoplex-sets-{}-{:08x}", static_cast<long>(getpid()), rd());
        if (std::filesystem::create_directory(dir)) {
            m_dir = dir;
            m_own_dir = true;
            return m_dir;
        }
        if (attempt > 100) throw IoError(fmt::format("cannot create a directory like '{}'", dir.string()));
    }
}

void AdaptiveSets::build(const Job& job) {
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    const AdaptiveEntry& e = *job.entry;
    const LoadedProfile& lp = *e.profile;
    const auto k = static_cast<std::size_t>(job.o);
    std::filesystem::path file;
    std::uint64_t number = 0;
    try {
        {
            const std::lock_guard lock(m_mutex);
            file = directory() / fmt::format("{}-{}.adaptive-{}.ch", lp.name, to_string(job.o), ++m_files);
            number = m_files;
        }
        core::Callbacks callbacks;
        callbacks.cancel_requested = [this] {
            const std::lock_guard lock(m_mutex);
            return m_stop;
        };
        (void)recontract_ch_file(lp.graph, lp.ch[k], job.o, e.costs, file, callbacks,
                                 fmt::format("routing: adaptive constraint set {}", number));
        auto ps = std::make_shared<PrecomputedSet>();
        ps->set.name = fmt::format("adaptive-{}", number);
        ps->set.constraints = e.constraints;
        ps->adaptive = true;
        ps->owned_factor = e.costs.factor;
        ps->factor = ps->owned_factor;
        ps->hash = e.hash;
        ps->bans_only = std::all_of(ps->factor.begin(), ps->factor.end(), [](double f) { return f == 0.0 || f == 1.0; });
        ps->ch_files[k] = SectionReader(file, ch_magic, ch_format_version, false);
        ps->ch[k] = ch_view(ps->ch_files[k], lp.graph);
        ps->ch[k].optimization = job.o;
        ps->has_ch[k] = true;
        const double seconds = std::chrono::duration<double>(clock::now() - t0).count();
        const std::lock_guard lock(m_mutex);
        auto& slot = job.entry->slots[k];
        slot.set = std::move(ps);
        slot.file = file;
        slot.state = State::ready;
        ++m_stats.built;
        ++m_stats.ready;
        m_stats.build_seconds += seconds;
        m_stats.last_build_seconds = seconds;
        evict_beyond_limit(&lp);
    } catch (const std::exception& ex) {
        std::error_code ec;
        if (!file.empty()) std::filesystem::remove(file, ec);
        const std::lock_guard lock(m_mutex);
        const auto* err = dynamic_cast<const Error*>(&ex);
        const bool cancelled = err != nullptr && err->code() == errc::cancelled;
        job.entry->slots[k].state = cancelled ? State::idle : State::failed;
        if (!cancelled) {
            ++m_stats.failed;
            m_stats.last_error = ex.what();
        }
    }
}

void AdaptiveSets::evict_beyond_limit(const LoadedProfile* lp) {
    for (;;) {
        std::vector<AdaptiveEntry::Slot*> ready;
        for (const auto& e : m_entries)
            if (e->profile == lp)
                for (auto& s : e->slots)
                    if (s.state == State::ready) ready.push_back(&s);
        if (ready.size() <= m_options.max_sets) return;
        auto* victim = *std::min_element(ready.begin(), ready.end(),
                                         [](const auto* a, const auto* b) { return a->last_use < b->last_use; });
        victim->set->evicted = true;
        victim->set.reset();  // Queries still using it keep it (and its mapping) alive
        std::error_code ec;
        std::filesystem::remove(victim->file, ec);
        victim->file.clear();
        victim->state = State::idle;
        victim->uses = 0;
        ++m_stats.evicted;
        --m_stats.ready;
    }
}

}  // namespace geoplex::routing::detail
