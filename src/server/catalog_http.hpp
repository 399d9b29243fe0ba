#pragma once
// HTTP plumbing shared by the catalog-backed handlers (catalog_api, metadata_api, datasets_api,
// documents_api): bearer authentication, catalog errors as HTTP statuses, JSON replies that are
// never cached, path captures, multipart/form-data parts and reference-style paging.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "geoplex/server/http.hpp"

namespace geoplex::catalog {
class Catalog;
struct Principal;
}  // namespace geoplex::catalog

namespace geoplex::server {

/// A JSON body with `Cache-Control: no-store` (catalog answers depend on the caller's rights).
[[nodiscard]] Response json_no_store(const nlohmann::json& body, int status = 200);

/// The `{name}` segment captured by the route (500 if the route has none: a programming error).
[[nodiscard]] const std::string& route_capture(const Request& r, const char* name);

/// The principal of `Authorization: Bearer <token>`; nullopt without an Authorization header,
/// 401 for another scheme or an invalid/expired token.
[[nodiscard]] std::optional<catalog::Principal> bearer_principal(catalog::Catalog& c, const Request& r);
/// Same, but a missing header is a 401 too.
[[nodiscard]] catalog::Principal require_bearer(catalog::Catalog& c, const Request& r);

/// Call from inside a `catch (...)`: rethrows the exception in flight as an HttpError when it is
/// a catalog error (CatalogError → its status, Conflict → 409, NotFound → 404) or a JSON value
/// error (400); anything else is rethrown unchanged.
[[noreturn]] void rethrow_as_http();

/// Runs fn() with the catalog's errors translated by rethrow_as_http().
template <class Fn>
Response catalog_guarded(Fn&& fn) {
    try {
        return fn();
    } catch (...) {
        rethrow_as_http();
    }
}

/// One part of a multipart/form-data body (views into the request body).
struct FormPart {
    std::string_view name, data;
};
/// The parts of a multipart/form-data body; nullopt when the body is not multipart. A missing
/// boundary or an unterminated part is a 400.
[[nodiscard]] std::optional<std::vector<FormPart>> multipart_parts(const Request& r);

/// The items [first, last) of a list that the reference's paging selects.
struct PageWindow {
    std::size_t first = 0, last = 0;
};
/// The reference's paging: `?page=` (1-based) and `?limit=` (≤ 1000, default 10) over `total`
/// items; a bad value is an InvalidArgument.
[[nodiscard]] PageWindow page_window(const Request& r, std::size_t total);
/// `page` (the items of `w`) answered with `Content-Range: items a-b/total`.
[[nodiscard]] Response paged_reply(const PageWindow& w, std::size_t total, nlohmann::json page);
/// The page of `items` that `r` asks for; only that page goes through `to_json`.
template <class T, class ToJson>
[[nodiscard]] Response paged_reply(const Request& r, const std::vector<T>& items, ToJson&& to_json) {
    const PageWindow w = page_window(r, items.size());
    nlohmann::json page = nlohmann::json::array();
    for (std::size_t i = w.first; i < w.last; ++i) page.push_back(to_json(items[i]));
    return paged_reply(w, items.size(), std::move(page));
}

}  // namespace geoplex::server
