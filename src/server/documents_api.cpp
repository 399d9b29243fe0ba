// Map documents and reports ("signalements") under /api. See server/documents_api.hpp and
// docs/http-api.md ("Map documents and reports").
//
// Access rules
//   documents  the owner and administrators read and write; a COMMUNITY document is read by the
//              members of the communities in `shared_with` and by the users listed there; a PUBLIC
//              document by every authenticated user. Unknown or invisible → 404, visible but not
//              writable → 403.
//   reports    every authenticated user may file one; a report about a dataset is visible to whoever
//              may read the dataset (PUBLIC datasets: everybody; others: members of the community of
//              its datastore); reports without a dataset are visible to all. The status moves along
//              can_transition() and only moderators move it: administrators, and users with the
//              PRODUCER role who belong to the community of the dataset's datastore.
// Every write is audited (entity "map_document" / "report") in the same transaction.

#include "server/documents_api.hpp"
#include "server/catalog_http.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/catalog/publishing.hpp"
#include "geoplex/catalog/store.hpp"
#include "geoplex/core/error.hpp"

namespace geoplex::server {

namespace {

using json = nlohmann::json;
using catalog::Catalog;
using catalog::CatalogError;
using catalog::Id;
using catalog::MapDocument;
using catalog::Principal;
using catalog::Report;
using catalog::ReportStatus;
using catalog::Sharing;

constexpr std::size_t max_text = 4000;

// ---- small helpers ------------------------------------------------------------------------------

json body_of(const Request& r) {
    if (r.body.empty()) throw InvalidArgument("a JSON object body is required");
    json j = json::parse(r.body, nullptr, false);
    if (j.is_discarded()) throw InvalidArgument("the body is not valid JSON");
    if (!j.is_object()) throw InvalidArgument("the body must be a JSON object");
    return j;
}

Response deleted() {
    Response res;
    res.status = 204;
    res.content_type.clear();
    return res;
}

bool member_of(const Principal& p, const Id& community) {
    return std::any_of(p.user.communities_member.begin(), p.user.communities_member.end(),
                       [&](const catalog::Membership& m) { return m.community == community; });
}

void audit(catalog::Store& s, const Principal& by, const char* action, const char* entity, const Id& id, const json& detail = json::object()) {
    catalog::AuditEvent e;
    e.actor = by.user.id;
    e.action = action;
    e.entity = entity;
    e.entity_id = id;
    e.detail = detail.dump();
    s.append_audit(std::move(e));
}

/// Removes an entity and audits it, in one transaction; 204.
template <class T>
Response remove_audited(Catalog& c, const Principal& by, const Id& id, const char* entity) {
    c.store().transaction([&](catalog::Store& s) {
        s.remove<T>(id);
        audit(s, by, "delete", entity, id);
    });
    return deleted();
}

/// The string at `key` (absent → nullopt); problems for a wrong type or length.
std::optional<std::string> text_field(const json& body, const char* key, std::size_t max, bool required,
                                      std::vector<std::string>& problems) {
    const auto it = body.find(key);
    if (it == body.end() || it->is_null()) {
        if (required) problems.push_back(fmt::format("{}: required", key));
        return std::nullopt;
    }
    if (!it->is_string()) {
        problems.push_back(fmt::format("{}: must be a string", key));
        return std::nullopt;
    }
    std::string s = it->get<std::string>();
    if (required && s.empty()) problems.push_back(fmt::format("{}: must not be empty", key));
    if (s.size() > max) problems.push_back(fmt::format("{}: at most {} bytes", key, max));
    return s;
}

bool finite_in(const json& v, double lo, double hi) {
    return v.is_number() && std::isfinite(v.get<double>()) && v.get<double>() >= lo && v.get<double>() <= hi;
}

// ---- map documents ------------------------------------------------------------------------------

bool can_read(const Principal& p, const MapDocument& d) {
    if (p.admin() || d.owner == p.user.id || d.sharing == Sharing::public_) return true;
    if (d.sharing != Sharing::community) return false;
    return std::any_of(d.shared_with.begin(), d.shared_with.end(), [&](const Id& id) { return id == p.user.id || member_of(p, id); });
}

/// The document `id` if `p` may read it (404 otherwise: invisible documents are not revealed);
/// with `write`, 403 unless `p` owns it or is an administrator.
MapDocument document_for(Catalog& c, const Principal& p, const std::string& id, bool write) {
    auto d = catalog::is_uuid(id) ? c.store().get<MapDocument>(id) : std::nullopt;
    if (!d || !can_read(p, *d)) throw CatalogError(404, fmt::format("document '{}' not found", id));
    if (write && !p.admin() && d->owner != p.user.id) throw CatalogError(403, "only the owner of a document (or an administrator) may change it");
    return *d;
}

void check_layers(const json& layers, std::vector<std::string>& problems) {
    if (!layers.is_array()) {
        problems.push_back("layers: must be an array of {layer | url, opacity?, visible?, style?}");
        return;
    }
    if (layers.size() > 500) problems.push_back("layers: at most 500 layers");
    for (std::size_t i = 0; i < layers.size() && i < 500; ++i) {
        const json& l = layers[i];
        if (!l.is_object()) {
            problems.push_back(fmt::format("layers[{}]: must be an object", i));
            continue;
        }
        const bool named = l.contains("layer") && l["layer"].is_string() && !l["layer"].get<std::string>().empty();
        const bool url = l.contains("url") && l["url"].is_string() && !l["url"].get<std::string>().empty();
        if (!named && !url) problems.push_back(fmt::format("layers[{}]: needs a non-empty 'layer' name or 'url'", i));
        if (l.contains("opacity") && !finite_in(l["opacity"], 0, 1)) problems.push_back(fmt::format("layers[{}].opacity: a number from 0 to 1", i));
        if (l.contains("visible") && !l["visible"].is_boolean()) problems.push_back(fmt::format("layers[{}].visible: a boolean", i));
        if (l.contains("style") && !l["style"].is_string()) problems.push_back(fmt::format("layers[{}].style: a string", i));
    }
}

void check_view(const json& view, std::vector<std::string>& problems) {
    if (!view.is_object()) {
        problems.push_back("view: must be an object {center: [lon, lat], zoom, bearing?, pitch?}");
        return;
    }
    if (view.contains("center")) {
        const json& c = view["center"];
        if (!c.is_array() || c.size() != 2 || !finite_in(c[0], -180, 180) || !finite_in(c[1], -90, 90))
            problems.push_back("view.center: [lon, lat] with lon in [-180, 180] and lat in [-90, 90]");
    }
    if (view.contains("zoom") && !finite_in(view["zoom"], 0, 24)) problems.push_back("view.zoom: a number from 0 to 24");
    if (view.contains("bearing") && !finite_in(view["bearing"], -360, 360)) problems.push_back("view.bearing: a number from -360 to 360");
    if (view.contains("pitch") && !finite_in(view["pitch"], 0, 85)) problems.push_back("view.pitch: a number from 0 to 85");
}

/// Applies the sharing fields of `body` to `d` (sharing, shared_with), checking the ids.
void apply_sharing(Catalog& c, const Principal& p, const json& body, MapDocument& d, std::vector<std::string>& problems) {
    if (const auto it = body.find("sharing"); it != body.end()) {
        Sharing s{};
        if (!it->is_string() || !catalog::from_string(it->get<std::string>(), s))
            problems.push_back("sharing: one of PRIVATE, COMMUNITY, PUBLIC");
        else
            d.sharing = s;
    }
    bool listed = false;
    if (const auto it = body.find("shared_with"); it != body.end()) {
        listed = true;
        d.shared_with.clear();
        if (!it->is_array() || it->size() > 1000) {
            problems.push_back("shared_with: an array of at most 1000 user or community ids");
            return;
        }
        for (const auto& v : *it) {
            if (!v.is_string() || !catalog::is_uuid(v.get<std::string>())) {
                problems.push_back("shared_with: every entry must be a user or community id");
                continue;
            }
            const std::string id = v.get<std::string>();
            if (c.store().get<catalog::Community>(id)) {
                if (!p.admin() && !member_of(p, id)) problems.push_back(fmt::format("shared_with: you are not a member of community '{}'", id));
            } else if (!c.store().get<catalog::User>(id)) {
                problems.push_back(fmt::format("shared_with: no user or community '{}'", id));
            }
            if (std::find(d.shared_with.begin(), d.shared_with.end(), id) == d.shared_with.end()) d.shared_with.push_back(id);
        }
    }
    if (d.sharing == Sharing::private_ && !d.shared_with.empty()) {
        if (listed) problems.push_back("shared_with: a PRIVATE document is shared with nobody");
        d.shared_with.clear();  // going back to PRIVATE forgets the list
    }
    if (d.sharing == Sharing::community && d.shared_with.empty()) {
        // COMMUNITY without a list: the owner's communities.
        for (const auto& m : p.user.communities_member) d.shared_with.push_back(m.community);
        if (d.shared_with.empty()) problems.push_back("shared_with: a COMMUNITY document needs a community (you belong to none)");
    }
}

/// Fills `d` from a create (all fields) or PATCH (present fields) body; throws every problem at once.
void apply_document(Catalog& c, const Principal& p, const json& body, MapDocument& d, bool create) {
    std::vector<std::string> problems;
    if (auto v = text_field(body, "name", 200, create || body.contains("name"), problems)) d.name = *v;
    if (auto v = text_field(body, "description", max_text, false, problems)) d.description = *v;
    if (const auto it = body.find("layers"); it != body.end()) {
        check_layers(*it, problems);
        d.layers = it->dump();
    }
    if (const auto it = body.find("styles"); it != body.end()) {
        if (!it->is_object()) problems.push_back("styles: must be an object (style name → style)");
        d.styles = it->dump();
    }
    if (const auto it = body.find("view"); it != body.end()) {
        check_view(*it, problems);
        d.view = it->dump();
    }
    if (const auto it = body.find("tags"); it != body.end()) {
        d.tags.clear();
        if (!it->is_object()) problems.push_back("tags: an object of strings");
        else
            for (const auto& [k, v] : it->items()) {
                if (v.is_string()) d.tags[k] = v.get<std::string>();
                else problems.push_back(fmt::format("tags.{}: must be a string", k));
            }
    }
    apply_sharing(c, p, body, d, problems);
    if (d.layers.size() + d.styles.size() + d.view.size() > 4'000'000) problems.push_back("the document is larger than 4 MB");
    if (!problems.empty()) throw InvalidArgument(std::move(problems));
}

void add_documents(const CatalogRouteAdder& add) {
    add("GET", "/users/me/documents",
        "Map documents: mine (?scope=mine, default), shared with me (?scope=shared) or both (?scope=all); ?sharing= filters",
        [](Catalog& c, const Principal& p, const Request& r) {
            const std::string* scope_param = r.param("scope");
            const std::string scope = scope_param == nullptr ? "mine" : *scope_param;
            if (scope != "mine" && scope != "shared" && scope != "all") throw InvalidArgument("scope: one of mine, shared, all");
            catalog::ListFilter filter;
            if (const std::string* s = r.param("sharing")) {
                Sharing v{};
                if (!catalog::from_string(*s, v)) throw InvalidArgument("sharing: one of PRIVATE, COMMUNITY, PUBLIC");
                filter["sharing"] = *s;
            }
            if (scope == "mine") filter["owner"] = p.user.id;
            std::vector<MapDocument> out;
            for (auto& d : c.store().list<MapDocument>(filter, {0, 1'000'000}).items) {
                const bool mine = d.owner == p.user.id;
                if ((scope == "shared" && mine) || !can_read(p, d)) continue;
                if (scope == "shared" && p.admin() && d.sharing == Sharing::private_) continue;  // not "shared with" the admin
                out.push_back(std::move(d));
            }
            return paged_reply(r, out, [](const MapDocument& d) { return json(d); });
        },
        200);
    add("POST", "/users/me/documents",
        "Save a map document {name, description?, layers[{layer|url, opacity?, visible?, style?}], styles{}, view{center, zoom, bearing?, pitch?}, "
        "sharing: PRIVATE|COMMUNITY|PUBLIC, shared_with[]}",
        [](Catalog& c, const Principal& p, const Request& r) {
            if (!c.store().get<catalog::User>(p.user.id))
                throw CatalogError(403, "the bootstrap administrator has no user account to own documents: create a user");
            MapDocument d;
            d.owner = p.user.id;
            apply_document(c, p, body_of(r), d, true);
            c.store().transaction([&](catalog::Store& s) {
                d = s.create(std::move(d));
                audit(s, p, "create", "map_document", d.id, json{{"sharing", catalog::to_string(d.sharing)}});
            });
            return json_no_store(json(d), 201);
        },
        201);
    add("GET", "/users/me/documents/{document}", "One map document (mine, shared with me or public)",
        [](Catalog& c, const Principal& p, const Request& r) { return json_no_store(json(document_for(c, p, route_capture(r, "document"), false))); },
        200);
    add("PATCH", "/users/me/documents/{document}", "Change a map document (owner or administrator); only the fields sent change",
        [](Catalog& c, const Principal& p, const Request& r) {
            MapDocument d = document_for(c, p, route_capture(r, "document"), true);
            const json body = body_of(r);
            apply_document(c, p, body, d, false);
            c.store().transaction([&](catalog::Store& s) {
                d = s.update(std::move(d));
                json fields = json::array();
                for (const auto& [k, v] : body.items()) fields.push_back(k);
                audit(s, p, "update", "map_document", d.id, json{{"fields", fields}});
            });
            return json_no_store(json(d));
        },
        200);
    add("DELETE", "/users/me/documents/{document}", "Delete a map document (owner or administrator)",
        [](Catalog& c, const Principal& p, const Request& r) {
            const MapDocument d = document_for(c, p, route_capture(r, "document"), true);
            return remove_audited<MapDocument>(c, p, d.id, "map_document");
        },
        204);
    add("GET", "/users/me/documents/{document}/sharings", "How a map document is shared: {sharing, shared_with[]}",
        [](Catalog& c, const Principal& p, const Request& r) {
            const MapDocument d = document_for(c, p, route_capture(r, "document"), false);
            return json_no_store(json{{"sharing", catalog::to_string(d.sharing)}, {"shared_with", d.shared_with}});
        },
        200);
    add("PUT", "/users/me/documents/{document}/sharings",
        "Share a map document {sharing: PRIVATE|COMMUNITY|PUBLIC, shared_with[user or community ids]} (owner or administrator)",
        [](Catalog& c, const Principal& p, const Request& r) {
            MapDocument d = document_for(c, p, route_capture(r, "document"), true);
            json body = body_of(r);
            if (!body.contains("sharing")) throw InvalidArgument("sharing: required");
            if (!body.contains("shared_with")) body["shared_with"] = json::array();
            std::vector<std::string> problems;
            apply_sharing(c, p, body, d, problems);
            if (!problems.empty()) throw InvalidArgument(std::move(problems));
            c.store().transaction([&](catalog::Store& s) {
                d = s.update(std::move(d));
                audit(s, p, "share", "map_document", d.id, json{{"sharing", catalog::to_string(d.sharing)}, {"shared_with", d.shared_with}});
            });
            return json_no_store(json{{"sharing", catalog::to_string(d.sharing)}, {"shared_with", d.shared_with}});
        },
        200);
}

// ---- reports ------------------------------------------------------------------------------------

/// A report filed on a dataset without a location: extra {"located": false}; served as location null.
bool located(const Report& r) {
    const json extra = json::parse(r.extra, nullptr, false);
    return !(extra.is_object() && extra.value("located", true) == false);
}

bool can_read_dataset(Catalog& c, const Principal& p, const catalog::Dataset& d) {
    if (p.admin() || d.sharing == Sharing::public_) return true;
    if (d.datastore.empty()) return false;
    const auto ds = c.store().get<catalog::Datastore>(d.datastore);
    return ds && member_of(p, ds->community);
}

bool can_read_report(Catalog& c, const Principal& p, const Report& r) {
    if (r.dataset.empty() || p.admin() || r.author == p.user.id) return true;
    const auto d = c.store().get<catalog::Dataset>(r.dataset);
    return !d || can_read_dataset(c, p, *d);
}

/// Administrators; producers of the community owning the report's dataset.
bool can_moderate(Catalog& c, const Principal& p, const Report& r) {
    if (p.admin()) return true;
    if (r.dataset.empty() || !p.user.has_role(catalog::UserRole::producer)) return false;
    const auto d = c.store().get<catalog::Dataset>(r.dataset);
    if (!d || d->datastore.empty()) return false;
    const auto ds = c.store().get<catalog::Datastore>(d->datastore);
    return ds && member_of(p, ds->community);
}

constexpr ReportStatus all_statuses[] = {ReportStatus::submitted, ReportStatus::pending, ReportStatus::validated, ReportStatus::rejected};

json next_statuses(ReportStatus from) {
    json out = json::array();
    for (auto to : all_statuses)
        if (catalog::can_transition(from, to)) out.push_back(catalog::to_string(to));
    return out;
}

json report_json(Catalog& c, const Principal& p, const Report& r) {
    json j = r;
    if (!located(r)) j["location"] = nullptr;
    j["next_statuses"] = next_statuses(r.status);
    j["can_moderate"] = can_moderate(c, p, r);
    return j;
}

Report report_for(Catalog& c, const Principal& p, const std::string& id) {
    auto r = catalog::is_uuid(id) ? c.store().get<Report>(id) : std::nullopt;
    if (!r || !can_read_report(c, p, *r)) throw CatalogError(404, fmt::format("report '{}' not found", id));
    return *r;
}

/// "w,s,e,n" in degrees.
catalog::GeoBox parse_bbox(const std::string& text) {
    double v[4];
    std::size_t pos = 0;
    for (int i = 0; i < 4; ++i) {
        const std::size_t comma = i < 3 ? text.find(',', pos) : text.size();
        if (comma == std::string::npos) throw InvalidArgument("bbox: four numbers west,south,east,north");
        const std::string part = text.substr(pos, comma - pos);
        const auto res = std::from_chars(part.data(), part.data() + part.size(), v[i]);
        if (res.ec != std::errc() || res.ptr != part.data() + part.size() || !std::isfinite(v[i]))
            throw InvalidArgument("bbox: four numbers west,south,east,north");
        pos = comma + 1;
    }
    const catalog::GeoBox b{v[0], v[1], v[2], v[3]};
    if (b.west > b.east || b.south > b.north || b.west < -180 || b.east > 180 || b.south < -90 || b.north > 90)
        throw InvalidArgument("bbox: west ≤ east and south ≤ north, within [-180, 180] × [-90, 90]");
    return b;
}

Report new_report(Catalog& c, const Principal& p, const json& body) {
    std::vector<std::string> problems;
    Report rep;
    rep.author = p.user.id;
    if (auto v = text_field(body, "description", max_text, true, problems)) rep.description = *v;
    if (auto v = text_field(body, "theme", 100, false, problems)) rep.theme = *v;
    std::optional<catalog::Dataset> dataset;
    if (auto v = text_field(body, "dataset", 64, false, problems)) {
        dataset = catalog::is_uuid(*v) ? c.store().get<catalog::Dataset>(*v) : std::nullopt;
        if (!dataset || !can_read_dataset(c, p, *dataset)) problems.push_back(fmt::format("dataset: no dataset '{}'", *v));
        else rep.dataset = dataset->id;
    }
    const auto loc = body.find("location");
    if (loc != body.end() && !loc->is_null()) {
        const bool point = loc->is_object() && loc->value("type", json()) == "Point" && loc->contains("coordinates") &&
                           (*loc)["coordinates"].is_array() && (*loc)["coordinates"].size() == 2;
        if (!point || !finite_in((*loc)["coordinates"][0], -180, 180) || !finite_in((*loc)["coordinates"][1], -90, 90)) {
            problems.push_back("location: a GeoJSON Point {\"type\":\"Point\",\"coordinates\":[lon, lat]} in EPSG:4326 degrees");
        } else {
            rep.lon = (*loc)["coordinates"][0].get<double>();
            rep.lat = (*loc)["coordinates"][1].get<double>();
        }
    } else if (dataset && dataset->bbox) {  // about a dataset: its extent's centre
        rep.lon = (dataset->bbox->west + dataset->bbox->east) / 2;
        rep.lat = (dataset->bbox->south + dataset->bbox->north) / 2;
    } else if (dataset) {
        rep.extra = R"({"located":false})";
    } else if (!body.contains("dataset")) {
        problems.push_back("location or dataset: a report is about a place (GeoJSON Point) or a dataset");
    }
    if (!problems.empty()) throw InvalidArgument(std::move(problems));
    return rep;
}

catalog::ReportComment comment_from(const Principal& p, const json& body, const char* key, bool required) {
    std::vector<std::string> problems;
    catalog::ReportComment cm;
    cm.author = p.user.id;
    cm.date = catalog::now_iso8601();
    if (auto v = text_field(body, key, max_text, required, problems)) cm.text = *v;
    if (!problems.empty()) throw InvalidArgument(std::move(problems));
    return cm;
}

void add_reports(const CatalogRouteAdder& add) {
    add("GET", "/reports",
        "Reports I may see, newest first; filters ?status=SUBMITTED|PENDING|VALIDATED|REJECTED (repeatable), ?dataset=, ?theme=, "
        "?author=me, ?bbox=w,s,e,n",
        [](Catalog& c, const Principal& p, const Request& r) {
            catalog::ListFilter filter;
            if (const std::string* d = r.param("dataset")) {
                if (!catalog::is_uuid(*d)) throw InvalidArgument("dataset: a dataset id");
                filter["dataset"] = *d;
            }
            if (const std::string* t = r.param("theme")) filter["theme"] = *t;
            if (const std::string* a = r.param("author")) {
                if (*a != "me") throw InvalidArgument("author: only 'me'");
                filter["author"] = p.user.id;
            }
            std::vector<ReportStatus> statuses;
            for (const auto s : r.params("status")) {
                ReportStatus v{};
                if (!catalog::from_string(s, v)) throw InvalidArgument(fmt::format("status: unknown '{}' (SUBMITTED, PENDING, VALIDATED, REJECTED)", s));
                statuses.push_back(v);
            }
            std::optional<catalog::GeoBox> bbox;
            if (const std::string* b = r.param("bbox")) bbox = parse_bbox(*b);
            std::vector<Report> out;
            for (auto& rep : c.store().list<Report>(filter, {0, 1'000'000}).items) {
                if (!statuses.empty() && std::find(statuses.begin(), statuses.end(), rep.status) == statuses.end()) continue;
                if (bbox && (!located(rep) || !bbox->intersects(catalog::GeoBox{rep.lon, rep.lat, rep.lon, rep.lat}))) continue;
                if (!can_read_report(c, p, rep)) continue;
                out.push_back(std::move(rep));
            }
            std::reverse(out.begin(), out.end());  // the store lists in creation order
            return paged_reply(r, out, [&](const Report& rep) { return report_json(c, p, rep); });
        },
        200);
    add("POST", "/reports",
        "File a report {description, theme?, location?: GeoJSON Point, dataset?: id} — a place, a dataset or both; status SUBMITTED",
        [](Catalog& c, const Principal& p, const Request& r) {
            Report rep = new_report(c, p, body_of(r));
            c.store().transaction([&](catalog::Store& s) {
                rep = s.create(std::move(rep));
                audit(s, p, "create", "report", rep.id, json{{"dataset", rep.dataset}});
            });
            return json_no_store(report_json(c, p, rep), 201);
        },
        201);
    add("GET", "/reports/{report}", "One report with its comments and the statuses it may move to",
        [](Catalog& c, const Principal& p, const Request& r) { return json_no_store(report_json(c, p, report_for(c, p, route_capture(r, "report")))); },
        200);
    add("PATCH", "/reports/{report}",
        "Moderate {status, comment?} (administrators and producers of the dataset; invalid transitions → 409) or edit {description, theme} "
        "(author, while SUBMITTED)",
        [](Catalog& c, const Principal& p, const Request& r) {
            const json body = body_of(r);
            std::optional<Report> result;
            c.store().transaction([&](catalog::Store& s) {
                Report rep = report_for(c, p, route_capture(r, "report"));
                json detail = json::object();
                if (const auto it = body.find("status"); it != body.end()) {
                    ReportStatus to{};
                    if (!it->is_string() || !catalog::from_string(it->get<std::string>(), to))
                        throw InvalidArgument("status: one of SUBMITTED, PENDING, VALIDATED, REJECTED");
                    if (!can_moderate(c, p, rep))
                        throw CatalogError(403, "only an administrator or a producer of the report's dataset may change its status");
                    if (!catalog::can_transition(rep.status, to))
                        throw CatalogError(409, fmt::format("a {} report cannot become {} (allowed: {})", catalog::to_string(rep.status),
                                                            catalog::to_string(to),
                                                            next_statuses(rep.status).empty() ? std::string("none, it is closed")
                                                                                              : next_statuses(rep.status).dump()));
                    detail["from"] = catalog::to_string(rep.status);
                    detail["to"] = catalog::to_string(to);
                    rep.status = to;
                    if (body.contains("comment")) rep.comments.push_back(comment_from(p, body, "comment", true));
                }
                if (body.contains("description") || body.contains("theme")) {
                    if (rep.author != p.user.id && !p.admin()) throw CatalogError(403, "only the author edits a report's description and theme");
                    if (rep.status != ReportStatus::submitted && !body.contains("status"))
                        throw CatalogError(409, fmt::format("a {} report can no longer be edited", catalog::to_string(rep.status)));
                    std::vector<std::string> problems;
                    if (auto v = text_field(body, "description", max_text, body.contains("description"), problems)) rep.description = *v;
                    if (auto v = text_field(body, "theme", 100, false, problems)) rep.theme = *v;
                    if (!problems.empty()) throw InvalidArgument(std::move(problems));
                    detail["edited"] = true;
                }
                if (detail.empty()) throw InvalidArgument("nothing to change: send status (moderators) or description / theme (author)");
                result = s.update(std::move(rep));
                audit(s, p, detail.contains("to") ? "moderate" : "update", "report", result->id, detail);
            });
            return json_no_store(report_json(c, p, *result));
        },
        200);
    add("DELETE", "/reports/{report}", "Withdraw a report (its author while SUBMITTED, or an administrator)",
        [](Catalog& c, const Principal& p, const Request& r) {
            const Report rep = report_for(c, p, route_capture(r, "report"));
            if (!p.admin() && (rep.author != p.user.id || rep.status != ReportStatus::submitted))
                throw CatalogError(403, "only the author of a SUBMITTED report (or an administrator) may delete it");
            return remove_audited<Report>(c, p, rep.id, "report");
        },
        204);
    add("GET", "/reports/{report}/comments", "The comments of a report, oldest first",
        [](Catalog& c, const Principal& p, const Request& r) { return json_no_store(json(report_for(c, p, route_capture(r, "report")).comments)); },
        200);
    add("POST", "/reports/{report}/comments", "Comment on a report {text} (whoever may see it)",
        [](Catalog& c, const Principal& p, const Request& r) {
            const catalog::ReportComment cm = comment_from(p, body_of(r), "text", true);
            c.store().transaction([&](catalog::Store& s) {
                Report rep = report_for(c, p, route_capture(r, "report"));
                rep.comments.push_back(cm);
                rep = s.update(std::move(rep));
                audit(s, p, "comment", "report", rep.id);
            });
            return json_no_store(json(cm), 201);
        },
        201);
}

}  // namespace

void add_document_routes(const CatalogRouteAdder& add) {
    add_documents(add);
    add_reports(add);
}

}  // namespace geoplex::server
