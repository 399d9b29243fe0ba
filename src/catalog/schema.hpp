#pragma once
// The relational shape of each entity, shared by both SQL stores: one table per kind holding the
// JSON document plus indexed columns named after JSON fields (filters, constraints), and one side
// table per array field ("<table>__<field>") for "any element equals" filters.

#include <string_view>
#include <vector>

#include "geoplex/catalog/store.hpp"

namespace geoplex::catalog::detail {

enum class ColumnType { text, integer, boolean };
enum class OnDelete { restrict, cascade };

struct Column {
    std::string_view name;                  ///< SQL column and filter field
    ColumnType type = ColumnType::text;
    bool unique = false;                    ///< unique when set ("" is stored as NULL)
    std::string_view references = {};       ///< referenced table ("" = none); "" is stored as NULL
    OnDelete on_delete = OnDelete::restrict;
    std::string_view pointer = {};          ///< JSON pointer when not "/<name>"
    bool indexed = true;                    ///< a b-tree index for list() filters
};

struct TableSpec {
    EntityKind kind{};
    std::string_view table;                 ///< = to_string(kind)
    std::vector<Column> columns;
    std::vector<std::string_view> arrays;   ///< array-of-string JSON fields
    std::string_view created_field = "created";    ///< set on create when empty ("" = none)
    std::string_view modified_field = "modified";  ///< set on create and update ("" = none)
};

[[nodiscard]] const TableSpec& table_spec(EntityKind kind);
[[nodiscard]] const std::vector<EntityKind>& all_kinds();

}  // namespace geoplex::catalog::detail
