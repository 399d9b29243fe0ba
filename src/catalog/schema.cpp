#include "schema.hpp"

#include <array>

namespace geoplex::catalog::detail {

namespace {

using T = ColumnType;
using D = OnDelete;

std::vector<TableSpec> make_specs() {
    std::vector<TableSpec> s;
    s.push_back({EntityKind::organization, "organization", {{"name"}, {"technical_name", T::text, true}}, {}});
    s.push_back({EntityKind::community,
                 "community",
                 {{"name"},
                  {"technical_name", T::text, true},
                  {"organization", T::text, false, "organization"},
                  {"datastore"},
                  {"supervisor"},
                  {"public", T::boolean}},
                 {}});
    s.push_back({EntityKind::datastore,
                 "datastore",
                 {{"name"}, {"technical_name", T::text, true}, {"community", T::text, false, "community"}, {"active", T::boolean}},
                 {}});
    s.push_back({EntityKind::user, "user", {{"email", T::text, true}, {"technical", T::boolean}}, {"communities"}});
    s.push_back({EntityKind::api_key,
                 "api_key",
                 {{"user", T::text, false, "user", D::cascade}, {"name"}, {"type"}, {"lookup", T::text, true}},
                 {}});
    s.push_back({EntityKind::dataset,
                 "dataset",
                 // Search has its own structures; these columns serve list() on small sets.
                 {{"datastore", T::text, false, "datastore"},
                  {"file_identifier", T::text, true},
                  {"title", T::text, false, {}, D::restrict, {}, false},
                  {"producer", T::text, false, {}, D::restrict, {}, false},
                  {"licence", T::text, false, {}, D::restrict, {}, false},
                  {"open_data", T::boolean, false, {}, D::restrict, {}, false},
                  {"modified", T::text, false, {}, D::restrict, {}, false}},
                 {}});
    s.push_back({EntityKind::upload,
                 "upload",
                 {{"datastore", T::text, false, "datastore"}, {"name"}, {"type"}, {"status"}, {"size", T::integer}},
                 {}});
    s.push_back({EntityKind::check_execution,
                 "check_execution",
                 {{"upload", T::text, false, "upload", D::cascade}, {"check", T::text, false, {}, D::restrict, "/check/name"}, {"status"}},
                 {},
                 "creation",
                 ""});
    s.push_back({EntityKind::processing_execution,
                 "processing_execution",
                 {{"datastore", T::text, false, "datastore"}, {"processing"}, {"status"}, {"output_stored_data"}},
                 {"input_uploads", "input_stored_data"},
                 "creation",
                 ""});
    s.push_back({EntityKind::stored_data,
                 "stored_data",
                 {{"datastore", T::text, false, "datastore"},
                  {"name"},
                  {"type"},
                  {"status"},
                  {"size", T::integer},
                  {"storage_type", T::text, false, {}, D::restrict, "/storage/type"}},
                 {}});
    s.push_back({EntityKind::configuration,
                 "configuration",
                 {{"datastore", T::text, false, "datastore"}, {"type"}, {"status"}, {"name"}, {"layer_name", T::text, true}},
                 {"used_stored_data"}});
    s.push_back({EntityKind::endpoint,
                 "endpoint",
                 {{"name"}, {"technical_name", T::text, true}, {"type"}, {"open", T::boolean}},
                 {}});
    s.push_back({EntityKind::offering,
                 "offering",
                 {{"datastore", T::text, false, "datastore"},
                  {"configuration", T::text, false, "configuration"},
                  {"endpoint", T::text, false, "endpoint"},
                  {"type"},
                  {"status"},
                  {"open", T::boolean},
                  {"available", T::boolean},
                  {"layer_name"}},
                 {}});
    s.push_back({EntityKind::permission,
                 "permission",
                 {{"datastore", T::text, false, "datastore"}, {"type"}, {"licence"}, {"end_date"}, {"only_oauth", T::boolean}},
                 {"offerings", "users"}});
    s.push_back({EntityKind::access,
                 "access",
                 {{"key", T::text, false, "api_key", D::cascade},
                  {"permission", T::text, false, "permission", D::cascade},
                  {"offering", T::text, false, "offering", D::cascade}},
                 {}});
    s.push_back({EntityKind::map_document,
                 "map_document",
                 {{"owner", T::text, false, "user", D::cascade}, {"name"}, {"sharing"}},
                 {"shared_with"}});
    s.push_back({EntityKind::report, "report", {{"author"}, {"dataset"}, {"status"}, {"theme"}}, {}});
    s.push_back({EntityKind::audit_event,
                 "audit_event",
                 {{"time"}, {"actor"}, {"action"}, {"entity"}, {"entity_id"}, {"datastore"}},
                 {},
                 "time",
                 ""});
    return s;
}

}  // namespace

const TableSpec& table_spec(EntityKind kind) {
    static const std::vector<TableSpec> specs = make_specs();
    const auto& spec = specs.at(static_cast<std::size_t>(kind));
    if (spec.kind != kind) throw Error(errc::internal, "catalog table specs are out of order");
    return spec;
}

const std::vector<EntityKind>& all_kinds() {
    static const std::vector<EntityKind> kinds = [] {
        std::vector<EntityKind> k;
        for (int i = 0; i <= static_cast<int>(EntityKind::audit_event); ++i) k.push_back(static_cast<EntityKind>(i));
        return k;
    }();
    return kinds;
}

}  // namespace geoplex::catalog::detail
