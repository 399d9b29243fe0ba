// `geoplex serve --config FILE`: the TOML configuration file, validated as a whole.

#include "geoplex/server/config.hpp"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "core/spec_reader.hpp"
#include "geoplex/core/error.hpp"

namespace geoplex::server {

namespace {

struct Reader : core::detail::SpecReader {
    /// An integer in [lo, hi]; `fallback` when absent or wrong.
    template <class T>
    T integer(const toml::table& t, const std::string& where, std::string_view key, T fallback, std::int64_t lo,
              std::int64_t hi) {
        const auto* node = t.get(key);
        if (node == nullptr) return fallback;
        const auto* v = node->as_integer();
        if (v == nullptr || v->get() < lo || v->get() > hi) {
            problems.push_back(fmt::format("{}.{}: must be an integer in {}..{} (got {})", where, key, lo, hi, shown(*node)));
            return fallback;
        }
        return static_cast<T>(v->get());
    }

    /// A number (integer or float) in [lo, hi].
    double number(const toml::table& t, const std::string& where, std::string_view key, double fallback, double lo,
                  double hi, std::string_view unit) {
        const auto* node = t.get(key);
        if (node == nullptr) return fallback;
        std::optional<double> v;
        if (const auto* f = node->as_floating_point()) v = f->get();
        if (const auto* i = node->as_integer()) v = static_cast<double>(i->get());
        if (!v || !std::isfinite(*v) || *v < lo || *v > hi) {
            problems.push_back(fmt::format("{}.{}: must be a number of {} in {}..{} (got {})", where, key, unit, lo, hi,
                                           shown(*node)));
            return fallback;
        }
        return *v;
    }

    std::chrono::milliseconds seconds(const toml::table& t, const std::string& where, std::string_view key,
                                      std::chrono::milliseconds fallback, double lo) {
        const double s = number(t, where, key, -1, lo, 86'400, "seconds");
        if (s < 0) return fallback;
        return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(s * 1000)));
    }

    bool boolean(const toml::table& t, const std::string& where, std::string_view key, bool fallback) {
        const auto* node = t.get(key);
        if (node == nullptr) return fallback;
        if (const auto* b = node->as_boolean()) return b->get();
        problems.push_back(fmt::format("{}.{}: must be true or false (got {})", where, key, shown(*node)));
        return fallback;
    }

    const toml::table* table(const toml::table& t, const std::string& where, std::string_view key) {
        const auto* node = t.get(key);
        if (node == nullptr) return nullptr;
        if (const auto* tt = node->as_table()) return tt;
        problems.push_back(fmt::format("[{}.{}] must be a table (a [{}.{}] section)", where, key, where, key));
        return nullptr;
    }

    static std::string shown(const toml::node& node) {
        if (const auto s = node.value<std::string>()) return fmt::format("\"{}\"", *s);
        if (const auto* i = node.as_integer()) return std::to_string(i->get());
        if (const auto* f = node.as_floating_point()) return fmt::format("{}", f->get());
        if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
        if (node.is_table()) return "a table";
        if (node.is_array()) return "an array";
        return "a date or time";
    }
};

void read_server(Reader& r, const toml::table& t, ServeSettings& s) {
    const std::string w = "server";
    auto& c = s.server;
    r.check_keys(t, w, {"listen", "port", "threads", "access_log", "verify_checksums", "metrics_path", "openapi_title",
                        "limits", "timeouts", "cors", "gzip", "admin"});
    c.address = r.string(t, w, "listen", false, c.address);
    c.port = r.integer<std::uint16_t>(t, w, "port", c.port, 0, 65535);
    c.threads = r.integer<unsigned>(t, w, "threads", c.threads, 1, 1024);
    s.access_log = r.string(t, w, "access_log", false, s.access_log);
    s.verify_checksums = r.boolean(t, w, "verify_checksums", s.verify_checksums);
    c.metrics_path = r.string(t, w, "metrics_path", false, c.metrics_path);
    c.openapi_title = r.string(t, w, "openapi_title", false, c.openapi_title);
    constexpr std::int64_t big = std::numeric_limits<std::int64_t>::max() / 2;
    if (const auto* l = r.table(t, w, "limits")) {
        const std::string lw = "server.limits";
        r.check_keys(*l, lw, {"max_header_bytes", "max_body_bytes", "max_connections", "max_points"});
        c.max_header_bytes = r.integer<std::size_t>(*l, lw, "max_header_bytes", c.max_header_bytes, 1024, 16 << 20);
        c.max_body_bytes = r.integer<std::size_t>(*l, lw, "max_body_bytes", c.max_body_bytes, 0, big);
        c.max_connections = r.integer<std::size_t>(*l, lw, "max_connections", c.max_connections, 1, 10'000'000);
        c.altitude.max_points = r.integer<std::size_t>(*l, lw, "max_points", c.altitude.max_points, 1, 1'000'000);
    }
    if (const auto* to = r.table(t, w, "timeouts")) {
        const std::string tw = "server.timeouts";
        r.check_keys(*to, tw, {"read", "idle", "write", "shutdown_grace"});
        c.read_timeout = r.seconds(*to, tw, "read", c.read_timeout, 0.001);
        c.idle_timeout = r.seconds(*to, tw, "idle", c.idle_timeout, 0.001);
        c.write_timeout = r.seconds(*to, tw, "write", c.write_timeout, 0.001);
        c.shutdown_grace = r.seconds(*to, tw, "shutdown_grace", c.shutdown_grace, 0);
    }
    if (const auto* co = r.table(t, w, "cors")) {
        r.check_keys(*co, "server.cors", {"allow_origin"});
        c.cors_allow_origin = r.string(*co, "server.cors", "allow_origin", false, c.cors_allow_origin);
    }
    if (const auto* g = r.table(t, w, "gzip")) {
        const std::string gw = "server.gzip";
        r.check_keys(*g, gw, {"min_size", "level"});
        c.gzip_min_size = r.integer<std::size_t>(*g, gw, "min_size", c.gzip_min_size, 0, big);
        c.gzip_level = r.integer<int>(*g, gw, "level", c.gzip_level, 1, 9);
    }
    if (const auto* a = r.table(t, w, "admin")) {
        const std::string aw = "server.admin";
        r.check_keys(*a, aw, {"reload", "token"});
        c.admin_reload = r.boolean(*a, aw, "reload", c.admin_reload);
        c.admin_token = r.string(*a, aw, "token", false, c.admin_token);
        if (!c.admin_token.empty() && c.admin_token.size() < 16) {
            r.problems.push_back("server.admin.token: use at least 16 characters (e.g. `openssl rand -hex 16`), or "
                                 "leave it empty to allow reloads from the server's own host only");
        }
        if (c.admin_token.find_first_of("\r\n ") != std::string::npos) {
            r.problems.emplace_back("server.admin.token: must not contain spaces or line breaks");
        }
    }
}

void read_rate_limits(Reader& r, const toml::table& t, RateLimitConfig& c) {
    const std::string w = "rate_limits";
    r.check_keys(t, w, {"enabled", "block", "max_clients", "trust_forwarded_for", "altimetrie", "navigation", "geocodage",
                        "tiles", "other"});
    c.enabled = r.boolean(t, w, "enabled", true);  // the section itself turns them on
    c.block = r.seconds(t, w, "block", c.block, 0);
    c.max_clients = r.integer<std::size_t>(t, w, "max_clients", c.max_clients, 1, 100'000'000);
    c.trust_forwarded_for = r.boolean(t, w, "trust_forwarded_for", c.trust_forwarded_for);
    for (std::size_t i = 0; i < service_family_count; ++i) {
        const auto family = static_cast<ServiceFamily>(i);
        const std::string name(to_string(family));
        const auto* node = t.get(name);
        if (node == nullptr) continue;
        if (const auto* ft = node->as_table()) {
            const std::string fw = w + "." + name;
            r.check_keys(*ft, fw, {"rate", "burst"});
            c[family].rate = r.number(*ft, fw, "rate", c[family].rate, 0, 1e9, "requests per second");
            c[family].burst = r.number(*ft, fw, "burst", c[family].burst, 0, 1e9, "requests");
        } else {
            c[family].rate = r.number(t, w, name, c[family].rate, 0, 1e9, "requests per second (0 = unlimited)");
            c[family].burst = 0;
        }
    }
}

void read_catalog(Reader& r, const toml::table& t, CatalogSettings& c) {
    const std::string w = "catalog";
    r.check_keys(t, w, {"data_dir", "store", "admin_token", "upload_quota", "endpoint_quota", "tiers"});
    constexpr std::int64_t big = std::numeric_limits<std::int64_t>::max() / 2;
    c.data_dir = r.string(t, w, "data_dir", false, c.data_dir);
    c.store = r.string(t, w, "store", false, c.store);
    c.admin_token = r.string(t, w, "admin_token", false, c.admin_token);
    c.upload_quota = r.integer<std::int64_t>(t, w, "upload_quota", c.upload_quota, 0, big);
    c.endpoint_quota = r.integer<std::int64_t>(t, w, "endpoint_quota", c.endpoint_quota, 0, 1'000'000);
    if (const auto* tiers = r.table(t, w, "tiers")) {
        for (const auto& [name, node] : *tiers) {
            (void)node;
            c.tiers[std::string(name.str())] = r.integer<std::int64_t>(*tiers, "catalog.tiers", name.str(), 0, 0, big);
        }
    }
    c.enabled = !c.data_dir.empty();
    if (!c.enabled) r.problems.emplace_back("catalog.data_dir: required (where uploads and stored data live)");
    if (!c.admin_token.empty() && c.admin_token.size() < 16)
        r.problems.emplace_back("catalog.admin_token: use at least 16 characters (e.g. `openssl rand -hex 16`)");
}

}  // namespace

ServeSettings parse_serve_settings(std::string_view toml_text, std::string_view source, ServeSettings base) {
    toml::table doc;
    try {
        doc = toml::parse(toml_text, std::string(source));
    } catch (const toml::parse_error& e) {
        throw InvalidArgument(fmt::format("{}: not valid TOML: {} (line {}, column {})", source, e.description(),
                                          e.source().begin.line, e.source().begin.column));
    }
    std::vector<std::string> problems;
    Reader r{problems};
    r.check_keys(doc, "(top level)", {"server", "rate_limits", "catalog"});
    if (const auto* s = r.table(doc, "config", "server")) read_server(r, *s, base);
    if (const auto* rl = r.table(doc, "config", "rate_limits")) read_rate_limits(r, *rl, base.server.rate_limits);
    if (const auto* ca = r.table(doc, "config", "catalog")) read_catalog(r, *ca, base.catalog);
    if (problems.empty()) {
        try {
            base.server.validate();
        } catch (const InvalidArgument& e) {
            problems = e.problems();
        }
    }
    if (!problems.empty()) {
        for (auto& p : problems) p = fmt::format("{}: {}", source, p);
        throw InvalidArgument(std::move(problems));
    }
    return base;
}

ServeSettings load_serve_settings(const std::filesystem::path& file, ServeSettings base) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw IoError(fmt::format("cannot read the server configuration '{}'", file.string()));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw IoError(fmt::format("cannot read the server configuration '{}'", file.string()));
    return parse_serve_settings(text.str(), file.string(), std::move(base));
}

}  // namespace geoplex::server
