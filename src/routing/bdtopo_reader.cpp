// IGN BD TOPO troncon_de_route (+ non_communication) → RawNetwork through GDAL's C API.
//
// Topology comes from the segment end points (rounded to the centimetre in the layer's CRS);
// each troncon is one way with one piece. Access, direction and speed follow the profile's
// [bdtopo] fields; the attributes Road2's pgr resources expose are kept (JSON) for constraints
// and waysAttributes, with Road2's names (nom_1_gauche/droite, largeur) as aliases.

#include <cmath>
#include <memory>
#include <type_traits>
#include <map>
#include <unordered_map>

#include <fmt/format.h>
#include <cpl_conv.h>
#include <gdal.h>
#include <nlohmann/json.hpp>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "geoplex/core/crs.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/core/geometry.hpp"
#include "routing/detail.hpp"

namespace geoplex::routing::detail {

namespace {

struct DatasetCloser {
    void operator()(void* ds) const { GDALClose(ds); }
};
struct FeatureDeleter {
    void operator()(OGRFeatureH f) const { OGR_F_Destroy(f); }
};

/// Fields copied into the way attributes (what Road2's pgr resources expose).
constexpr const char* kept_fields[] = {
    "cleabs", "nature", "importance", "position_par_rapport_au_sol", "nombre_de_voies", "largeur_de_chaussee",
    "sens_de_circulation", "urbain", "vitesse_moyenne_vl", "acces_vehicule_leger", "acces_pieton",
    "nature_de_la_restriction", "restriction_de_hauteur", "restriction_de_poids_total", "restriction_de_largeur",
    "restriction_de_longueur", "matieres_dangereuses_interdites", "insee_commune_gauche", "insee_commune_droite",
    "cpx_numero", "cpx_classement_administratif", "cpx_gestionnaire", "cpx_toponyme_route_nommee",
    "nom_collaboratif_gauche", "nom_collaboratif_droite", "nom_1_gauche", "nom_1_droite"};

}  // namespace

RawNetwork read_bdtopo(const ResourceConfig& cfg, const core::Callbacks& callbacks) {
    GDALAllRegister();
    std::unique_ptr<void, DatasetCloser> ds(
        GDALOpenEx(cfg.path.string().c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
    if (!ds) throw IoError(fmt::format("cannot open the BD TOPO dataset '{}': {}", cfg.path.string(), CPLGetLastErrorMsg()));
    OGRLayerH layer = GDALDatasetGetLayerByName(ds.get(), cfg.bdtopo_layer.c_str());
    if (layer == nullptr)
        throw FormatError(fmt::format("'{}' has no layer '{}'", cfg.path.string(), cfg.bdtopo_layer));
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    auto field = [&](const char* name) { return OGR_FD_GetFieldIndex(defn, name); };
    const int f_cleabs = field("cleabs");
    const int f_sens = field("sens_de_circulation");
    const int f_nature = field("nature");
    const int f_pos = field("position_par_rapport_au_sol");
    if (f_cleabs < 0 || f_sens < 0 || f_nature < 0)
        throw FormatError(fmt::format("layer '{}' of '{}' is not a BD TOPO troncon_de_route (cleabs, nature, "
                                      "sens_de_circulation missing)",
                                      cfg.bdtopo_layer, cfg.path.string()));
    std::vector<int> profile_access(cfg.profiles.size()), profile_speed(cfg.profiles.size());
    for (std::size_t i = 0; i < cfg.profiles.size(); ++i) {
        const Profile& p = cfg.profiles[i];
        profile_access[i] = p.bdtopo_access_field.empty() ? -1 : field(p.bdtopo_access_field.c_str());
        profile_speed[i] = p.bdtopo_speed_field.empty() ? -1 : field(p.bdtopo_speed_field.c_str());
        if (!p.bdtopo_access_field.empty() && profile_access[i] < 0)
            throw FormatError(fmt::format("profile '{}': field '{}' is not in layer '{}'", p.name, p.bdtopo_access_field,
                                          cfg.bdtopo_layer));
        if (!p.bdtopo_speed_field.empty() && profile_speed[i] < 0)
            throw FormatError(fmt::format("profile '{}': field '{}' is not in layer '{}'", p.name, p.bdtopo_speed_field,
                                          cfg.bdtopo_layer));
        if (p.bdtopo_speed_field.empty() && p.bdtopo_speed_kmh <= 0)
            throw InvalidArgument(fmt::format("profile '{}' has neither bdtopo.speed_field nor bdtopo.speed_kmh", p.name));
    }
    std::string crs_wkt = "EPSG:2154";
    if (OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer)) {
        char* wkt = nullptr;
        if (OSRExportToWkt(srs, &wkt) == OGRERR_NONE && wkt != nullptr) crs_wkt = wkt;
        CPLFree(wkt);
    }
    const core::CrsTransform to_wgs84(crs_wkt, "EPSG:4326");

    RawNetwork net;
    std::unordered_map<std::string, std::uint32_t> way_of_cleabs;
    std::map<std::pair<long long, long long>, std::uint32_t> junction_at;
    std::vector<XY> junction_xy;  // layer CRS, for restrictions
    auto junction = [&](double x, double y, LonLat ll) {
        const std::pair<long long, long long> key{std::llround(x * 100.0), std::llround(y * 100.0)};
        const auto [it, inserted] = junction_at.emplace(key, static_cast<std::uint32_t>(net.junctions.size()));
        if (inserted) {
            net.junctions.push_back(ll);
            junction_xy.push_back({x, y});
        }
        return it->second;
    };
    const auto total = static_cast<std::uint64_t>(std::max<GIntBig>(0, OGR_L_GetFeatureCount(layer, 0)));
    const std::string task = fmt::format("routing: {} read", cfg.id);
    OGR_L_ResetReading(layer);
    std::uint64_t done = 0;
    std::vector<double> xs, ys;
    for (;;) {
        std::unique_ptr<std::remove_pointer_t<OGRFeatureH>, FeatureDeleter> f(OGR_L_GetNextFeature(layer));
        if (!f) break;
        if (++done % 1000 == 0) {
            callbacks.report(task, done, total);
            callbacks.check_cancelled();
        }
        OGRGeometryH geom = OGR_F_GetGeometryRef(f.get());
        if (geom == nullptr) continue;
        if (OGR_GT_Flatten(OGR_G_GetGeometryType(geom)) == wkbMultiLineString && OGR_G_GetGeometryCount(geom) == 1)
            geom = OGR_G_GetGeometryRef(geom, 0);
        if (OGR_GT_Flatten(OGR_G_GetGeometryType(geom)) != wkbLineString) continue;
        const int np = OGR_G_GetPointCount(geom);
        if (np < 2) continue;
        auto str = [&](int idx) -> std::string {
            if (idx < 0 || OGR_F_IsFieldSetAndNotNull(f.get(), idx) == 0) return {};
            return OGR_F_GetFieldAsString(f.get(), idx);
        };
        const std::string nature = str(f_nature);
        const std::string sens = str(f_sens);
        RawWay w;
        w.use.resize(cfg.profiles.size());
        bool any = false;
        for (std::size_t i = 0; i < cfg.profiles.size(); ++i) {
            const Profile& p = cfg.profiles[i];
            const std::string access = str(profile_access[i]);
            // Vehicles need an explicit "Libre"/"A péage"; for pedestrians an empty field means
            // "not restricted", except on motorways and their ramps.
            bool allowed = false;
            if (profile_speed[i] >= 0) allowed = access == "Libre" || access == "A péage";
            else allowed = (access.empty() || access == "Libre") && nature != "Type autoroutier" && nature != "Bretelle";
            if (!allowed) continue;
            double kmh = p.bdtopo_speed_kmh;
            if (profile_speed[i] >= 0) kmh = OGR_F_IsFieldSetAndNotNull(f.get(), profile_speed[i]) != 0
                                                 ? OGR_F_GetFieldAsDouble(f.get(), profile_speed[i])
                                                 : 0.0;
            kmh = std::min(kmh, p.max_speed_kmh);
            if (kmh <= 0) continue;
            bool fwd = true, bwd = true;
            if (p.bdtopo_oneway) {
                if (sens == "Sens direct") bwd = false;
                else if (sens == "Sens inverse") fwd = false;
            }
            w.use[i].forward_kmh = fwd ? static_cast<float>(kmh) : 0.0F;
            w.use[i].backward_kmh = bwd ? static_cast<float>(kmh) : 0.0F;
            any = true;
        }
        if (!any) continue;
        nlohmann::ordered_json attrs;
        for (const char* name : kept_fields) {
            const int idx = field(name);
            if (idx < 0) continue;
            if (OGR_F_IsFieldSetAndNotNull(f.get(), idx) == 0) {
                attrs[name] = nullptr;
                continue;
            }
            const OGRFieldType t = OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, idx));
            if (t == OFTInteger || t == OFTInteger64) attrs[name] = OGR_F_GetFieldAsInteger64(f.get(), idx);
            else if (t == OFTReal) attrs[name] = OGR_F_GetFieldAsDouble(f.get(), idx);
            else attrs[name] = OGR_F_GetFieldAsString(f.get(), idx);
        }
        // Road2's names for the same things.
        if (!attrs.contains("nom_1_gauche") && attrs.contains("nom_collaboratif_gauche"))
            attrs["nom_1_gauche"] = attrs["nom_collaboratif_gauche"];
        if (!attrs.contains("nom_1_droite") && attrs.contains("nom_collaboratif_droite"))
            attrs["nom_1_droite"] = attrs["nom_collaboratif_droite"];
        if (attrs.contains("largeur_de_chaussee")) attrs["largeur"] = attrs["largeur_de_chaussee"];
        w.attributes_json = attrs.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        const auto name_of = [&](const char* key) {
            return attrs.contains(key) && attrs[key].is_string() ? attrs[key].get<std::string>() : std::string();
        };
        w.name = name_of("nom_1_droite");
        if (w.name.empty()) w.name = name_of("nom_1_gauche");
        if (w.name.empty()) w.name = name_of("cpx_toponyme_route_nommee");
        w.ref = name_of("cpx_numero");
        w.cls = nature;
        if (nature == "Type autoroutier") w.flags |= way_flag::motorway;
        if (nature == "Bretelle") w.flags |= way_flag::link;
        if (nature == "Rond-point") w.flags |= way_flag::roundabout;
        if (nature == "Bac ou liaison maritime" || nature == "Bac ou liaison fluviale") w.flags |= way_flag::ferry;
        const std::string pos = str(f_pos);
        if (pos == "1" || pos == "2" || pos == "3") w.flags |= way_flag::bridge;
        if (pos == "-1" || pos == "-2" || pos == "-3") w.flags |= way_flag::tunnel;
        if (str(field("acces_vehicule_leger")) == "A péage") w.flags |= way_flag::toll;

        xs.resize(static_cast<std::size_t>(np));
        ys.resize(static_cast<std::size_t>(np));
        for (int k = 0; k < np; ++k) {
            xs[static_cast<std::size_t>(k)] = OGR_G_GetX(geom, k);
            ys[static_cast<std::size_t>(k)] = OGR_G_GetY(geom, k);
        }
        const double x0 = xs.front(), y0 = ys.front(), x1 = xs.back(), y1 = ys.back();
        to_wgs84.transform(xs, ys);
        RawSegment s;
        s.way = static_cast<std::uint32_t>(net.ways.size());
        s.first_point = static_cast<std::uint32_t>(net.points.size());
        for (int k = 0; k < np; ++k) {
            const LonLat ll{xs[static_cast<std::size_t>(k)], ys[static_cast<std::size_t>(k)]};
            if (!std::isfinite(ll.lon) || !std::isfinite(ll.lat))
                throw DependencyError(fmt::format("cannot transform troncon '{}' to WGS84", str(f_cleabs)));
            net.points.push_back(ll);
            net.bbox.extend(ll);
        }
        s.point_count = static_cast<std::uint32_t>(np);
        s.a = junction(x0, y0, net.points[s.first_point]);
        s.b = junction(x1, y1, net.points.back());
        s.length_m = core::geodesic_length(std::span<const LonLat>(net.points).subspan(s.first_point, s.point_count));
        w.length_m = s.length_m;
        w.first_segment = static_cast<std::uint32_t>(net.segments.size());
        w.segment_count = 1;
        way_of_cleabs.emplace(str(f_cleabs), static_cast<std::uint32_t>(net.ways.size()));
        net.segments.push_back(s);
        net.ways.push_back(std::move(w));
    }

    // non_communication: a forbidden passage from one troncon to others at their shared end.
    net.restrictions_unresolved.assign(cfg.profiles.size(), 0);
    std::uint32_t mask = 0;
    for (std::size_t i = 0; i < cfg.profiles.size(); ++i)
        if (cfg.profiles[i].turn_restrictions) mask |= 1U << i;
    if (OGRLayerH nc = GDALDatasetGetLayerByName(ds.get(), cfg.bdtopo_restrictions_layer.c_str()); nc != nullptr && mask != 0) {
        OGRFeatureDefnH nd = OGR_L_GetLayerDefn(nc);
        const int f_in = OGR_FD_GetFieldIndex(nd, "lien_vers_troncon_entree");
        const int f_out = OGR_FD_GetFieldIndex(nd, "liens_vers_troncon_sortie");
        OGR_L_ResetReading(nc);
        for (;;) {
            std::unique_ptr<std::remove_pointer_t<OGRFeatureH>, FeatureDeleter> f(OGR_L_GetNextFeature(nc));
            if (!f) break;
            auto unresolved = [&] {
                for (std::size_t i = 0; i < cfg.profiles.size(); ++i)
                    if ((mask >> i) & 1U) ++net.restrictions_unresolved[i];
            };
            if (f_in < 0 || f_out < 0) {
                unresolved();
                continue;
            }
            const std::string from = OGR_F_GetFieldAsString(f.get(), f_in);
            const auto fit = way_of_cleabs.find(from);
            std::string outs = OGR_F_GetFieldAsString(f.get(), f_out);
            std::size_t start = 0;
            while (start <= outs.size()) {
                const auto sep = outs.find_first_of("/|;,", start);
                const std::string to = outs.substr(start, sep == std::string::npos ? std::string::npos : sep - start);
                start = sep == std::string::npos ? outs.size() + 1 : sep + 1;
                if (to.empty()) continue;
                const auto tit = way_of_cleabs.find(to);
                if (fit == way_of_cleabs.end() || tit == way_of_cleabs.end()) {
                    unresolved();
                    continue;
                }
                const RawSegment& a = net.segments[net.ways[fit->second].first_segment];
                const RawSegment& b = net.segments[net.ways[tit->second].first_segment];
                std::uint32_t via = invalid_id;
                for (const auto ja : {a.a, a.b})
                    for (const auto jb : {b.a, b.b})
                        if (ja == jb) via = ja;
                if (via == invalid_id) {
                    unresolved();
                    continue;
                }
                net.restrictions.push_back({fit->second, tit->second, via, false, mask, {}});
            }
        }
    }
    callbacks.report(task, total, total);
    callbacks.info(fmt::format("routing: {}: {} troncons kept, {} junctions, {} non_communication restrictions", cfg.id,
                               net.ways.size(), net.junctions.size(), net.restrictions.size()));
    return net;
}

}  // namespace geoplex::routing::detail
