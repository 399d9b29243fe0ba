// Storage quotas (bytes per datastore, by tier) and offering quotas (per endpoint).

#include <fmt/format.h>

#include "catalog/publishing_impl.hpp"

namespace geoplex::catalog {

std::vector<std::string> CatalogConfig::validate() const {
    std::vector<std::string> problems;
    if (store_uri.empty()) problems.emplace_back("catalog.store: must not be empty");
    if (data_dir.empty()) problems.emplace_back("catalog.data_dir: must be set (uploads and stored data live there)");
    if (storage_tiers.find("default") == storage_tiers.end())
        problems.emplace_back("catalog.tiers: a \"default\" tier is required");
    for (const auto& [name, bytes] : storage_tiers)
        if (bytes < 0) problems.push_back(fmt::format("catalog.tiers.{}: must not be negative (got {})", name, bytes));
    if (upload_quota < 0) problems.push_back(fmt::format("catalog.upload_quota: must not be negative (got {})", upload_quota));
    if (endpoint_quota < 0) problems.push_back(fmt::format("catalog.endpoint_quota: must not be negative (got {})", endpoint_quota));
    if (max_file_bytes == 0) problems.emplace_back("catalog.max_file_bytes: must be positive");
    return problems;
}

std::int64_t Catalog::Impl::data_quota(const Datastore& ds) const {
    std::int64_t q = 0;
    for (const auto& s : ds.storages_data) q += s.quota;
    return q;
}

std::int64_t Catalog::Impl::upload_bytes_used(const Datastore& ds) {
    std::int64_t used = 0;
    for (const auto& u : store->list<Upload>({{"datastore", ds.id}}, {0, 100'000}).items)
        if (u.status != UploadStatus::deleted) used += u.size;
    return used;
}

std::int64_t Catalog::Impl::data_bytes_used(const Datastore& ds) {
    std::int64_t used = 0;
    for (const auto& d : store->list<StoredData>({{"datastore", ds.id}}, {0, 100'000}).items)
        if (d.status != StoredDataStatus::deleted) used += d.size;
    return used;
}

std::int64_t Catalog::Impl::offerings_on(const Datastore& ds, const Id& endpoint) {
    std::int64_t n = 0;
    for (const auto& o : store->list<Offering>({{"datastore", ds.id}}, {0, 100'000}).items)
        if (o.endpoint == endpoint) ++n;
    return n;
}

void Catalog::Impl::check_offering_quota(const Datastore& ds, const Endpoint& endpoint) {
    const EndpointAllowance* allowance = nullptr;
    for (const auto& a : ds.endpoints)
        if (a.endpoint == endpoint.id) allowance = &a;
    if (allowance == nullptr)
        throw CatalogError(403, fmt::format("datastore '{}' may not publish on endpoint '{}'", ds.technical_name, endpoint.technical_name));
    const std::int64_t used = offerings_on(ds, endpoint.id);
    if (used >= allowance->quota)
        throw CatalogError(409, fmt::format("endpoint quota reached: {} of {} offerings already on endpoint '{}'", used,
                                            allowance->quota, endpoint.technical_name));
}

}  // namespace geoplex::catalog
