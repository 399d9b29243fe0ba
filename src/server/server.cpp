// The Boost.Beast transport: the only translation unit that includes Beast/Asio.
//
// One io_context run by a fixed pool of threads; each connection is a Session on its own strand:
//   wait for the first byte (idle_timeout) → read head → [100 Continue] → read body, all within
//   one read_timeout deadline → route → write (write_timeout) → keep-alive or close.
// Deadlines are a time stored in the Session, checked by one sweeper timer for the whole server
// (a fraction of the smallest timeout): no timer armed and cancelled per read and write, which
// is what most of the per-request cost of beast::tcp_stream's timeouts was. A head already in
// the read buffer is parsed in place (no extra asynchronous hop).
// Protocol errors answer 400/413/431 (then a lingering close so the client can read it); a
// deadline or a reset just closes. The Router and the error translation stay transport-neutral.

#include "geoplex/server/server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <ctime>
#include <limits>
#include <mutex>
#include <optional>
#include <ostream>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include "geoplex/core/error.hpp"

namespace geoplex::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

struct State {
    bundle::Engine engine;
    Router router;
    // Parallel to router.routes(): where each route's requests are counted, and its family.
    std::vector<Metrics::Endpoint*> endpoints;
    std::vector<ServiceFamily> families;
};

bool is_loopback(std::string_view address) {
    return address.starts_with("127.") || address == "::1" || address.starts_with("::ffff:127.");
}

/// Constant-time comparison (the admin token).
bool same_secret(std::string_view a, std::string_view b) {
    unsigned diff = a.size() == b.size() ? 0U : 1U;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff |= static_cast<unsigned>(static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b.empty() ? 0 : b[i % b.size()]));
    }
    return diff == 0;
}

/// The client a rate limit applies to: the TCP peer, or the last X-Forwarded-For hop when the
/// proxy in front is trusted to set it.
std::string_view client_of(const Request& request, bool trust_forwarded_for) {
    if (trust_forwarded_for) {
        if (const std::string* xff = request.header("x-forwarded-for")) {
            std::string_view v = *xff;
            const auto comma = v.rfind(',');
            if (comma != std::string_view::npos) v.remove_prefix(comma + 1);
            while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
            while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
            if (!v.empty()) return v;
        }
    }
    return request.remote_address;
}

/// 429 in the error style of the route, with Retry-After (as the Géoplateforme answers).
Response too_many_requests(ErrorStyle style, ServiceFamily family, const RateLimiter::Decision& d) {
    ErrorInfo info{429, style == ErrorStyle::altimetry ? "TOO_MANY_REQUESTS" : "", {},
                   fmt::format("Too many requests: the limit for {} is {} requests per second per client. "
                               "Retry after {} s.",
                               to_string(family), d.rate, d.retry_after.count()),
                   {}};
    Response r = format_error(info, style);
    r.status = 429;  // even in the completion style
    r.headers.emplace_back("Retry-After", std::to_string(d.retry_after.count()));
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
}

constexpr std::string_view metrics_openapi = R"({
  "summary": "Server metrics in the Prometheus text format: requests, latencies, errors per route",
  "tags": ["server"],
  "responses": {"200": {"description": "Prometheus text exposition 0.0.4", "content": {"text/plain": {}}}}
})";

constexpr std::string_view reload_openapi = R"({
  "summary": "Reopen the bundle directory and serve the new bundle without dropping requests",
  "description": "Loopback clients only, unless the server has an admin token: then 'Authorization: Bearer <token>' from anywhere.",
  "tags": ["server"],
  "responses": {"200": {"description": "Reloaded; the new bundle's name and components"},
                "403": {"description": "Not allowed"},
                "500": {"description": "The new bundle could not be opened; the old one keeps serving"}}
})";

std::string iso_now() {
    const auto now = std::chrono::system_clock::now();
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                       tm.tm_hour, tm.tm_min, tm.tm_sec, us % 1'000'000);
}

std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    }
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// True when Accept-Encoding allows gzip ("gzip", "x-gzip" or "*" with a non-zero q).
bool accepts_gzip(std::string_view header) {
    while (!header.empty()) {
        const auto comma = header.find(',');
        std::string_view item = header.substr(0, comma);
        header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
        const auto semi = item.find(';');
        const std::string_view coding = trim(item.substr(0, semi));
        if (!iequals(coding, "gzip") && !iequals(coding, "x-gzip") && coding != "*") continue;
        bool zero = false;
        if (semi != std::string_view::npos) {
            std::string_view params = trim(item.substr(semi + 1));
            if (params.size() >= 2 && (params[0] == 'q' || params[0] == 'Q') && params[1] == '=') {
                const std::string_view q = trim(params.substr(2));
                zero = !q.empty() && q.find_first_not_of("0.") == std::string_view::npos;
            }
        }
        if (!zero) return true;
    }
    return false;
}

bool compressible(std::string_view content_type) {
    if (content_type.rfind("image/", 0) == 0) return content_type.rfind("image/svg", 0) == 0;
    for (const std::string_view t : {"application/zip", "application/gzip", "application/x-gzip", "video/", "audio/"}) {
        if (content_type.rfind(t, 0) == 0) return false;
    }
    return true;
}

/// gzip (deflate with a gzip header); nullopt when zlib fails or it would not be smaller.
std::optional<std::string> gzip(std::string_view in, int level) {
    if (in.size() > 0xffffffffU) return std::nullopt;
    z_stream zs{};
    if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return std::nullopt;
    std::string out(deflateBound(&zs, static_cast<uLong>(in.size())) + 32, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    const auto produced = zs.total_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END || produced >= in.size()) return std::nullopt;
    out.resize(produced);
    return out;
}

bool is_parse_error(const beast::error_code& ec) {
    return ec.category() == http::make_error_code(http::error::bad_target).category();
}

constexpr std::string_view busy_response =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 71\r\n"
    "Connection: close\r\n\r\n"
    R"({"error":{"code":"unavailable","message":"Too many open connections."}})";
static_assert(busy_response.size() - busy_response.find("\r\n\r\n") - 4 == 71);

}  // namespace

// ---- Impl ---------------------------------------------------------------------------------------

class Session;

struct Server::Impl {
    ServerConfig config;
    bool default_router = true;
    std::string server_header;

    mutable std::mutex state_mutex;
    std::shared_ptr<const State> state;
    std::mutex reload_mutex;  // one reload at a time

    Metrics metrics;
    std::unique_ptr<RateLimiter> limiter;  // null when rate limits are off
    Metrics::Endpoint* unmatched_endpoint = nullptr;
    Metrics::Endpoint* options_endpoint = nullptr;
    Metrics::Endpoint* protocol_endpoint = nullptr;

    std::unique_ptr<asio::io_context> ioc;
    std::unique_ptr<tcp::acceptor> acceptor;
    std::unique_ptr<asio::steady_timer> accept_retry;
    std::unique_ptr<asio::steady_timer> sweeper;  // closes the sessions past their deadline
    std::unique_ptr<asio::signal_set> signals;
    std::vector<std::thread> threads;
    std::atomic<std::uint16_t> bound_port{0};

    std::mutex sessions_mutex;
    std::condition_variable sessions_cv;  // signalled when a session ends
    std::unordered_map<std::uint64_t, std::weak_ptr<Session>> sessions;
    std::uint64_t next_session_id = 0;
    std::atomic<std::size_t> connections{0};
    std::atomic<bool> stopping{false};

    enum class Phase { created, running, stopping, stopped };
    std::mutex life_mutex;
    std::condition_variable life_cv;
    Phase phase = Phase::created;
    bool stop_requested = false;

    std::mutex access_log_mutex;

    [[nodiscard]] std::shared_ptr<const State> current() const {
        std::lock_guard lock(state_mutex);
        return state;
    }

    void log(core::LogLevel level, std::string_view message) const {
        if (!config.log) return;
        try {
            config.log(level, message);
        } catch (...) {  // logging must never take the server down
        }
    }

    void log_access(const AccessLogEntry& entry) {
        try {
            if (config.access_log) config.access_log(entry);
            if (config.access_log_stream != nullptr) {
                const std::string line = format_access_log(entry);
                std::lock_guard lock(access_log_mutex);
                *config.access_log_stream << line << '\n';
            }
        } catch (...) {
        }
    }

    void init(ServerConfig cfg, bool default_router_) {
        cfg.validate();
        config = std::move(cfg);
        default_router = default_router_;
        server_header = fmt::format("geoplex/{}", version());
        if (config.rate_limits.enabled) limiter = std::make_unique<RateLimiter>(config.rate_limits);
        unmatched_endpoint = &metrics.endpoint("(unmatched)");
        options_endpoint = &metrics.endpoint("(options)");
        protocol_endpoint = &metrics.endpoint("(protocol)");
    }

    /// /metrics and /admin/reload, unless switched off or already routed by the embedder.
    void add_server_routes(Router& router) {
        if (!config.metrics_path.empty() && router.match("GET", config.metrics_path).route == nullptr) {
            router.add(Router::Route{{"GET"}, config.metrics_path,
                                     [this](const Request&, const bundle::Engine& engine) {
                                         if (limiter) metrics.rate_limit_clients = limiter->tracked_clients();
                                         Response r = Response::text(metrics.render(engine),
                                                                     "text/plain; version=0.0.4; charset=utf-8");
                                         r.headers.emplace_back("Cache-Control", "no-store");
                                         return r;
                                     },
                                     ErrorStyle::plain, std::string(metrics_openapi)});
        }
        if (config.admin_reload && router.match("POST", "/admin/reload").route == nullptr) {
            router.add(Router::Route{{"POST"}, "/admin/reload",
                                     [this](const Request& request, const bundle::Engine&) { return admin_reload(request); },
                                     ErrorStyle::plain, std::string(reload_openapi)});
        }
    }

    Response admin_reload(const Request& request) {
        if (!config.admin_token.empty()) {
            const std::string* auth = request.header("authorization");
            if (auth == nullptr || !auth->starts_with("Bearer ") ||
                !same_secret(std::string_view(*auth).substr(7), config.admin_token)) {
                throw HttpError(403, "POST /admin/reload needs 'Authorization: Bearer <admin token>'");
            }
        } else if (!is_loopback(request.remote_address)) {
            throw HttpError(403, "POST /admin/reload is only allowed from the server's own host "
                                 "(set an admin token to allow it from elsewhere)");
        }
        try {
            reload();
        } catch (const std::exception& e) {
            std::string body = format_error(ErrorInfo{500, "reload_failed", {}, e.what(), {}}, ErrorStyle::plain).body;
            return Response::json(std::move(body), 500);
        }
        const auto st = current();
        const auto& m = st->engine.manifest();
        nlohmann::ordered_json body;
        body["status"] = "reloaded";
        body["bundle"] = m.name;
        body["created"] = m.created;
        body["components"] = m.components;
        return Response::json(body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
    }

    [[nodiscard]] std::shared_ptr<const State> make_state(bundle::Engine engine, Router router) {
        router.set_error_log([this](std::string_view m) {
            metrics.handler_exceptions.fetch_add(1, std::memory_order_relaxed);
            log(core::LogLevel::error, m);
        });
        auto st = std::make_shared<State>(State{std::move(engine), std::move(router), {}, {}});
        for (const auto& route : st->router.routes()) {
            st->endpoints.push_back(&metrics.endpoint(route.pattern));
            st->families.push_back(service_family_of(route.pattern));
        }
        return st;
    }

    [[nodiscard]] std::shared_ptr<const State> default_state(bundle::Engine engine) {
        Router router = make_default_router(config, engine, [this](Router& r) { add_server_routes(r); });
        return make_state(std::move(engine), std::move(router));
    }

    void set_engine(bundle::Engine engine) {
        std::shared_ptr<const State> next;
        if (default_router) {
            next = default_state(std::move(engine));
        } else {
            next = make_state(std::move(engine), current()->router);
        }
        std::lock_guard lock(state_mutex);
        state = std::move(next);  // the old State dies with the last request holding it
    }

    void reload() {
        std::lock_guard lock(reload_mutex);
        try {
            bundle::Engine next = config.reopen_bundle ? config.reopen_bundle()
                                                       : bundle::Engine::open(current()->engine.directory());
            const std::string name = next.manifest().name;
            set_engine(std::move(next));
            metrics.reloads_ok.fetch_add(1, std::memory_order_relaxed);
            log(core::LogLevel::info, fmt::format("bundle '{}' reloaded", name));
        } catch (const std::exception& e) {
            metrics.reloads_failed.fetch_add(1, std::memory_order_relaxed);
            log(core::LogLevel::error, fmt::format("bundle reload failed, the previous bundle keeps serving: {}", e.what()));
            throw;
        }
    }

    void wait_signal();
    void start();
    void do_accept();
    void sweep();
    [[nodiscard]] bool access_logging() const noexcept {
        return static_cast<bool>(config.access_log) || config.access_log_stream != nullptr;
    }
    void request_stop() {
        {
            std::lock_guard lock(life_mutex);
            stop_requested = true;
        }
        life_cv.notify_all();
    }
    void shutdown();
    [[nodiscard]] bool on_worker_thread() const {
        const auto self = std::this_thread::get_id();
        for (const auto& t : threads) {
            if (t.get_id() == self) return true;
        }
        return false;
    }
};

// ---- Session ------------------------------------------------------------------------------------

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(Server::Impl& impl, tcp::socket socket, std::uint64_t id)
        : m_impl(impl), m_socket(std::move(socket)), m_id(id) {
        beast::error_code ec;
        const auto ep = m_socket.remote_endpoint(ec);
        if (!ec) m_remote = ep.address().to_string();
        // Each response is one gather write: nothing for Nagle to coalesce, only delays to add.
        m_socket.set_option(tcp::no_delay(true), ec);
        m_impl.metrics.connections.fetch_add(1, std::memory_order_relaxed);
    }

    ~Session() {
        m_impl.metrics.connections.fetch_sub(1, std::memory_order_relaxed);
        {
            std::lock_guard lock(m_impl.sessions_mutex);
            m_impl.sessions.erase(m_id);
            --m_impl.connections;
        }
        m_impl.sessions_cv.notify_all();
    }

    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    void start() {
        asio::dispatch(m_socket.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
    }

    /// From Server::stop(): idle connections close now, busy ones after their response.
    void notify_stop() {
        asio::post(m_socket.get_executor(), [self = shared_from_this()] {
            if (self->m_phase == Phase::idle) self->close();
        });
    }

    /// From the sweeper (any thread): past its deadline, the connection is closed on its strand
    /// (the pending read or write then fails and the session ends, as with a socket timeout).
    void sweep(Clock::rep now) {
        const auto deadline = m_deadline.load(std::memory_order_relaxed);
        if (deadline == no_deadline || deadline > now) return;
        asio::post(m_socket.get_executor(), [self = shared_from_this()] {
            const auto d = self->m_deadline.load(std::memory_order_relaxed);
            if (d != no_deadline && d <= Clock::now().time_since_epoch().count()) self->close();
        });
    }

private:
    enum class Phase { idle, reading, writing, closing };
    static constexpr Clock::rep no_deadline = std::numeric_limits<Clock::rep>::max();

    /// The I/O started next (and any that follows until re-armed) must end within `d`.
    void arm(Clock::duration d) {
        m_deadline.store((Clock::now() + d).time_since_epoch().count(), std::memory_order_relaxed);
    }
    void disarm() { m_deadline.store(no_deadline, std::memory_order_relaxed); }

    // Waits for the first byte of the next request under the idle timeout; the request itself
    // then gets one read_timeout deadline for its head and body together.
    void wait_for_request() {
        if (m_impl.stopping) return close();
        if (m_buffer.size() > 0) return read_header();
        m_phase = Phase::idle;
        // A new connection must start its request within read_timeout; a kept-alive one may
        // wait idle_timeout for the next.
        arm(m_served == 0 ? m_impl.config.read_timeout : m_impl.config.idle_timeout);
        m_socket.async_read_some(m_buffer.prepare(4096),
                                 [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                     self->m_buffer.commit(n);
                                     if (ec || n == 0) return self->close();
                                     self->read_header();
                                 });
    }

    void read_header() {
        m_phase = Phase::reading;
        m_parser.emplace();
        m_parser->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(m_impl.config.max_header_bytes, 0xffffffffU)));
        m_parser->body_limit(m_impl.config.max_body_bytes);
        m_head_time.reset();
        arm(m_impl.config.read_timeout);
        // Usually the whole head is in the buffer already: parse it in place.
        beast::error_code ec;
        const std::size_t used = m_parser->put(m_buffer.data(), ec);
        m_buffer.consume(used);
        if (ec != http::error::need_more && (ec || m_parser->is_header_done())) return on_header(ec);
        http::async_read_header(m_socket, m_buffer, *m_parser,
                                [self = shared_from_this()](beast::error_code rec, std::size_t) { self->on_header(rec); });
    }

    void on_header(beast::error_code ec) {
        if (ec) return on_read_error(ec);
        m_head_time = Clock::now();
        if (m_impl.access_logging()) m_time = iso_now();
        const auto& req = m_parser->get();
        const std::string_view expect = sv(req[http::field::expect]);
        if (!expect.empty() && iequals(trim(expect), "100-continue") && !m_parser->is_done()) {
            static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
            asio::async_write(m_socket, asio::buffer(cont.data(), cont.size()),
                              [self = shared_from_this()](beast::error_code wec, std::size_t) {
                                  if (wec) return self->close();
                                  self->read_body();
                              });
            return;
        }
        read_body();
    }

    void read_body() {
        if (m_parser->is_done()) return on_request();
        http::async_read(m_socket, m_buffer, *m_parser, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->on_read_error(ec);
            self->on_request();
        });
    }

    void on_read_error(beast::error_code ec) {
        if (ec == http::error::header_limit) {
            return send_error(431, "Request header fields too large");
        }
        if (ec == http::error::body_limit) {
            return send_error(413, fmt::format("Request body larger than {} bytes", m_impl.config.max_body_bytes));
        }
        // end_of_stream / partial_message: the client went away; timeout: the stream is already
        // closed by the deadline; operation_aborted: stop().
        if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == beast::error::timeout ||
            ec == asio::error::operation_aborted || m_phase == Phase::closing || !is_parse_error(ec)) {
            return close();
        }
        send_error(400, fmt::format("Malformed HTTP request: {}", ec.message()));
    }

    /// Errors found by the transport: answered in the style of the path when it is known.
    void send_error(int status, std::string message) {
        ErrorStyle style = ErrorStyle::plain;
        std::string method = "-";
        std::string target = "-";
        auto st = m_impl.current();
        if (m_parser && m_parser->is_header_done()) {
            const auto& req = m_parser->get();
            method = std::string(req.method_string());
            target = std::string(req.target());
            try {
                style = st->router.style_for_path(parse_target(target).path);
            } catch (...) {
            }
        }
        if (!m_head_time) {
            m_head_time = Clock::now();
            m_time = iso_now();
        }
        Response r = format_error(ErrorInfo{status, {}, {}, std::move(message), {}}, style);
        r.status = status;  // the completion style would say 200: not for protocol errors
        m_endpoint = m_impl.protocol_endpoint;
        send(std::move(r), std::move(method), std::move(target), 11, false, false, false);
    }

    void on_request() {
        disarm();  // the handler may take its time; the response gets write_timeout
        auto req = m_parser->release();
        m_parser.reset();
        const bool head = req.method() == http::verb::head;
        bool keep_alive = req.keep_alive() && !m_impl.stopping;
        const bool gzip_ok = accepts_gzip(sv(req[http::field::accept_encoding]));
        std::string method(req.method_string());
        std::string target(req.target());

        Response response;
        auto st = m_impl.current();
        m_endpoint = m_impl.protocol_endpoint;  // until the target parses
        try {
            Request request;
            auto parsed = parse_target(target);
            request.method = method;
            request.path = std::move(parsed.path);
            request.query = std::move(parsed.query);
            request.headers.reserve(static_cast<std::size_t>(std::distance(req.begin(), req.end())));
            for (const auto& field : req) {
                std::string name(field.name_string());
                for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                request.headers.emplace_back(std::move(name), std::string(field.value()));
            }
            request.body = std::move(req.body());
            request.remote_address = m_remote;
            auto found = st->router.match(request.method, request.path);
            if (request.method == "OPTIONS" && found.route == nullptr) {
                m_endpoint = m_impl.options_endpoint;
                response = options_response(st->router, request);
            } else {
                response = route(*st, request, std::move(found));
            }
        } catch (...) {  // parse_target, or an allocation failure outside the router
            response = error_response(std::current_exception(), ErrorStyle::plain,
                                      [this](std::string_view m) { m_impl.log(core::LogLevel::error, m); });
        }
        send(std::move(response), std::move(method), std::move(target), req.version(), keep_alive, head, gzip_ok);
    }

    /// Rate limit, then the route's handler; counted under the route's pattern.
    Response route(const State& st, Request& request, Router::Match found) {
        ServiceFamily family;
        if (found.route != nullptr) {
            const auto i = static_cast<std::size_t>(found.route - st.router.routes().data());
            m_endpoint = st.endpoints[i];
            family = st.families[i];
        } else {
            m_endpoint = m_impl.unmatched_endpoint;
            family = service_family_of(request.path);
        }
        if (m_impl.limiter) {
            const auto d = m_impl.limiter->check(family, client_of(request, m_impl.config.rate_limits.trust_forwarded_for));
            if (!d.allowed) {
                m_impl.metrics.rate_limited[static_cast<std::size_t>(family)].fetch_add(1, std::memory_order_relaxed);
                const ErrorStyle style = found.route != nullptr ? found.route->style : st.router.style_for_path(request.path);
                return too_many_requests(style, family, d);
            }
        }
        struct InFlight {
            std::atomic<std::int64_t>& n;
            explicit InFlight(std::atomic<std::int64_t>& counter) : n(counter) { n.fetch_add(1, std::memory_order_relaxed); }
            ~InFlight() { n.fetch_sub(1, std::memory_order_relaxed); }
            InFlight(const InFlight&) = delete;
            InFlight& operator=(const InFlight&) = delete;
        } in_flight(m_impl.metrics.in_flight);
        return st.router.dispatch(request, st.engine, std::move(found));
    }

    Response options_response(const Router& router, const Request& request) {
        std::vector<std::string> allowed;
        if (request.path == "*") {
            allowed = {"GET", "HEAD", "POST"};
        } else {
            allowed = router.allowed_methods(request.path);
            if (allowed.empty()) return router.not_found(request.path);
        }
        allowed.emplace_back("OPTIONS");
        std::string list;
        for (const auto& m : allowed) list += (list.empty() ? "" : ", ") + m;
        Response r{204, "", "", {}};
        r.headers.emplace_back("Allow", list);
        if (!m_impl.config.cors_allow_origin.empty()) {
            r.headers.emplace_back("Access-Control-Allow-Methods", list);
            const std::string* asked = request.header("access-control-request-headers");
            r.headers.emplace_back("Access-Control-Allow-Headers",
                                   asked != nullptr && !asked->empty() ? *asked : "Content-Type, Authorization, X-Key");
            r.headers.emplace_back("Access-Control-Max-Age", "86400");
        }
        return r;
    }

    void send(Response r, std::string method, std::string target, unsigned version, bool keep_alive, bool head,
              bool gzip_ok) {
        const auto& config = m_impl.config;
        keep_alive = keep_alive && !m_impl.stopping;  // draining: tell the client to go
        if (r.status < 100 || r.status > 999) r.status = 500;
        auto& res = m_response.emplace();
        res.version(version == 10 ? 10 : 11);
        res.result(static_cast<unsigned>(r.status));
        res.set(http::field::server, m_impl.server_header);
        if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
        bool has_encoding = false;
        for (auto& [name, value] : r.headers) {
            if (iequals(name, "content-encoding")) has_encoding = true;
            res.insert(name, value);
        }
        if (!config.cors_allow_origin.empty()) {
            res.set(http::field::access_control_allow_origin, config.cors_allow_origin);
            if (config.cors_allow_origin != "*") res.insert(http::field::vary, "Origin");
        }
        const bool no_body_status = r.status == 204 || r.status == 304 || r.status < 200;
        if (r.stream && (head || no_body_status)) r.stream = nullptr;
        if (r.stream && version == 10) r.body = collect_body(r);  // no chunked encoding in HTTP/1.0
        if (r.stream) {
            res.keep_alive(keep_alive);
            res.chunked(true);
            m_entry = AccessLogEntry{std::move(m_time), m_remote, std::move(method), std::move(target), r.status, 0, 0};
            m_keep_alive = keep_alive;
            m_phase = Phase::writing;
            m_body_stream = std::move(r.stream);
            m_serializer.emplace(*m_response);
            arm(config.write_timeout);
            http::async_write_header(m_socket, *m_serializer, [self = shared_from_this()](beast::error_code ec, std::size_t) {
                if (ec) return self->on_write(ec);
                self->write_next_chunk();
            });
            return;
        }
        if (!r.body.empty() && !has_encoding && compressible(r.content_type)) {
            res.insert(http::field::vary, "Accept-Encoding");
            if (gzip_ok && r.body.size() >= config.gzip_min_size) {
                if (auto z = gzip(r.body, config.gzip_level)) {
                    r.body = std::move(*z);
                    res.set(http::field::content_encoding, "gzip");
                }
            }
        }
        res.keep_alive(keep_alive);
        const std::size_t length = r.body.size();
        if (head) {
            if (!no_body_status) res.content_length(length);
        } else if (!no_body_status) {
            res.body() = std::move(r.body);
            res.prepare_payload();
        }
        m_entry = AccessLogEntry{std::move(m_time), m_remote, std::move(method), std::move(target), r.status,
                                 head ? 0 : length, 0};
        m_keep_alive = keep_alive;
        m_phase = Phase::writing;
        arm(config.write_timeout);
        // One gather write of the head (serialized here, into a buffer kept between responses)
        // and the body: Beast's serializer costs more than the write itself for small bodies.
        serialize_head(res, m_head);
        const std::array<asio::const_buffer, 2> buffers{asio::buffer(m_head), asio::buffer(res.body())};
        asio::async_write(m_socket, buffers, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            self->on_write(ec);
        });
    }

    /// The status line and the fields of `res` as Beast's serializer writes them.
    static void serialize_head(const http::response<http::string_body>& res, std::string& out) {
        out.clear();
        out += res.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
        const unsigned status = res.result_int();
        const char digits[3] = {static_cast<char>('0' + status / 100 % 10), static_cast<char>('0' + status / 10 % 10),
                                static_cast<char>('0' + status % 10)};
        out.append(digits, 3);
        out += ' ';
        out += sv(res.reason());
        out += "\r\n";
        for (const auto& field : res) {
            out += sv(field.name_string());
            out += ": ";
            out += sv(field.value());
            out += "\r\n";
        }
        out += "\r\n";
    }

    /// Streamed body: one piece of the generator per chunk, then the last chunk. A generator that
    /// throws mid-body cannot change the status any more: the connection is closed (the client
    /// sees a truncated chunked body) and the error logged.
    void write_next_chunk() {
        m_chunk.clear();
        bool more = false;
        try {
            while ((more = m_body_stream(m_chunk)) && m_chunk.size() < 16384) {
            }
        } catch (const std::exception& e) {
            m_impl.log(core::LogLevel::error, fmt::format("streamed body failed: {}", e.what()));
            m_body_stream = nullptr;
            m_serializer.reset();
            m_keep_alive = false;
            return on_write(asio::error::operation_aborted);
        }
        m_entry.bytes += m_chunk.size();
        arm(m_impl.config.write_timeout);
        auto self = shared_from_this();
        if (!more) m_body_stream = nullptr;
        if (m_chunk.empty()) {
            if (!more) return write_last_chunk();
            return write_next_chunk();
        }
        asio::async_write(m_socket, http::make_chunk(asio::buffer(m_chunk)), [self, more](beast::error_code ec, std::size_t) {
            if (ec) {
                self->m_body_stream = nullptr;
                self->m_serializer.reset();
                return self->on_write(ec);
            }
            if (more) return self->write_next_chunk();
            self->write_last_chunk();
        });
    }

    void write_last_chunk() {
        arm(m_impl.config.write_timeout);
        asio::async_write(m_socket, http::make_chunk_last(), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            self->m_serializer.reset();
            self->on_write(ec);
        });
    }

    void on_write(beast::error_code ec) {
        if (m_head_time) {
            m_entry.microseconds = static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - *m_head_time).count());
        }
        if (m_endpoint != nullptr) {
            Metrics::observe(*m_endpoint, m_entry.status, std::chrono::microseconds(m_entry.microseconds));
            m_endpoint = nullptr;
        }
        m_impl.log_access(m_entry);
        m_response.reset();
        ++m_served;
        if (ec || m_impl.stopping) return close();
        if (!m_keep_alive) return linger_close();
        wait_for_request();
    }

    // After an error the client may still be sending (a huge header, a refused body): closing
    // with unread data would reset the connection before it reads our answer. Half-close, drain
    // for a short while, then close.
    void linger_close() {
        m_phase = Phase::closing;
        beast::error_code ec;
        m_socket.shutdown(tcp::socket::shutdown_send, ec);
        if (ec) return close();
        m_buffer.clear();
        m_drained = 0;
        arm(std::min<Clock::duration>(m_impl.config.read_timeout, std::chrono::seconds(2)));
        drain();
    }

    void drain() {
        m_socket.async_read_some(m_buffer.prepare(16384), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
            self->m_buffer.consume(self->m_buffer.size());
            self->m_drained += n;
            if (ec || self->m_drained > 64 * 1024 * 1024) return self->close();
            self->drain();
        });
    }

    void close() {
        m_phase = Phase::closing;
        disarm();
        beast::error_code ec;
        m_socket.shutdown(tcp::socket::shutdown_both, ec);
        m_socket.close(ec);
    }

    Server::Impl& m_impl;
    tcp::socket m_socket;  // its executor is the session's strand
    std::atomic<Clock::rep> m_deadline{no_deadline};  // steady clock; read by the sweeper
    std::uint64_t m_id;
    std::string m_remote = "-";
    beast::flat_buffer m_buffer;
    std::optional<http::request_parser<http::string_body>> m_parser;
    std::optional<http::response<http::string_body>> m_response;
    std::string m_head;  // serialized head of m_response while it is written
    // Streamed bodies (Response::stream): the header serializer, the generator, the current piece.
    std::optional<http::response_serializer<http::string_body>> m_serializer;
    std::function<bool(std::string&)> m_body_stream;
    std::string m_chunk;
    std::optional<Clock::time_point> m_head_time;
    std::string m_time;
    AccessLogEntry m_entry;
    bool m_keep_alive = false;
    std::size_t m_drained = 0;
    std::uint64_t m_served = 0;  // responses written on this connection
    Phase m_phase = Phase::idle;
    Metrics::Endpoint* m_endpoint = nullptr;  // where the response being written is counted
};

// ---- Impl: accept loop and lifecycle ------------------------------------------------------------

void Server::Impl::start() {
    {
        std::lock_guard lock(life_mutex);
        if (phase != Phase::created) {
            if (phase == Phase::running) return;
            throw Error(errc::unsupported, "this Server was stopped; a Server runs once");
        }
    }
    ioc = std::make_unique<asio::io_context>(static_cast<int>(config.threads));
    beast::error_code ec;
    const auto address = asio::ip::make_address(config.address, ec);
    if (ec) throw InvalidArgument(fmt::format("invalid listen address '{}': {}", config.address, ec.message()));
    const tcp::endpoint endpoint(address, config.port);
    acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(*ioc));
    auto fail = [&](std::string_view what) {
        acceptor.reset();
        ioc.reset();
        throw IoError(fmt::format("cannot listen on {}:{}: {} ({})", config.address, config.port, ec.message(), what));
    };
    if (acceptor->open(endpoint.protocol(), ec); ec) fail("open");
    if (acceptor->set_option(asio::socket_base::reuse_address(true), ec); ec) fail("reuse_address");
    if (acceptor->bind(endpoint, ec); ec) fail("bind");
    if (acceptor->listen(asio::socket_base::max_listen_connections, ec); ec) fail("listen");
    bound_port = acceptor->local_endpoint(ec).port();
    accept_retry = std::make_unique<asio::steady_timer>(acceptor->get_executor());
    sweeper = std::make_unique<asio::steady_timer>(asio::make_strand(*ioc));

    if (config.handle_signals) {
        signals = std::make_unique<asio::signal_set>(*ioc, SIGINT, SIGTERM, SIGHUP);
        wait_signal();
    }
    {
        std::lock_guard lock(life_mutex);
        phase = Phase::running;
    }
    do_accept();
    sweep();
    threads.reserve(config.threads);
    for (unsigned i = 0; i < config.threads; ++i) {
        threads.emplace_back([this] {
            for (;;) {
                try {
                    ioc->run();
                    return;
                } catch (const std::exception& e) {  // handlers catch everything; belt and braces
                    log(core::LogLevel::error, fmt::format("uncaught exception in an I/O thread: {}", e.what()));
                } catch (...) {
                    log(core::LogLevel::error, "uncaught exception in an I/O thread");
                }
            }
        });
    }
    log(core::LogLevel::info, fmt::format("listening on {}:{} with {} thread(s)", config.address, bound_port.load(), config.threads));
}

void Server::Impl::wait_signal() {
    signals->async_wait([this](beast::error_code sec, int signo) {
        if (sec) return;
        if (signo == SIGHUP) {
            log(core::LogLevel::info, "SIGHUP received, reloading the bundle");
            try {
                reload();
            } catch (...) {  // logged by reload(); the old bundle keeps serving
            }
            if (!stopping) wait_signal();
            return;
        }
        log(core::LogLevel::info, fmt::format("signal {} received, stopping", signo));
        request_stop();
    });
}

void Server::Impl::do_accept() {
    acceptor->async_accept(asio::make_strand(*ioc), [this](beast::error_code ec, tcp::socket socket) {
        if (stopping || !acceptor->is_open()) return;
        if (ec) {
            if (ec == asio::error::operation_aborted) return;
            // e.g. EMFILE: back off instead of spinning
            log(core::LogLevel::warning, fmt::format("accept failed: {}", ec.message()));
            accept_retry->expires_after(std::chrono::milliseconds(50));
            accept_retry->async_wait([this](beast::error_code tec) {
                if (!tec && !stopping) do_accept();
            });
            return;
        }
        std::shared_ptr<Session> session;
        {
            std::lock_guard lock(sessions_mutex);
            if (connections < config.max_connections) {
                const auto id = next_session_id++;
                session = std::make_shared<Session>(*this, std::move(socket), id);
                ++connections;  // after construction: ~Session decrements
                sessions.emplace(id, session);
            }
        }
        if (session) {
            session->start();
        } else {
            metrics.connections_refused.fetch_add(1, std::memory_order_relaxed);
            beast::error_code ignored;
            socket.non_blocking(true, ignored);
            socket.write_some(asio::buffer(busy_response.data(), busy_response.size()), ignored);
            socket.shutdown(tcp::socket::shutdown_both, ignored);
            socket.close(ignored);
        }
        do_accept();
    });
}

// Every 1/8 of the smallest timeout (5 ms to 250 ms): the sessions past their deadline are closed.
void Server::Impl::sweep() {
    const auto smallest = std::min({config.read_timeout, config.idle_timeout, config.write_timeout});
    const auto period = std::clamp<Clock::duration>(smallest / 8, std::chrono::milliseconds(5), std::chrono::milliseconds(250));
    sweeper->expires_after(period);
    sweeper->async_wait([this](beast::error_code ec) {
        if (ec || stopping) return;
        const auto now = Clock::now().time_since_epoch().count();
        std::vector<std::shared_ptr<Session>> live;
        {
            std::lock_guard lock(sessions_mutex);
            live.reserve(sessions.size());
            for (auto& [id, weak] : sessions) {
                if (auto s = weak.lock()) live.push_back(std::move(s));
            }
        }
        for (const auto& s : live) s->sweep(now);
        live.clear();  // outside the lock: the last reference may end a session (~Session locks it)
        sweep();
    });
}

void Server::Impl::shutdown() {
    {
        std::unique_lock lock(life_mutex);
        if (phase == Phase::created) {
            phase = Phase::stopped;
            return;
        }
        if (phase == Phase::stopping || phase == Phase::stopped) {
            life_cv.wait(lock, [this] { return phase == Phase::stopped; });
            return;
        }
        phase = Phase::stopping;
    }
    stopping = true;
    asio::post(acceptor->get_executor(), [this] {
        beast::error_code ec;
        acceptor->close(ec);
        accept_retry->cancel();
    });
    asio::post(sweeper->get_executor(), [this] { sweeper->cancel(); });
    if (signals) {
        asio::post(*ioc, [this] {
            beast::error_code ec;
            signals->cancel(ec);
        });
    }
    std::vector<std::shared_ptr<Session>> live;
    {
        std::lock_guard lock(sessions_mutex);
        for (auto& [id, weak] : sessions) {
            if (auto s = weak.lock()) live.push_back(std::move(s));
        }
    }
    for (auto& s : live) s->notify_stop();
    live.clear();  // let closed sessions die
    {
        std::unique_lock lock(sessions_mutex);
        sessions_cv.wait_for(lock, config.shutdown_grace, [this] { return connections == 0; });
        if (connections != 0) {
            log(core::LogLevel::warning, fmt::format("stopping with {} connection(s) still open", connections.load()));
        }
    }
    ioc->stop();
    for (auto& t : threads) t.join();
    threads.clear();
    // Destroying the io_context destroys the pending handlers and with them the sessions.
    signals.reset();
    sweeper.reset();
    accept_retry.reset();
    acceptor.reset();
    ioc.reset();
    {
        std::lock_guard lock(life_mutex);
        phase = Phase::stopped;
        stop_requested = true;
    }
    life_cv.notify_all();
    log(core::LogLevel::info, "server stopped");
}

// ---- Server -------------------------------------------------------------------------------------

Server::Server(bundle::Engine engine, ServerConfig config) : m_impl(std::make_unique<Impl>()) {
    m_impl->init(std::move(config), true);
    m_impl->state = m_impl->default_state(std::move(engine));
}

Server::Server(bundle::Engine engine, Router router, ServerConfig config) : m_impl(std::make_unique<Impl>()) {
    m_impl->init(std::move(config), false);
    m_impl->add_server_routes(router);
    m_impl->state = m_impl->make_state(std::move(engine), std::move(router));
}

Server::~Server() {
    try {
        stop();
    } catch (...) {
    }
}

void Server::start() { m_impl->start(); }

void Server::run() {
    m_impl->start();
    {
        std::unique_lock lock(m_impl->life_mutex);
        m_impl->life_cv.wait(lock, [this] { return m_impl->stop_requested; });
    }
    m_impl->shutdown();
}

void Server::stop() {
    m_impl->request_stop();
    if (m_impl->on_worker_thread()) return;  // joining ourselves would deadlock; run() finishes it
    m_impl->shutdown();
}

void Server::request_stop() { m_impl->request_stop(); }

std::uint16_t Server::port() const noexcept { return m_impl->bound_port; }

bool Server::running() const noexcept {
    std::lock_guard lock(m_impl->life_mutex);
    return m_impl->phase == Impl::Phase::running;
}

const ServerConfig& Server::config() const noexcept { return m_impl->config; }

void Server::set_engine(bundle::Engine engine) { m_impl->set_engine(std::move(engine)); }

bundle::Engine Server::engine() const { return m_impl->current()->engine; }

void Server::reload() { m_impl->reload(); }

const Metrics& Server::metrics() const noexcept { return m_impl->metrics; }

}  // namespace geoplex::server
