// Raster tiles: a GDAL raster warped into one tile of the set's grid.
//
// One GenImgProj transformer (source pixels → set CRS) is made per pooled dataset handle, wrapped
// in an approximating transformer (0.125 px, gdalwarp's default), and re-targeted per tile with
// GDALSetGenImgProjTransformerDstGeoTransform: PROJ objects are not rebuilt for every tile.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <mutex>
#include <numbers>
#include <optional>

#include <fmt/format.h>
#include <gdal.h>
#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal_alg.h>
#include <gdalwarper.h>
#include <ogr_srs_api.h>

#include "geoplex/core/error.hpp"
#include "tiles/detail.hpp"

namespace geoplex::tiles::detail {

namespace {

struct QuietGdal {
    QuietGdal() { CPLPushErrorHandler(CPLQuietErrorHandler); CPLErrorReset(); }
    ~QuietGdal() { CPLPopErrorHandler(); }
    QuietGdal(const QuietGdal&) = delete;
    QuietGdal& operator=(const QuietGdal&) = delete;
};

GDALResampleAlg to_gdal(Resampling r) {
    switch (r) {
        case Resampling::nearest: return GRA_NearestNeighbour;
        case Resampling::bilinear: return GRA_Bilinear;
        case Resampling::cubic: return GRA_Cubic;
        case Resampling::lanczos: return GRA_Lanczos;
        case Resampling::average: return GRA_Average;
    }
    return GRA_Bilinear;
}

std::vector<ColorStop> default_ramp() {
    // A hypsometric ramp (metres): sea, lowlands green, hills yellow-brown, high mountains white.
    return {{-50, 70, 120, 200, 255}, {0, 87, 160, 73, 255},     {200, 150, 200, 100, 255},
            {500, 230, 220, 130, 255}, {1000, 200, 160, 90, 255}, {2000, 150, 110, 80, 255},
            {3000, 235, 235, 235, 255}, {4800, 255, 255, 255, 255}};
}

constexpr float dem_nodata = -3.0e38F;

}  // namespace

struct RasterSource::Impl {
    RasterLayerConfig config;
    const TileMatrixSet* tms = nullptr;
    BBox native;     // in the set's CRS
    BBox wgs84;
    int native_zoom = 0;
    int band_count = 0;
    bool has_palette = false;
    bool has_alpha = false;
    bool is_byte = true;
    std::vector<std::array<std::uint8_t, 4>> palette;
    std::vector<std::optional<double>> nodata;  // per source band
    double scale_min = 0, scale_max = 255;      // non-byte data shown with style bands

    struct Handle {
        GDALDatasetH ds = nullptr;
        void* gen = nullptr;
        void* approx = nullptr;
    };
    mutable std::mutex mutex;
    mutable std::vector<Handle> free_handles;

    Handle open_handle() const {
        Handle h;
        h.ds = GDALOpenEx(config.path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR, nullptr, nullptr, nullptr);
        if (h.ds == nullptr)
            throw IoError(fmt::format("raster layer '{}': cannot open '{}': {}", config.id, config.path.string(),
                                      CPLGetLastErrorMsg()));
        const std::string dst_srs = "DST_SRS=" + tms->crs;
        std::string src_srs;
        std::vector<const char*> opts{dst_srs.c_str()};
        if (!config.crs.empty()) {
            src_srs = "SRC_SRS=" + config.crs;
            opts.push_back(src_srs.c_str());
        }
        opts.push_back(nullptr);
        h.gen = GDALCreateGenImgProjTransformer2(h.ds, nullptr, const_cast<char**>(opts.data()));
        if (h.gen == nullptr) {
            GDALClose(h.ds);
            throw DependencyError(fmt::format("raster layer '{}': no transformation from '{}' to {}: {}", config.id,
                                              config.path.string(), tms->crs, CPLGetLastErrorMsg()));
        }
        h.approx = GDALCreateApproxTransformer(GDALGenImgProjTransform, h.gen, 0.125);
        return h;
    }
    static void close_handle(Handle& h) {
        if (h.approx != nullptr) GDALDestroyApproxTransformer(h.approx);
        if (h.gen != nullptr) GDALDestroyGenImgProjTransformer(h.gen);
        if (h.ds != nullptr) GDALClose(h.ds);
        h = {};
    }
    Handle borrow() const {
        {
            std::lock_guard lock(mutex);
            if (!free_handles.empty()) {
                Handle h = free_handles.back();
                free_handles.pop_back();
                return h;
            }
        }
        return open_handle();
    }
    void give_back(Handle h) const {
        std::lock_guard lock(mutex);
        free_handles.push_back(h);
    }
    ~Impl() {
        for (auto& h : free_handles) close_handle(h);
    }
    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    /// The image of the w×h grid covering `tb` in `crs` (the CRS `h`'s transformer targets).
    std::optional<Image> render_grid(Handle& h, const BBox& tb, int w, int hgt, const std::string& crs) const;

    /// Warps `bands` of the source into a w×h grid at `gt`; `out` gets band-sequential Float32
    /// values and `alpha` (0..255) the destination alpha. Returns false when nothing was written.
    bool warp(Handle& h, const double gt[6], int w, int hgt, const std::vector<int>& bands, GDALDataType type,
              std::vector<std::uint8_t>& out, std::vector<std::uint8_t>& alpha, GDALResampleAlg alg) const {
        GDALDriverH mem = GDALGetDriverByName("MEM");
        const int nb = static_cast<int>(bands.size());
        GDALDatasetH dst = GDALCreate(mem, "", w, hgt, nb + 1, type, nullptr);
        if (dst == nullptr) throw DependencyError("MEM driver cannot create a dataset");
        struct Close { GDALDatasetH d; ~Close() { GDALClose(d); } } close{dst};
        GDALSetGeoTransform(dst, const_cast<double*>(gt));
        GDALSetGenImgProjTransformerDstGeoTransform(h.gen, gt);

        GDALWarpOptions* wo = GDALCreateWarpOptions();
        struct FreeWo { GDALWarpOptions* w; ~FreeWo() { GDALDestroyWarpOptions(w); } } free_wo{wo};
        wo->hSrcDS = h.ds;
        wo->hDstDS = dst;
        wo->eResampleAlg = alg;
        wo->nBandCount = nb;
        wo->panSrcBands = static_cast<int*>(CPLMalloc(sizeof(int) * static_cast<std::size_t>(nb)));
        wo->panDstBands = static_cast<int*>(CPLMalloc(sizeof(int) * static_cast<std::size_t>(nb)));
        bool any_nodata = false;
        for (int i = 0; i < nb; ++i) {
            wo->panSrcBands[i] = bands[static_cast<std::size_t>(i)];
            wo->panDstBands[i] = i + 1;
            if (nodata[static_cast<std::size_t>(bands[static_cast<std::size_t>(i)] - 1)]) any_nodata = true;
        }
        if (any_nodata) {
            wo->padfSrcNoDataReal = static_cast<double*>(CPLMalloc(sizeof(double) * static_cast<std::size_t>(nb)));
            for (int i = 0; i < nb; ++i) {
                const auto& nd = nodata[static_cast<std::size_t>(bands[static_cast<std::size_t>(i)] - 1)];
                wo->padfSrcNoDataReal[i] = nd ? *nd : -1e300;
            }
            // The source nodata of all bands must match for a pixel to be nodata (gdalwarp's rule
            // for RGB with one nodata value per band).
            wo->papszWarpOptions = CSLSetNameValue(wo->papszWarpOptions, "UNIFIED_SRC_NODATA", "YES");
        }
        if (has_alpha) wo->nSrcAlphaBand = band_count;
        wo->nDstAlphaBand = nb + 1;
        wo->papszWarpOptions = CSLSetNameValue(wo->papszWarpOptions, "INIT_DEST", "0");
        wo->pfnTransformer = GDALApproxTransform;
        wo->pTransformerArg = h.approx;
        GDALWarpOperationH op = GDALCreateWarpOperation(wo);
        if (op == nullptr) throw DependencyError(fmt::format("raster layer '{}': warp setup failed: {}", config.id, CPLGetLastErrorMsg()));
        const CPLErr err = GDALChunkAndWarpImage(op, 0, 0, w, hgt);
        GDALDestroyWarpOperation(op);
        if (err != CE_None) throw DependencyError(fmt::format("raster layer '{}': warp failed: {}", config.id, CPLGetLastErrorMsg()));
        const std::size_t px = static_cast<std::size_t>(w) * static_cast<std::size_t>(hgt);
        const int size = GDALGetDataTypeSizeBytes(type);
        out.resize(px * static_cast<std::size_t>(nb) * static_cast<std::size_t>(size));
        alpha.resize(px);
        std::vector<int> idx(static_cast<std::size_t>(nb));
        for (int i = 0; i < nb; ++i) idx[static_cast<std::size_t>(i)] = i + 1;
        if (GDALDatasetRasterIO(dst, GF_Read, 0, 0, w, hgt, out.data(), w, hgt, type, nb, idx.data(), 0, 0, 0) != CE_None)
            throw DependencyError("MEM read failed");
        // The destination alpha band has the data type of the others; bring it to 0..255.
        std::vector<float> a(px);
        if (GDALRasterIO(GDALGetRasterBand(dst, nb + 1), GF_Read, 0, 0, w, hgt, a.data(), w, hgt, GDT_Float32, 0, 0) != CE_None)
            throw DependencyError("MEM read failed");
        bool any = false;
        for (std::size_t i = 0; i < px; ++i) {
            const float v = std::clamp(a[i], 0.0F, 255.0F);
            alpha[i] = static_cast<std::uint8_t>(std::lround(v));
            any = any || alpha[i] != 0;
        }
        return any;
    }
};

RasterSource::RasterSource(const RasterLayerConfig& config, const TileMatrixSet& tms) : m_impl(std::make_unique<Impl>()) {
    ensure_gdal();
    auto& im = *m_impl;
    im.config = config;
    im.tms = &tms;
    QuietGdal quiet;
    Impl::Handle h = im.open_handle();
    struct Back { const Impl& i; Impl::Handle& h; ~Back() { i.give_back(h); } } back{im, h};
    im.band_count = GDALGetRasterCount(h.ds);
    if (im.band_count == 0) throw FormatError(fmt::format("raster layer '{}': '{}' has no band", config.id, config.path.string()));
    GDALRasterBandH b1 = GDALGetRasterBand(h.ds, 1);
    im.is_byte = GDALGetRasterDataType(b1) == GDT_Byte;
    for (int i = 1; i <= im.band_count; ++i) {
        int has = 0;
        const double nd = GDALGetRasterNoDataValue(GDALGetRasterBand(h.ds, i), &has);
        im.nodata.push_back(has != 0 ? std::optional<double>(nd) : std::nullopt);
    }
    GDALRasterBandH last = GDALGetRasterBand(h.ds, im.band_count);
    im.has_alpha = im.band_count >= 2 && GDALGetRasterColorInterpretation(last) == GCI_AlphaBand;
    if (GDALColorTableH ct = GDALGetRasterColorTable(b1); ct != nullptr && im.band_count == 1) {
        im.has_palette = true;
        for (int i = 0; i < GDALGetColorEntryCount(ct); ++i) {
            const GDALColorEntry* e = GDALGetColorEntry(ct, i);
            im.palette.push_back({static_cast<std::uint8_t>(e->c1), static_cast<std::uint8_t>(e->c2),
                                  static_cast<std::uint8_t>(e->c3), static_cast<std::uint8_t>(e->c4)});
        }
    }
    if (!im.is_byte && config.style == RasterStyle::bands) {
        double mm[2] = {0, 255};
        if (GDALComputeRasterMinMax(b1, TRUE, mm) == CE_None) {
            im.scale_min = mm[0];
            im.scale_max = mm[1] > mm[0] ? mm[1] : mm[0] + 1;
        }
    }
    // Extent and resolution in the set's CRS.
    double gt[6];
    int px = 0, py = 0;
    if (GDALSuggestedWarpOutput(h.ds, GDALGenImgProjTransform, h.gen, gt, &px, &py) != CE_None)
        throw DependencyError(fmt::format("raster layer '{}': cannot compute its extent in {}: {}", config.id, tms.crs,
                                          CPLGetLastErrorMsg()));
    im.native = BBox::of(gt[0], gt[3] + gt[5] * py, gt[0] + gt[1] * px, gt[3]);
    const double res = gt[1];
    im.native_zoom = 0;
    for (std::size_t z = 0; z < tms.matrices.size(); ++z) {
        im.native_zoom = static_cast<int>(z);
        if (tms.matrices[z].cell_size <= res * 1.0000001) break;
    }
    OGRSpatialReferenceH s = OSRNewSpatialReference(nullptr);
    OGRSpatialReferenceH t = OSRNewSpatialReference(nullptr);
    OSRSetFromUserInput(s, tms.crs.c_str());
    OSRSetFromUserInput(t, "EPSG:4326");
    OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(t, OAMS_TRADITIONAL_GIS_ORDER);
    if (OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(s, t)) {
        double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
        if (OCTTransformBounds(ct, im.native.min_x, im.native.min_y, im.native.max_x, im.native.max_y, &x0, &y0, &x1, &y1, 21) != 0)
            im.wgs84 = BBox::of(x0, y0, x1, y1);
        OCTDestroyCoordinateTransformation(ct);
    }
    OSRDestroySpatialReference(s);
    OSRDestroySpatialReference(t);
}

RasterSource::~RasterSource() = default;
const BBox& RasterSource::native_bounds() const noexcept { return m_impl->native; }
const BBox& RasterSource::wgs84_bounds() const noexcept { return m_impl->wgs84; }
int RasterSource::native_zoom() const noexcept { return m_impl->native_zoom; }

std::optional<Image> RasterSource::render(std::uint32_t z, std::uint64_t x, std::uint64_t y) const {
    const auto& im = *m_impl;
    const TileMatrix* m = im.tms->matrix(z);
    if (m == nullptr || !m->contains(x, y)) return std::nullopt;
    const BBox tb = m->tile_bounds(x, y);
    if (!tb.intersects(im.native)) return std::nullopt;
    QuietGdal quiet;
    Impl::Handle h = im.borrow();
    struct Back { const Impl& i; Impl::Handle& h; ~Back() { i.give_back(h); } } back{im, h};
    return im.render_grid(h, tb, static_cast<int>(m->tile_width), static_cast<int>(m->tile_height), im.tms->crs);
}

std::optional<Image> RasterSource::render_area(const std::string& crs, const BBox& bbox, std::uint32_t width,
                                               std::uint32_t height) const {
    const auto& im = *m_impl;
    if (bbox.empty() || width == 0 || height == 0) return std::nullopt;
    QuietGdal quiet;
    Impl::Handle h = im.borrow();
    struct Back { const Impl& i; Impl::Handle& h; ~Back() { i.give_back(h); } } back{im, h};
    if (crs == im.tms->crs) return im.render_grid(h, bbox, static_cast<int>(width), static_cast<int>(height), crs);
    // Another CRS: a transformer for this request only, over the pooled dataset.
    const std::string dst_srs = "DST_SRS=" + crs;
    std::string src_srs;
    std::vector<const char*> opts{dst_srs.c_str()};
    if (!im.config.crs.empty()) {
        src_srs = "SRC_SRS=" + im.config.crs;
        opts.push_back(src_srs.c_str());
    }
    opts.push_back(nullptr);
    Impl::Handle t{h.ds, GDALCreateGenImgProjTransformer2(h.ds, nullptr, const_cast<char**>(opts.data())), nullptr};
    if (t.gen == nullptr)
        throw InvalidArgument(fmt::format("raster layer '{}': no transformation to '{}': {}", im.config.id, crs, CPLGetLastErrorMsg()));
    t.approx = GDALCreateApproxTransformer(GDALGenImgProjTransform, t.gen, 0.125);
    struct Free { Impl::Handle& t; ~Free() { GDALDestroyApproxTransformer(t.approx); GDALDestroyGenImgProjTransformer(t.gen); } } free_t{t};
    return im.render_grid(t, bbox, static_cast<int>(width), static_cast<int>(height), crs);
}

std::optional<Image> RasterSource::Impl::render_grid(Handle& h, const BBox& tb, int w, int hgt, const std::string& crs) const {
    const auto& im = *this;
    const double cell_x = (tb.max_x - tb.min_x) / w;
    const double cell_y = (tb.max_y - tb.min_y) / hgt;
    const std::size_t px = static_cast<std::size_t>(w) * static_cast<std::size_t>(hgt);
    Image img;
    img.width = static_cast<std::uint32_t>(w);
    img.height = static_cast<std::uint32_t>(hgt);
    img.rgba.assign(px * 4, 0);
    std::vector<std::uint8_t> buf, alpha;

    if (im.config.style == RasterStyle::bands) {
        std::vector<int> bands;
        const int colour_bands = im.has_alpha ? im.band_count - 1 : im.band_count;
        for (int i = 1; i <= std::min(colour_bands, 3); ++i) bands.push_back(i);
        const double gt[6] = {tb.min_x, cell_x, 0, tb.max_y, 0, -cell_y};
        const GDALDataType type = im.is_byte ? GDT_Byte : GDT_Float32;
        // Palette indices cannot be interpolated.
        const GDALResampleAlg alg = im.has_palette ? GRA_NearestNeighbour : to_gdal(im.config.resampling);
        if (!im.warp(h, gt, w, hgt, bands, type, buf, alpha, alg)) return std::nullopt;
        auto sample = [&](std::size_t band, std::size_t i) -> double {
            if (im.is_byte) return buf[band * px + i];
            float f = 0;
            std::memcpy(&f, buf.data() + (band * px + i) * sizeof(float), sizeof f);
            return std::clamp((f - im.scale_min) / (im.scale_max - im.scale_min) * 255.0, 0.0, 255.0);
        };
        for (std::size_t i = 0; i < px; ++i) {
            std::uint8_t* o = &img.rgba[i * 4];
            if (alpha[i] == 0) continue;
            if (im.has_palette) {
                const auto idx = static_cast<std::size_t>(buf[i]);
                const auto c = idx < im.palette.size() ? im.palette[idx] : std::array<std::uint8_t, 4>{0, 0, 0, 0};
                o[0] = c[0]; o[1] = c[1]; o[2] = c[2];
                o[3] = static_cast<std::uint8_t>((c[3] * alpha[i] + 127) / 255);
            } else if (bands.size() >= 3) {
                o[0] = static_cast<std::uint8_t>(std::lround(sample(0, i)));
                o[1] = static_cast<std::uint8_t>(std::lround(sample(1, i)));
                o[2] = static_cast<std::uint8_t>(std::lround(sample(2, i)));
                o[3] = alpha[i];
            } else {
                const auto g = static_cast<std::uint8_t>(std::lround(sample(0, i)));
                o[0] = o[1] = o[2] = g;
                o[3] = alpha[i];
            }
        }
    } else {
        // DEM styles: warp band 1 with a one-pixel border so that the 3×3 window of edge pixels
        // reads the neighbour tiles (no seams).
        const int bw = w + 2, bh = hgt + 2;
        const double gt[6] = {tb.min_x - cell_x, cell_x, 0, tb.max_y + cell_y, 0, -cell_y};
        if (!im.warp(h, gt, bw, bh, {1}, GDT_Float32, buf, alpha, to_gdal(im.config.resampling))) return std::nullopt;
        const std::size_t bpx = static_cast<std::size_t>(bw) * static_cast<std::size_t>(bh);
        std::vector<float> v(bpx);
        std::memcpy(v.data(), buf.data(), bpx * sizeof(float));
        for (std::size_t i = 0; i < bpx; ++i)
            if (alpha[i] < 128) v[i] = dem_nodata;
        auto at = [&](int c, int r) { return v[static_cast<std::size_t>(r) * static_cast<std::size_t>(bw) + static_cast<std::size_t>(c)]; };
        if (im.config.style == RasterStyle::hillshade) {
            // Horn's 3×3 gradient (as gdaldem/ESRI) with the cell size in ground metres: the set's
            // units are degrees for geographic sets and stretched by 1/cos(lat) in Web Mercator.
            double cell_mx = cell_x, cell_my = cell_y;
            const double cy = (tb.min_y + tb.max_y) / 2;
            if (crs == "EPSG:3857") {
                const double lat = 2 * std::atan(std::exp(cy / 6378137.0)) - std::numbers::pi / 2;
                cell_mx *= std::cos(lat);
                cell_my *= std::cos(lat);
            } else if (crs == "EPSG:4326" || crs == "OGC:CRS84" || crs == "CRS:84") {
                const double m_per_deg = 2 * std::numbers::pi * 6378137.0 / 360.0;
                cell_mx *= m_per_deg * std::cos(cy * std::numbers::pi / 180);
                cell_my *= m_per_deg;
            }
            const double zenith = (90.0 - im.config.altitude) * std::numbers::pi / 180;
            const double azimuth = std::fmod(360.0 - im.config.azimuth + 90.0, 360.0) * std::numbers::pi / 180;
            const double cz = std::cos(zenith), sz = std::sin(zenith);
            for (int r = 0; r < hgt; ++r) {
                for (int c = 0; c < w; ++c) {
                    const float e = at(c + 1, r + 1);
                    std::uint8_t* o = &img.rgba[(static_cast<std::size_t>(r) * static_cast<std::size_t>(w) + static_cast<std::size_t>(c)) * 4];
                    if (e == dem_nodata) continue;
                    // Missing neighbours take the centre value (flat), as gdaldem -compute_edges.
                    auto n = [&](int dc, int dr) { const float q = at(c + 1 + dc, r + 1 + dr); return q == dem_nodata ? e : q; };
                    const double a = n(-1, -1), b = n(0, -1), cc = n(1, -1), d = n(-1, 0), f = n(1, 0), g = n(-1, 1),
                                 hh = n(0, 1), i = n(1, 1);
                    const double dzdx = ((cc + 2 * f + i) - (a + 2 * d + g)) / (8 * cell_mx);
                    const double dzdy = ((g + 2 * hh + i) - (a + 2 * b + cc)) / (8 * cell_my);
                    const double slope = std::atan(im.config.z_factor * std::hypot(dzdx, dzdy));
                    double aspect = 0;
                    if (dzdx != 0) {
                        aspect = std::atan2(dzdy, -dzdx);
                        if (aspect < 0) aspect += 2 * std::numbers::pi;
                    } else if (dzdy > 0) {
                        aspect = std::numbers::pi / 2;
                    } else if (dzdy < 0) {
                        aspect = 2 * std::numbers::pi - std::numbers::pi / 2;
                    }
                    double shade = 255.0 * (cz * std::cos(slope) + sz * std::sin(slope) * std::cos(azimuth - aspect));
                    shade = std::clamp(shade, 0.0, 255.0);
                    o[0] = o[1] = o[2] = static_cast<std::uint8_t>(std::lround(shade));
                    o[3] = 255;
                }
            }
        } else {
            const auto ramp = im.config.ramp.empty() ? default_ramp() : im.config.ramp;
            for (int r = 0; r < hgt; ++r) {
                for (int c = 0; c < w; ++c) {
                    const float e = at(c + 1, r + 1);
                    std::uint8_t* o = &img.rgba[(static_cast<std::size_t>(r) * static_cast<std::size_t>(w) + static_cast<std::size_t>(c)) * 4];
                    if (e == dem_nodata) continue;
                    const ColorStop* lo = &ramp.front();
                    const ColorStop* hi = &ramp.back();
                    if (e <= lo->value) hi = lo;
                    else if (e >= hi->value) lo = hi;
                    else {
                        for (std::size_t k = 1; k < ramp.size(); ++k)
                            if (e <= ramp[k].value) { lo = &ramp[k - 1]; hi = &ramp[k]; break; }
                    }
                    const double t = hi == lo ? 0.0 : (e - lo->value) / (hi->value - lo->value);
                    auto mix = [t](std::uint8_t p, std::uint8_t q) { return static_cast<std::uint8_t>(std::lround(p + (q - p) * t)); };
                    o[0] = mix(lo->r, hi->r); o[1] = mix(lo->g, hi->g); o[2] = mix(lo->b, hi->b); o[3] = mix(lo->a, hi->a);
                }
            }
        }
    }
    if (img.fully_transparent()) return std::nullopt;
    return img;
}

std::optional<std::vector<double>> RasterSource::sample(const std::string& crs, double x, double y) const {
    const auto& im = *m_impl;
    QuietGdal quiet;
    Impl::Handle h = im.borrow();
    struct Back { const Impl& i; Impl::Handle& h; ~Back() { i.give_back(h); } } back{im, h};
    OGRSpatialReferenceH from = OSRNewSpatialReference(nullptr);
    OGRSpatialReferenceH to = OSRNewSpatialReference(nullptr);
    struct FreeSrs { OGRSpatialReferenceH a, b; ~FreeSrs() { OSRDestroySpatialReference(a); OSRDestroySpatialReference(b); } } free_srs{from, to};
    if (OSRSetFromUserInput(from, crs.c_str()) != OGRERR_NONE) throw InvalidArgument(fmt::format("unknown CRS '{}'", crs));
    if (!im.config.crs.empty()) {
        if (OSRSetFromUserInput(to, im.config.crs.c_str()) != OGRERR_NONE) return std::nullopt;
    } else if (const char* wkt = GDALGetProjectionRef(h.ds); wkt != nullptr && *wkt != '\0') {
        if (OSRImportFromWkt(to, const_cast<char**>(&wkt)) != OGRERR_NONE) return std::nullopt;
    } else {
        return std::nullopt;
    }
    OSRSetAxisMappingStrategy(from, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(to, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(from, to);
    if (ct == nullptr) return std::nullopt;
    const int ok = OCTTransform(ct, 1, &x, &y, nullptr);
    OCTDestroyCoordinateTransformation(ct);
    if (ok == 0) return std::nullopt;
    double gt[6], inv[6];
    if (GDALGetGeoTransform(h.ds, gt) != CE_None || GDALInvGeoTransform(gt, inv) == 0) return std::nullopt;
    const double col = inv[0] + inv[1] * x + inv[2] * y;
    const double row = inv[3] + inv[4] * x + inv[5] * y;
    if (!(col >= 0 && row >= 0 && col < GDALGetRasterXSize(h.ds) && row < GDALGetRasterYSize(h.ds))) return std::nullopt;
    std::vector<double> values;
    for (int b = 1; b <= im.band_count; ++b) {
        double v = 0;
        if (GDALRasterIO(GDALGetRasterBand(h.ds, b), GF_Read, static_cast<int>(col), static_cast<int>(row), 1, 1, &v, 1, 1,
                         GDT_Float64, 0, 0) != CE_None)
            return std::nullopt;
        const auto& nd = im.nodata[static_cast<std::size_t>(b - 1)];
        if (nd && v == *nd) return std::nullopt;
        values.push_back(v);
    }
    return values;
}

bool Image::fully_transparent() const {
    for (std::size_t i = 3; i < rgba.size(); i += 4)
        if (rgba[i] != 0) return false;
    return true;
}
bool Image::fully_opaque() const {
    for (std::size_t i = 3; i < rgba.size(); i += 4)
        if (rgba[i] != 255) return false;
    return true;
}

}  // namespace geoplex::tiles::detail
