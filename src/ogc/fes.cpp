// FES 2.0 filters (and the FES 1.1 ogc: forms clients still send) parsed with GDAL's XML parser
// into a Filter tree. Namespace prefixes are ignored; depth is bounded.

#include <algorithm>

#include <cpl_conv.h>
#include <cpl_minixml.h>
#include <fmt/format.h>
#include <ogr_api.h>

#include "geoplex/core/error.hpp"
#include "ogc/detail.hpp"

namespace geoplex::ogc {

namespace {

constexpr int max_depth = 32;

std::string_view local_name(const CPLXMLNode* n) {
    std::string_view v = n->pszValue;
    const auto colon = v.find(':');
    return colon == std::string_view::npos ? v : v.substr(colon + 1);
}

std::vector<const CPLXMLNode*> elements(const CPLXMLNode* n) {
    std::vector<const CPLXMLNode*> out;
    for (const CPLXMLNode* c = n->psChild; c != nullptr; c = c->psNext)
        if (c->eType == CXT_Element) out.push_back(c);
    return out;
}

std::string text_of(const CPLXMLNode* n) {
    std::string out;
    for (const CPLXMLNode* c = n->psChild; c != nullptr; c = c->psNext)
        if (c->eType == CXT_Text) out += c->pszValue;
    return out;
}

std::string attribute(const CPLXMLNode* n, std::string_view name) {
    for (const CPLXMLNode* c = n->psChild; c != nullptr; c = c->psNext) {
        if (c->eType != CXT_Attribute) continue;
        std::string_view a = c->pszValue;
        if (const auto colon = a.find(':'); colon != std::string_view::npos) a = a.substr(colon + 1);
        if (a == name && c->psChild != nullptr) return c->psChild->pszValue;
    }
    return {};
}

std::string trim(std::string s) {
    const auto a = s.find_first_not_of(" \t\r\n");
    const auto b = s.find_last_not_of(" \t\r\n");
    return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

[[noreturn]] void bad(const std::string& what) { throw InvalidArgument(fmt::format("FILTER: {}", what)); }

std::string property_of(const CPLXMLNode* op) {
    for (const auto* c : elements(op)) {
        const auto n = local_name(c);
        if (n == "ValueReference" || n == "PropertyName") {
            std::string p = trim(text_of(c));
            // "ns:name" and XPath-like "ns:layer/ns:name": keep the last step's local name.
            if (const auto slash = p.rfind('/'); slash != std::string::npos) p = p.substr(slash + 1);
            if (const auto colon = p.find(':'); colon != std::string::npos) p = p.substr(colon + 1);
            if (p.empty()) bad(fmt::format("{}: empty property name", local_name(op)));
            return p;
        }
    }
    bad(fmt::format("{}: no ValueReference", local_name(op)));
}

std::string literal_in(const CPLXMLNode* n) {
    for (const auto* c : elements(n))
        if (local_name(c) == "Literal") return text_of(c);
    bad(fmt::format("{}: no Literal", local_name(n)));
}

/// A GML geometry element (or Envelope) → WKT in GIS order, and its srsName.
void geometry_of(const CPLXMLNode* g, Filter& f, bool as_box) {
    // Without srsName the geometry is in the feature type's default CRS, EPSG:4326 in the
    // capabilities: latitude first (what GDAL's WFS driver sends for -spat).
    f.crs = attribute(g, "srsName");
    if (f.crs.empty()) f.crs = "urn:ogc:def:crs:EPSG::4326";
    const bool swap = Services::northing_first(f.crs);
    if (local_name(g) == "Envelope") {
        double v[4];
        int k = 0;
        for (const auto* c : elements(g)) {
            const auto n = local_name(c);
            if (n != "lowerCorner" && n != "upperCorner") continue;
            const std::string t = text_of(c);
            char* end = nullptr;
            const char* p = t.c_str();
            for (int i = 0; i < 2; ++i) {
                const double d = CPLStrtod(p, &end);
                if (end == p || k >= 4) bad("Envelope: lowerCorner/upperCorner need two numbers each");
                v[k++] = d;
                p = end;
            }
        }
        if (k != 4) bad("Envelope: lowerCorner and upperCorner are required");
        if (swap) {
            std::swap(v[0], v[1]);
            std::swap(v[2], v[3]);
        }
        f.box = BBox::of(v[0], v[1], v[2], v[3]);
        if (!(f.box.min_x <= f.box.max_x && f.box.min_y <= f.box.max_y)) bad("Envelope: lowerCorner > upperCorner");
        f.geometry_wkt = fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", v[0], v[1], v[2], v[3]);
        return;
    }
    if (as_box) bad("BBOX needs a gml:Envelope");
    OGRGeometryH geom = OGR_G_CreateFromGMLTree(g);
    if (geom == nullptr) bad(fmt::format("cannot read the GML geometry '{}'", local_name(g)));
    if (swap) OGR_G_SwapXY(geom);
    char* wkt = nullptr;
    OGR_G_ExportToWkt(geom, &wkt);
    OGREnvelope e;
    OGR_G_GetEnvelope(geom, &e);
    f.box = BBox::of(e.MinX, e.MinY, e.MaxX, e.MaxY);
    f.geometry_wkt = wkt != nullptr ? wkt : "";
    CPLFree(wkt);
    OGR_G_DestroyGeometry(geom);
}

Filter parse_op(const CPLXMLNode* n, int depth) {
    if (depth > max_depth) bad("nested too deeply");
    Filter f;
    const std::string name(local_name(n));
    static const std::pair<std::string_view, FilterOp> comparisons[] = {
        {"PropertyIsEqualTo", FilterOp::equal},      {"PropertyIsNotEqualTo", FilterOp::not_equal},
        {"PropertyIsLessThan", FilterOp::less},      {"PropertyIsLessThanOrEqualTo", FilterOp::less_equal},
        {"PropertyIsGreaterThan", FilterOp::greater}, {"PropertyIsGreaterThanOrEqualTo", FilterOp::greater_equal}};
    for (const auto& [op_name, op] : comparisons) {
        if (name != op_name) continue;
        f.op = op;
        f.property = property_of(n);
        f.literals = {literal_in(n)};
        f.match_case = attribute(n, "matchCase") != "false";
        return f;
    }
    if (name == "PropertyIsLike") {
        f.op = FilterOp::like;
        f.property = property_of(n);
        f.literals = {literal_in(n)};
        f.match_case = attribute(n, "matchCase") != "false";
        const std::string w = attribute(n, "wildCard"), s = attribute(n, "singleChar");
        std::string e = attribute(n, "escapeChar");
        if (e.empty()) e = attribute(n, "escape");
        if (w.size() != 1 || s.size() != 1 || e.size() != 1) bad("PropertyIsLike needs one-character wildCard, singleChar and escapeChar");
        f.wild_card = w[0];
        f.single_char = s[0];
        f.escape_char = e[0];
        return f;
    }
    if (name == "PropertyIsBetween") {
        f.op = FilterOp::between;
        f.property = property_of(n);
        std::string lo, hi;
        bool has_lo = false, has_hi = false;
        for (const auto* c : elements(n)) {
            if (local_name(c) == "LowerBoundary") { lo = literal_in(c); has_lo = true; }
            if (local_name(c) == "UpperBoundary") { hi = literal_in(c); has_hi = true; }
        }
        if (!has_lo || !has_hi) bad("PropertyIsBetween needs LowerBoundary and UpperBoundary");
        f.literals = {lo, hi};
        return f;
    }
    if (name == "PropertyIsNull" || name == "PropertyIsNil") {
        f.op = FilterOp::is_null;
        f.property = property_of(n);
        return f;
    }
    if (name == "And" || name == "Or" || name == "Not") {
        f.op = name == "And" ? FilterOp::and_ : name == "Or" ? FilterOp::or_ : FilterOp::not_;
        for (const auto* c : elements(n)) f.children.push_back(parse_op(c, depth + 1));
        if (f.op == FilterOp::not_ ? f.children.size() != 1 : f.children.size() < 2)
            bad(fmt::format("{} has {} operand(s)", name, f.children.size()));
        return f;
    }
    if (name == "BBOX" || name == "Intersects") {
        f.op = name == "BBOX" ? FilterOp::bbox : FilterOp::intersects;
        for (const auto* c : elements(n)) {
            const auto cn = local_name(c);
            if (cn == "ValueReference" || cn == "PropertyName") continue;
            geometry_of(c, f, f.op == FilterOp::bbox);
            return f;
        }
        bad(fmt::format("{} has no geometry", name));
    }

    bad(fmt::format("unsupported operator '{}'", name));
}

}  // namespace

Filter parse_fes(std::string_view xml) {
    if (xml.size() > (1U << 20)) bad("larger than 1 MiB");
    detail::QuietGdal quiet;
    CPLXMLNode* root = CPLParseXMLString(std::string(xml).c_str());
    if (root == nullptr) bad(fmt::format("not well-formed XML: {}", CPLGetLastErrorMsg()));
    struct Free { CPLXMLNode* n; ~Free() { CPLDestroyXMLNode(n); } } free_root{root};
    const CPLXMLNode* filter = nullptr;
    for (const CPLXMLNode* c = root; c != nullptr; c = c->psNext)
        if (c->eType == CXT_Element) { filter = c; break; }
    if (filter == nullptr || local_name(filter) != "Filter") bad("the root element must be fes:Filter");
    const auto ops = elements(filter);
    const auto is_id = [](const CPLXMLNode* n) {
        const auto l = local_name(n);
        return l == "ResourceId" || l == "FeatureId" || l == "GmlObjectId";
    };
    if (!ops.empty() && std::all_of(ops.begin(), ops.end(), is_id)) {
        Filter f;
        f.op = FilterOp::resource_id;
        for (const auto* n : ops) {
            std::string rid = attribute(n, "rid");
            if (rid.empty()) rid = attribute(n, "fid");
            if (rid.empty()) rid = attribute(n, "id");
            if (rid.empty()) bad("ResourceId without rid");
            f.literals.push_back(rid);
        }
        return f;
    }
    if (ops.size() != 1) bad(fmt::format("fes:Filter must hold one operator (has {})", ops.size()));
    return parse_op(ops[0], 0);
}

}  // namespace geoplex::ogc
