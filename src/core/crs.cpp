#include "geoplex/core/crs.hpp"

#include <cmath>
#include <limits>
#include <mutex>
#include <vector>

#include <proj.h>

#include <fmt/format.h>

#include "geoplex/core/error.hpp"

namespace geoplex::core {

namespace {

// One PROJ context + normalized transformation: not thread-safe, so each call borrows one.
struct PjHandle {
    PJ_CONTEXT* ctx = nullptr;
    PJ* pj = nullptr;
    PjHandle() = default;
    PjHandle(const PjHandle&) = delete;
    PjHandle& operator=(const PjHandle&) = delete;
    ~PjHandle() {
        if (pj) proj_destroy(pj);
        if (ctx) proj_context_destroy(ctx);
    }
};

std::unique_ptr<PjHandle> make_handle(const std::string& from, const std::string& to) {
    auto h = std::make_unique<PjHandle>();
    h->ctx = proj_context_create();
    if (!h->ctx) throw DependencyError("PROJ: cannot create a context");
    proj_log_level(h->ctx, PJ_LOG_NONE);
    PJ* raw = proj_create_crs_to_crs(h->ctx, from.c_str(), to.c_str(), nullptr);
    if (!raw) {
        const int err = proj_context_errno(h->ctx);
        throw InvalidArgument(fmt::format("unknown or incompatible CRS: cannot transform from '{}' to '{}' ({})", from,
                                          to, proj_context_errno_string(h->ctx, err)));
    }
    h->pj = proj_normalize_for_visualization(h->ctx, raw);
    proj_destroy(raw);
    if (!h->pj) throw DependencyError(fmt::format("PROJ: cannot normalize the transform '{}' → '{}'", from, to));
    return h;
}

bool same_crs(const std::string& a, const std::string& b) {
    if (a == b) return true;
    PJ_CONTEXT* ctx = proj_context_create();
    proj_log_level(ctx, PJ_LOG_NONE);
    PJ* pa = proj_create(ctx, a.c_str());
    PJ* pb = proj_create(ctx, b.c_str());
    const bool same = pa && pb && proj_is_equivalent_to(pa, pb, PJ_COMP_EQUIVALENT) != 0;
    if (pa) proj_destroy(pa);
    if (pb) proj_destroy(pb);
    proj_context_destroy(ctx);
    return same;
}

}  // namespace

struct CrsTransform::Impl {
    std::string from;
    std::string to;
    bool identity = false;
    std::mutex mutex;
    std::vector<std::unique_ptr<PjHandle>> pool;

    std::unique_ptr<PjHandle> acquire() {
        {
            std::lock_guard lock(mutex);
            if (!pool.empty()) {
                auto h = std::move(pool.back());
                pool.pop_back();
                return h;
            }
        }
        return make_handle(from, to);
    }
    void release(std::unique_ptr<PjHandle> h) {
        std::lock_guard lock(mutex);
        pool.push_back(std::move(h));
    }
};

CrsTransform::CrsTransform(std::string_view from, std::string_view to) : m_impl(std::make_unique<Impl>()) {
    m_impl->from = std::string(from);
    m_impl->to = std::string(to);
    // Building the first handle validates both CRS and fails early with a clear message.
    auto h = make_handle(m_impl->from, m_impl->to);
    m_impl->identity = same_crs(m_impl->from, m_impl->to);
    m_impl->release(std::move(h));
}

CrsTransform::~CrsTransform() = default;
CrsTransform::CrsTransform(CrsTransform&&) noexcept = default;
CrsTransform& CrsTransform::operator=(CrsTransform&&) noexcept = default;

void CrsTransform::transform(std::span<double> xs, std::span<double> ys) const {
    if (xs.size() != ys.size())
        throw InvalidArgument(fmt::format("CrsTransform: {} x values but {} y values", xs.size(), ys.size()));
    if (m_impl->identity || xs.empty()) return;
    auto h = m_impl->acquire();
    proj_trans_generic(h->pj, PJ_FWD, xs.data(), sizeof(double), xs.size(), ys.data(), sizeof(double), ys.size(),
                       nullptr, 0, 0, nullptr, 0, 0);
    // PROJ marks failed points with HUGE_VAL; expose them as NaN.
    for (std::size_t i = 0; i < xs.size(); ++i) {
        if (!std::isfinite(xs[i]) || !std::isfinite(ys[i]) || xs[i] == HUGE_VAL || ys[i] == HUGE_VAL) {
            xs[i] = std::numeric_limits<double>::quiet_NaN();
            ys[i] = std::numeric_limits<double>::quiet_NaN();
        }
    }
    proj_errno_reset(h->pj);
    m_impl->release(std::move(h));
}

XY CrsTransform::transform(XY p) const {
    transform(std::span<double>(&p.x, 1), std::span<double>(&p.y, 1));
    return p;
}

bool CrsTransform::is_identity() const noexcept { return m_impl->identity; }
const std::string& CrsTransform::source() const noexcept { return m_impl->from; }
const std::string& CrsTransform::target() const noexcept { return m_impl->to; }

bool is_known_crs(std::string_view crs) {
    PJ_CONTEXT* ctx = proj_context_create();
    proj_log_level(ctx, PJ_LOG_NONE);
    PJ* p = proj_create(ctx, std::string(crs).c_str());
    const bool ok = p != nullptr && proj_is_crs(p);
    if (p) proj_destroy(p);
    proj_context_destroy(ctx);
    return ok;
}

bool is_geographic_crs(std::string_view crs) {
    PJ_CONTEXT* ctx = proj_context_create();
    proj_log_level(ctx, PJ_LOG_NONE);
    PJ* p = proj_create(ctx, std::string(crs).c_str());
    bool geo = false;
    if (p) {
        const auto type = proj_get_type(p);
        geo = type == PJ_TYPE_GEOGRAPHIC_2D_CRS || type == PJ_TYPE_GEOGRAPHIC_3D_CRS;
        proj_destroy(p);
    }
    proj_context_destroy(ctx);
    return geo;
}

}  // namespace geoplex::core
