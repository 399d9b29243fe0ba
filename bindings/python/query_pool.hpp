#pragma once
// A component handle (routing::Router, geocoder::Geocoder…) plus a pool of its per-thread Query
// objects. Queries keep scratch buffers sized to the data (a routing Query allocates arrays of
// the graph's size on first use), so reusing them across Python calls matters; a pool (rather
// than thread_local) frees them with the Python object and lets any number of Python threads
// query one object at once: each call leases its own Query.

#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace geoplex::python {

template <class Handle, class Query>
class QueryPool {
public:
    explicit QueryPool(Handle handle) : m_handle(std::move(handle)) {}
    QueryPool(const QueryPool&) = delete;
    QueryPool& operator=(const QueryPool&) = delete;

    [[nodiscard]] const Handle& handle() const noexcept { return m_handle; }

    /// A Query owned for the lease's lifetime, returned to the pool afterwards. Safe without the GIL.
    class Lease {
    public:
        Lease(QueryPool& pool, std::unique_ptr<Query> query) : m_pool(&pool), m_query(std::move(query)) {}
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease() { m_pool->give_back(std::move(m_query)); }
        Query& operator*() const noexcept { return *m_query; }
        Query* operator->() const noexcept { return m_query.get(); }

    private:
        QueryPool* m_pool;
        std::unique_ptr<Query> m_query;
    };

    [[nodiscard]] Lease lease() {
        {
            std::lock_guard lock(m_mutex);
            if (!m_free.empty()) {
                auto query = std::move(m_free.back());
                m_free.pop_back();
                return Lease(*this, std::move(query));
            }
        }
        return Lease(*this, std::make_unique<Query>(m_handle));
    }

private:
    // More idle queries than this are dropped (each holds buffers the size of the data).
    static constexpr std::size_t max_idle = 8;

    void give_back(std::unique_ptr<Query> query) noexcept {
        std::lock_guard lock(m_mutex);
        if (m_free.size() < max_idle) m_free.push_back(std::move(query));
    }

    Handle m_handle;
    std::mutex m_mutex;
    std::vector<std::unique_ptr<Query>> m_free;
};

}  // namespace geoplex::python
