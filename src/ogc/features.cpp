// Feature queries for WFS and OGC API Features: a Filter becomes an OGR attribute filter built
// from the typed tree (property names checked against the layer, identifiers quoted, literals
// parsed and re-printed or quoted — user text is never pasted into the expression) plus one
// spatial filter; features are then encoded as GeoJSON or GML 3.2 batch by batch.

#include <charconv>
#include <cmath>
#include <cstring>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <fmt/format.h>

#include "geoplex/core/error.hpp"
#include "ogc/detail.hpp"

namespace geoplex::ogc {

namespace {

using detail::Srs;
using detail::Transform;

void json_string(std::string& out, std::string_view s) {
    out += '"';
    for (const char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
                else out += c;
        }
    }
    out += '"';
}

void xml_text(std::string& out, std::string_view s) {
    for (const char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default:
                if (static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t' || c == '\r') out += c;
        }
    }
}

// ---- Filter → OGR expression -----------------------------------------------------------------------

struct FilterBuilder {
    OGRFeatureDefnH defn;
    const std::string& layer;

    /// The field, quoted as an identifier; unknown → OgcError.
    std::pair<std::string, OGRFieldType> field(const std::string& name) const {
        const int i = OGR_FD_GetFieldIndex(defn, name.c_str());
        if (i < 0) throw OgcError("InvalidParameterValue", fmt::format("layer '{}' has no property '{}'", layer, name), "FILTER");
        std::string q = "\"";
        for (const char c : name) q += c == '"' ? std::string("\"\"") : std::string(1, c);
        return {q + "\"", OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, i))};
    }

    static std::string quote(std::string_view s) {
        std::string q = "'";
        for (const char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
        return q + "'";
    }

    /// A literal for a field of `type`: numbers parsed and printed back, the rest quoted.
    static std::string literal(const std::string& v, OGRFieldType type, const std::string& prop) {
        if (type == OFTInteger || type == OFTInteger64) {
            long long n = 0;
            const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
            if (ec == std::errc() && p == v.data() + v.size()) return std::to_string(n);
            double d = 0;
            const auto [p2, ec2] = std::from_chars(v.data(), v.data() + v.size(), d);
            if (ec2 == std::errc() && p2 == v.data() + v.size() && std::isfinite(d)) return fmt::format("{}", d);
            throw OgcError("InvalidParameterValue", fmt::format("'{}' is not a number (property '{}')", v, prop), "FILTER");
        }
        if (type == OFTReal) {
            double d = 0;
            const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
            if (ec != std::errc() || p != v.data() + v.size() || !std::isfinite(d))
                throw OgcError("InvalidParameterValue", fmt::format("'{}' is not a number (property '{}')", v, prop), "FILTER");
            return fmt::format("{}", d);
        }
        return quote(v);
    }

    std::string build(const Filter& f) const {
        static constexpr const char* ops[] = {"=", "<>", "<", "<=", ">", ">="};
        switch (f.op) {
            case FilterOp::equal: case FilterOp::not_equal: case FilterOp::less: case FilterOp::less_equal:
            case FilterOp::greater: case FilterOp::greater_equal: {
                if (f.literals.size() != 1) throw OgcError("InvalidParameterValue", "a comparison needs one literal", "FILTER");
                const auto [name, type] = field(f.property);
                const std::string lit = literal(f.literals[0], type, f.property);
                const bool text = type != OFTInteger && type != OFTInteger64 && type != OFTReal;
                if (!f.match_case && text && f.op == FilterOp::equal) return fmt::format("(UPPER({}) = UPPER({}))", name, lit);
                return fmt::format("({} {} {})", name, ops[static_cast<int>(f.op)], lit);
            }
            case FilterOp::like: {
                if (f.literals.size() != 1) throw OgcError("InvalidParameterValue", "PropertyIsLike needs one literal", "FILTER");
                const auto [name, type] = field(f.property);
                // FES wildcards → SQL LIKE with '!' as the escape character.
                std::string pattern;
                const std::string& v = f.literals[0];
                for (std::size_t i = 0; i < v.size(); ++i) {
                    const char c = v[i];
                    if (c == f.escape_char && i + 1 < v.size()) {
                        const char n = v[++i];
                        if (n == '%' || n == '_' || n == '!') pattern += '!';
                        pattern += n;
                    } else if (c == f.wild_card) {
                        pattern += '%';
                    } else if (c == f.single_char) {
                        pattern += '_';
                    } else {
                        if (c == '%' || c == '_' || c == '!') pattern += '!';
                        pattern += c;
                    }
                }
                (void)type;
                return fmt::format("({} LIKE {} ESCAPE '!')", name, quote(pattern));
            }
            case FilterOp::between: {
                if (f.literals.size() != 2) throw OgcError("InvalidParameterValue", "PropertyIsBetween needs two bounds", "FILTER");
                const auto [name, type] = field(f.property);
                return fmt::format("({} BETWEEN {} AND {})", name, literal(f.literals[0], type, f.property),
                                   literal(f.literals[1], type, f.property));
            }
            case FilterOp::is_null: return fmt::format("({} IS NULL)", field(f.property).first);
            case FilterOp::and_: case FilterOp::or_: {
                std::string out;
                for (const auto& c : f.children) {
                    if (c.op == FilterOp::bbox || c.op == FilterOp::intersects)
                        throw OgcError("InvalidParameterValue", "spatial operators are supported at the top level or in a top-level And only", "FILTER");
                    if (!out.empty()) out += f.op == FilterOp::and_ ? " AND " : " OR ";
                    out += build(c);
                }
                return out.empty() ? std::string("(1 = 1)") : "(" + out + ")";
            }
            case FilterOp::not_: {
                if (f.children.size() != 1) throw OgcError("InvalidParameterValue", "Not takes one operand", "FILTER");
                if (f.children[0].op == FilterOp::bbox || f.children[0].op == FilterOp::intersects)
                    throw OgcError("InvalidParameterValue", "Not of a spatial operator is not supported", "FILTER");
                return "(NOT " + build(f.children[0]) + ")";
            }
            case FilterOp::resource_id: {
                // "{type}.{fid}" or "{fid}": only the number reaches the expression.
                std::string ids;
                for (const auto& rid : f.literals) {
                    const auto dot = rid.rfind('.');
                    const std::string n = dot == std::string::npos ? rid : rid.substr(dot + 1);
                    long long v = 0;
                    const auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), v);
                    if (ec != std::errc() || p != n.data() + n.size())
                        throw OgcError("InvalidParameterValue", fmt::format("ResourceId '{}' is not {{type}}.{{number}}", rid), "FILTER");
                    ids += (ids.empty() ? "" : ",") + std::to_string(v);
                }
                return "(FID IN (" + ids + "))";
            }
            case FilterOp::bbox: case FilterOp::intersects: break;
        }
        throw OgcError("InvalidParameterValue", "spatial operators are supported at the top level or in a top-level And only", "FILTER");
    }
};

/// Applies the query's filters to `lyr` (attribute + spatial). Returns false when the spatial
/// filter cannot match anything (e.g. a box outside the CRS's area).
void apply_filters(const FeatureQuery& q, const detail::VectorLayer& v, OGRLayerH lyr, const Srs& src) {
    FilterBuilder fb{OGR_L_GetLayerDefn(lyr), q.layer};
    std::vector<std::string> parts;
    const Filter* spatial = nullptr;
    if (q.filter) {
        const Filter& f = *q.filter;
        if (f.op == FilterOp::bbox || f.op == FilterOp::intersects) {
            spatial = &f;
        } else if (f.op == FilterOp::and_) {
            for (const auto& c : f.children) {
                if (c.op == FilterOp::bbox || c.op == FilterOp::intersects) {
                    if (spatial != nullptr) throw OgcError("InvalidParameterValue", "at most one spatial operator is supported", "FILTER");
                    spatial = &c;
                } else {
                    parts.push_back(fb.build(c));
                }
            }
        } else {
            parts.push_back(fb.build(f));
        }
    }
    for (const auto& [name, value] : q.equals) {
        const auto [quoted, type] = fb.field(name);
        parts.push_back(fmt::format("({} = {})", quoted, FilterBuilder::literal(value, type, name)));
    }
    std::string where;
    for (const auto& p : parts) where += (where.empty() ? "" : " AND ") + p;
    if (!where.empty() && OGR_L_SetAttributeFilter(lyr, where.c_str()) != OGRERR_NONE)
        throw OgcError("InvalidParameterValue", fmt::format("the filter cannot be applied to layer '{}': {}", v.config.id, CPLGetLastErrorMsg()), "FILTER");
    if (q.bbox && spatial != nullptr)
        throw OgcError("InvalidParameterValue", "BBOX and a spatial filter cannot be combined", "BBOX");
    auto set_box = [&](const BBox& b, const std::string& crs) {
        if (!(b.min_x <= b.max_x && b.min_y <= b.max_y)) throw OgcError("InvalidParameterValue", "bbox: min > max", "BBOX");
        Srs from(crs.empty() ? std::string_view("OGC:CRS84") : std::string_view(crs));
        Transform t(from.h, src.h);
        double x0 = b.min_x, y0 = b.min_y, x1 = b.max_x, y1 = b.max_y;
        if (t.h != nullptr && OCTTransformBounds(t.h, b.min_x, b.min_y, b.max_x, b.max_y, &x0, &y0, &x1, &y1, 21) == 0)
            throw OgcError("InvalidParameterValue", "the bbox cannot be transformed to the layer's CRS", "BBOX");
        OGR_L_SetSpatialFilterRect(lyr, x0, y0, x1, y1);
    };
    if (q.bbox) set_box(*q.bbox, q.bbox_crs);
    if (spatial != nullptr) {
        if (spatial->op == FilterOp::bbox) {
            set_box(spatial->box, spatial->crs);
        } else {
            OGRGeometryH g = nullptr;
            char* wkt = const_cast<char*>(spatial->geometry_wkt.c_str());
            if (OGR_G_CreateFromWkt(&wkt, nullptr, &g) != OGRERR_NONE || g == nullptr)
                throw OgcError("InvalidParameterValue", "Intersects: invalid geometry", "FILTER");
            Srs from(spatial->crs.empty() ? std::string_view("OGC:CRS84") : std::string_view(spatial->crs));
            Transform t(from.h, src.h);
            if (t.h != nullptr && OGR_G_Transform(g, t.h) != OGRERR_NONE) {
                OGR_G_DestroyGeometry(g);
                throw OgcError("InvalidParameterValue", "Intersects: the geometry cannot be transformed to the layer's CRS", "FILTER");
            }
            OGR_L_SetSpatialFilter(lyr, g);  // exact intersection test (GEOS) after the envelope
            OGR_G_DestroyGeometry(g);
        }
    }
}

class OgrFeatureStream final : public FeatureStream {
public:
    OgrFeatureStream(std::shared_ptr<const detail::LayerState> layer, const FeatureQuery& q, FeatureFormat format)
        : m_state(std::move(layer)), m_borrowed(*m_state->vector), m_query(q), m_format(format) {
        OGRLayerH lyr = m_borrowed.lyr;
        m_src = detail::source_srs(*m_state->vector, lyr);
        m_out = Srs(q.crs.empty() ? std::string_view("OGC:CRS84") : std::string_view(q.crs));
        m_transform = Transform(m_src.h, m_out.h);
        m_swap = q.authority_axis_order && format == FeatureFormat::geojson && Services::northing_first(q.crs.empty() ? "OGC:CRS84" : q.crs);
        apply_filters(q, *m_state->vector, lyr, m_src);
        OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
        const auto& allowed = m_state->info.fields;
        for (const auto& fi : allowed) {
            if (!q.properties.empty() && std::find(q.properties.begin(), q.properties.end(), fi.name) == q.properties.end()) continue;
            const int i = OGR_FD_GetFieldIndex(defn, fi.name.c_str());
            if (i >= 0) m_fields.push_back({i, fi.name, OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, i))});
        }
        for (const auto& p : q.properties) {
            const bool known = std::any_of(allowed.begin(), allowed.end(), [&](const FieldInfo& f) { return f.name == p; });
            if (!known && p != "geometry")
                throw OgcError("InvalidParameterValue", fmt::format("layer '{}' has no property '{}'", q.layer, p), "PROPERTYNAME");
        }
        m_geometry = q.with_geometry && (q.properties.empty() ||
                                         std::find(q.properties.begin(), q.properties.end(), "geometry") != q.properties.end());
        if (q.fid) {
            m_single = OGR_L_GetFeature(lyr, *q.fid);
            m_done = m_single == nullptr || q.start > 0 || q.count == 0;
        } else {
            OGR_L_ResetReading(lyr);
            if (q.start > 0 && OGR_L_SetNextByIndex(lyr, static_cast<GIntBig>(q.start)) != OGRERR_NONE) m_skip = q.start;
            m_done = q.count == 0;
        }
    }
    ~OgrFeatureStream() override {
        if (m_single != nullptr) OGR_F_Destroy(m_single);
    }
    OgrFeatureStream(const OgrFeatureStream&) = delete;
    OgrFeatureStream& operator=(const OgrFeatureStream&) = delete;

    bool next(std::string& out, std::size_t max_bytes) override {
        detail::QuietGdal quiet;
        const std::size_t limit = out.size() + max_bytes;
        while (!m_done && out.size() < limit) {
            OGRFeatureH f = nullptr;
            if (m_query.fid) {
                f = m_single;
                m_single = nullptr;
                m_done = true;
            } else {
                f = OGR_L_GetNextFeature(m_borrowed.lyr);
                while (f != nullptr && m_skip > 0) {
                    OGR_F_Destroy(f);
                    --m_skip;
                    f = OGR_L_GetNextFeature(m_borrowed.lyr);
                }
            }
            if (f == nullptr) {
                m_done = true;
                break;
            }
            encode(f, out);
            OGR_F_Destroy(f);
            if (++m_returned >= m_query.count) m_done = true;
        }
        return !m_done;
    }
    [[nodiscard]] std::uint64_t returned() const noexcept override { return m_returned; }

private:
    struct Field {
        int index;
        std::string name;
        OGRFieldType type;
    };

    OGRGeometryH output_geometry(OGRFeatureH f) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (g == nullptr) return nullptr;
        if (m_transform.h != nullptr && OGR_G_Transform(g, m_transform.h) != OGRERR_NONE) return nullptr;
        return g;
    }

    void encode(OGRFeatureH f, std::string& out) {
        const GIntBig fid = OGR_F_GetFID(f);
        if (m_format == FeatureFormat::geojson) {
            if (m_returned > 0) out += ',';
            out += "{\"type\":\"Feature\",\"id\":";
            out += std::to_string(fid);
            out += ",\"geometry\":";
            OGRGeometryH g = m_geometry ? output_geometry(f) : nullptr;
            if (g != nullptr) {
                if (m_swap) OGR_G_SwapXY(g);
                char* js = OGR_G_ExportToJson(g);
                out += js != nullptr ? js : "null";
                CPLFree(js);
            } else {
                out += "null";
            }
            out += ",\"properties\":{";
            bool first = true;
            for (const auto& fl : m_fields) {
                if (!first) out += ',';
                first = false;
                json_string(out, fl.name);
                out += ':';
                if (!OGR_F_IsFieldSetAndNotNull(f, fl.index)) {
                    out += "null";
                } else if (fl.type == OFTInteger || fl.type == OFTInteger64) {
                    out += std::to_string(OGR_F_GetFieldAsInteger64(f, fl.index));
                } else if (fl.type == OFTReal) {
                    const double d = OGR_F_GetFieldAsDouble(f, fl.index);
                    out += std::isfinite(d) ? fmt::format("{}", d) : std::string("null");
                } else {
                    json_string(out, OGR_F_GetFieldAsString(f, fl.index));
                }
            }
            out += "}}";
            return;
        }
        const std::string& id = m_query.layer;
        out += fmt::format("<wfs:member><geoplex:{0} gml:id=\"{0}.{1}\">", id, fid);
        if (m_geometry) {
            if (OGRGeometryH g = output_geometry(f)) {
                OGR_G_AssignSpatialReference(g, m_out.h);
                const std::string gmlid = fmt::format("GMLID={}.{}.geom", id, fid);
                const char* opts[] = {"FORMAT=GML32", "SRSNAME_FORMAT=OGC_URN", gmlid.c_str(), nullptr};
                char* gml = OGR_G_ExportToGMLEx(g, const_cast<char**>(opts));
                if (gml != nullptr) {
                    out += "<geoplex:geometry>";
                    out += gml;
                    out += "</geoplex:geometry>";
                }
                CPLFree(gml);
            }
        }
        for (const auto& fl : m_fields) {
            if (!OGR_F_IsFieldSetAndNotNull(f, fl.index)) continue;
            out += "<geoplex:" + fl.name + ">";
            if (fl.type == OFTReal) {
                out += fmt::format("{}", OGR_F_GetFieldAsDouble(f, fl.index));
            } else if (fl.type == OFTDateTime || fl.type == OFTDate) {
                int y = 0, mo = 0, d = 0, h = 0, mi = 0, tz = 0;
                float s = 0;
                OGR_F_GetFieldAsDateTimeEx(f, fl.index, &y, &mo, &d, &h, &mi, &s, &tz);
                out += fl.type == OFTDate ? fmt::format("{:04}-{:02}-{:02}", y, mo, d)
                                          : fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", y, mo, d, h, mi, static_cast<int>(s));
            } else {
                xml_text(out, OGR_F_GetFieldAsString(f, fl.index));
            }
            out += "</geoplex:" + fl.name + ">";
        }
        out += fmt::format("</geoplex:{}></wfs:member>\n", id);
    }

    std::shared_ptr<const detail::LayerState> m_state;
    detail::Borrowed m_borrowed;
    FeatureQuery m_query;
    FeatureFormat m_format;
    Srs m_src, m_out;
    Transform m_transform;
    bool m_swap = false;
    bool m_geometry = true;
    std::vector<Field> m_fields;
    OGRFeatureH m_single = nullptr;
    std::uint64_t m_skip = 0;
    std::uint64_t m_returned = 0;
    bool m_done = false;
};

std::shared_ptr<const detail::LayerState> vector_layer(const Services::Impl& im, const std::string& id) {
    for (const auto& l : im.layers) {
        if (l->info.id != id) continue;
        if (!l->vector) throw OgcError("InvalidParameterValue", fmt::format("layer '{}' is a raster layer, it has no features", id), "TYPENAMES");
        return l;
    }
    throw OgcError("InvalidParameterValue", fmt::format("unknown feature type '{}'", id), "TYPENAMES");
}

}  // namespace

std::uint64_t Services::count(const FeatureQuery& q) const {
    const auto l = vector_layer(*m_impl, q.layer);
    detail::QuietGdal quiet;
    detail::Borrowed b(*l->vector);
    const Srs src = detail::source_srs(*l->vector, b.lyr);
    apply_filters(q, *l->vector, b.lyr, src);
    if (q.fid) {
        OGRFeatureH f = OGR_L_GetFeature(b.lyr, *q.fid);
        if (f == nullptr) return 0;
        OGR_F_Destroy(f);
        return 1;
    }
    const GIntBig n = OGR_L_GetFeatureCount(b.lyr, TRUE);
    return n < 0 ? 0 : static_cast<std::uint64_t>(n);
}

std::unique_ptr<FeatureStream> Services::open_features(const FeatureQuery& q, FeatureFormat format) const {
    auto l = vector_layer(*m_impl, q.layer);
    detail::QuietGdal quiet;
    return std::make_unique<OgrFeatureStream>(std::move(l), q, format);
}

}  // namespace geoplex::ogc
