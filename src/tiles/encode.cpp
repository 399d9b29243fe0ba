// Image encoders (libpng, libjpeg-turbo, libwebp) and gzip (zlib).
// Direct library calls rather than GDAL's MEM→PNG CreateCopy: no dataset, no /vsimem file, and
// a fast zlib level for PNG (tiles are served many times but rendered on the fly too).

#include <csetjmp>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>
#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>
#include <zlib.h>

#include "geoplex/core/error.hpp"
#include "tiles/detail.hpp"

namespace geoplex::tiles::detail {

namespace {

std::string encode_png(const Image& img) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    if (png == nullptr) throw DependencyError("libpng: cannot create a writer");
    png_infop info = png_create_info_struct(png);
    std::string out;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        throw DependencyError("libpng: encoding failed");
    }
    png_set_write_fn(
        png, &out,
        [](png_structp p, png_bytep data, png_size_t n) {
            static_cast<std::string*>(png_get_io_ptr(p))->append(reinterpret_cast<const char*>(data), n);
        },
        nullptr);
    // RGB when opaque (25 % smaller), RGBA otherwise.
    const bool opaque = img.fully_opaque();
    png_set_IHDR(png, info, img.width, img.height, 8, opaque ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGBA,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 3);  // fast: most of the size gain of 6 at a third of the time
    png_set_filter(png, 0, PNG_FILTER_SUB | PNG_FILTER_UP);
    png_write_info(png, info);
    std::vector<std::uint8_t> row(static_cast<std::size_t>(img.width) * 3);
    for (std::uint32_t y = 0; y < img.height; ++y) {
        const std::uint8_t* src = img.rgba.data() + static_cast<std::size_t>(y) * img.width * 4;
        if (opaque) {
            for (std::uint32_t x = 0; x < img.width; ++x) std::memcpy(&row[x * 3], src + x * 4, 3);
            png_write_row(png, row.data());
        } else {
            png_write_row(png, const_cast<png_bytep>(src));
        }
    }
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    return out;
}

struct JpegError {
    jpeg_error_mgr mgr;
    std::jmp_buf jump;
};

std::string encode_jpeg(const Image& img, int quality) {
    jpeg_compress_struct cinfo{};
    JpegError err{};
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = [](j_common_ptr c) { std::longjmp(reinterpret_cast<JpegError*>(c->err)->jump, 1); };
    unsigned char* mem = nullptr;
    unsigned long size = 0;
    if (setjmp(err.jump)) {
        jpeg_destroy_compress(&cinfo);
        std::free(mem);
        throw DependencyError("libjpeg: encoding failed");
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &mem, &size);
    cinfo.image_width = img.width;
    cinfo.image_height = img.height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    // JPEG has no alpha: transparent pixels become white (what WMTS clients expect of a blank).
    std::vector<std::uint8_t> row(static_cast<std::size_t>(img.width) * 3);
    while (cinfo.next_scanline < cinfo.image_height) {
        const std::uint8_t* src = img.rgba.data() + static_cast<std::size_t>(cinfo.next_scanline) * img.width * 4;
        for (std::uint32_t x = 0; x < img.width; ++x) {
            const unsigned a = src[x * 4 + 3];
            for (int c = 0; c < 3; ++c)
                row[x * 3 + static_cast<unsigned>(c)] =
                    static_cast<std::uint8_t>((src[x * 4 + static_cast<unsigned>(c)] * a + 255 * (255 - a) + 127) / 255);
        }
        JSAMPROW r = row.data();
        jpeg_write_scanlines(&cinfo, &r, 1);
    }
    jpeg_finish_compress(&cinfo);
    std::string out(reinterpret_cast<const char*>(mem), size);
    jpeg_destroy_compress(&cinfo);
    std::free(mem);
    return out;
}

std::string encode_webp(const Image& img, int quality) {
    std::uint8_t* out = nullptr;
    const std::size_t n = WebPEncodeRGBA(img.rgba.data(), static_cast<int>(img.width), static_cast<int>(img.height),
                                         static_cast<int>(img.width * 4), static_cast<float>(quality), &out);
    if (n == 0) throw DependencyError("libwebp: encoding failed");
    std::string s(reinterpret_cast<const char*>(out), n);
    WebPFree(out);
    return s;
}

}  // namespace

std::string encode_image(const Image& image, TileFormat format, int quality) {
    switch (format) {
        case TileFormat::png: return encode_png(image);
        case TileFormat::jpeg: return encode_jpeg(image, quality);
        case TileFormat::webp: return encode_webp(image, quality);
        case TileFormat::mvt: break;
    }
    throw InvalidArgument("a raster tile cannot be encoded as pbf");
}

bool is_gzip(std::string_view data) noexcept {
    return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f && static_cast<unsigned char>(data[1]) == 0x8b;
}

std::string gzip_compress(std::string_view data, int level) {
    z_stream zs{};
    if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw DependencyError("zlib: deflateInit2");
    std::string out;
    out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw DependencyError("zlib: deflate failed");
    return out;
}

std::string gzip_decompress(std::string_view data) {
    z_stream zs{};
    if (inflateInit2(&zs, 15 + 32) != Z_OK) throw DependencyError("zlib: inflateInit2");
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    std::string out;
    char buf[65536];
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        zs.next_out = reinterpret_cast<Bytef*>(buf);
        zs.avail_out = sizeof buf;
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&zs);
            throw FormatError("gzip: corrupt data");
        }
        out.append(buf, sizeof buf - zs.avail_out);
    }
    inflateEnd(&zs);
    return out;
}

}  // namespace geoplex::tiles::detail
