#pragma once
// Internals of the ogc component: layer states with pooled GDAL handles, CRS helpers.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "geoplex/ogc/ogc.hpp"
#include "tiles/detail.hpp"

namespace geoplex::ogc::detail {

/// Silences GDAL's error handler for a scope (errors are read with CPLGetLastErrorMsg).
struct QuietGdal {
    QuietGdal();
    ~QuietGdal();
    QuietGdal(const QuietGdal&) = delete;
    QuietGdal& operator=(const QuietGdal&) = delete;
};

/// An owned OGRSpatialReference in GIS axis order.
struct Srs {
    OGRSpatialReferenceH h = nullptr;
    Srs() = default;
    /// Throws OgcError("InvalidCRS") when PROJ does not know `crs`. `user_input`: only
    /// identifiers (AUTH:CODE, URNs, URLs) are accepted, never WKT, PROJ strings or file names.
    explicit Srs(std::string_view crs, bool user_input = true);
    ~Srs();
    Srs(Srs&& o) noexcept : h(o.h) { o.h = nullptr; }
    Srs& operator=(Srs&& o) noexcept { std::swap(h, o.h); return *this; }
    Srs(const Srs&) = delete;
    Srs& operator=(const Srs&) = delete;
};

/// An owned coordinate transformation (GIS order both sides); null when from == to.
struct Transform {
    OGRCoordinateTransformationH h = nullptr;
    Transform() = default;
    Transform(OGRSpatialReferenceH from, OGRSpatialReferenceH to);
    ~Transform();
    Transform(Transform&& o) noexcept : h(o.h) { o.h = nullptr; }
    Transform& operator=(Transform&& o) noexcept { std::swap(h, o.h); return *this; }
    Transform(const Transform&) = delete;
    Transform& operator=(const Transform&) = delete;
};

/// "CRS:84", "OGC:CRS84" and their URL/URN forms become "OGC:CRS84"; URNs/URLs of EPSG codes
/// become "EPSG:n"; anything else is returned as is.
[[nodiscard]] std::string normalize_crs(std::string_view crs);

struct VectorLayer {
    tiles::VectorLayerConfig config;
    mutable std::mutex mutex;
    mutable std::vector<GDALDatasetH> free_handles;
    // Filled by open():
    std::string native_wkt;
    ~VectorLayer();

    /// A dataset handle from the pool (opened if none is free); give it back with give_back.
    [[nodiscard]] GDALDatasetH borrow() const;
    void give_back(GDALDatasetH ds) const;
    /// The OGR layer of `ds` this layer reads.
    [[nodiscard]] OGRLayerH layer_of(GDALDatasetH ds) const;
};

/// A borrowed handle, returned to its pool on destruction.
struct Borrowed {
    const VectorLayer& layer;
    GDALDatasetH ds;
    OGRLayerH lyr;
    explicit Borrowed(const VectorLayer& l) : layer(l), ds(l.borrow()), lyr(l.layer_of(ds)) {}
    ~Borrowed();
    Borrowed(const Borrowed&) = delete;
    Borrowed& operator=(const Borrowed&) = delete;
};

/// The CRS of a vector layer's data (its config's crs, else the layer's, else CRS84), GIS order.
[[nodiscard]] Srs source_srs(const VectorLayer& layer, OGRLayerH lyr);

struct LayerState {
    LayerInfo info;
    std::shared_ptr<tiles::TileMatrixSet> tms;           // raster: the grid its source was made for
    std::shared_ptr<tiles::detail::RasterSource> raster;
    std::shared_ptr<VectorLayer> vector;
    std::vector<VectorStyle> styles;
};

}  // namespace geoplex::ogc::detail

struct geoplex::ogc::Services::Impl {
    ServicesOptions options;
    std::vector<LayerInfo> infos;
    std::vector<std::shared_ptr<detail::LayerState>> layers;
    [[nodiscard]] const detail::LayerState* find(std::string_view id) const {
        for (const auto& l : layers)
            if (l->info.id == id) return l.get();
        return nullptr;
    }
    /// Throws OgcError(LayerNotDefined).
    [[nodiscard]] const detail::LayerState& layer(std::string_view id, std::string_view code = "LayerNotDefined") const;
};
