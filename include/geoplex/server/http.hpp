#pragma once
// Transport-neutral HTTP types. Handlers are plain functions Request × Engine → Response, so a
// portal can mount them in its own server; the Boost.Beast transport is only one user of them.

#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace geoplex::bundle { class Engine; }

namespace geoplex::server {

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Request {
    std::string method;          ///< "GET", "POST", …
    std::string path;            ///< percent-decoded path, no query string
    Fields query;                ///< decoded query parameters, in order, repeats kept
    Fields headers;              ///< header names in lower case
    Fields path_params;          ///< captured {name} segments of the matched route
    std::string body;
    std::string remote_address;

    /// First value of a query parameter, or nullptr.
    [[nodiscard]] const std::string* param(std::string_view name) const;
    /// Every value of a repeated query parameter.
    [[nodiscard]] std::vector<std::string_view> params(std::string_view name) const;
    /// A header by lower-case name, or nullptr.
    [[nodiscard]] const std::string* header(std::string_view lower_name) const;
    /// A captured path segment, or nullptr.
    [[nodiscard]] const std::string* path_param(std::string_view name) const;
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    Fields headers;  ///< extra headers (Cache-Control, ETag, Retry-After…)
    /// A body produced piece by piece (large feature collections): when set, `body` is ignored and
    /// the transport calls it repeatedly; each call appends the next piece to `out` and returns
    /// false once the body is complete. Sent with chunked transfer encoding (HTTP/1.1), never
    /// gzip-compressed. Runs on the transport's thread after the handler returned, so it must own
    /// (or share) everything it reads. See collect_body().
    std::function<bool(std::string& out)> stream = {};

    static Response json(std::string body, int status = 200) {
        return Response{status, "application/json", std::move(body), {}};
    }
    static Response text(std::string body, std::string content_type, int status = 200) {
        return Response{status, std::move(content_type), std::move(body), {}};
    }
};

/// The whole body of `response`: `body`, or every piece of `stream` (which is then consumed).
[[nodiscard]] std::string collect_body(Response& response);

/// The error body conventions of the services we are compatible with.
enum class ErrorStyle {
    plain,      ///< {"error":{"code":"invalid_argument","message":"…","details":[…]}}
    road2,      ///< navigation: {"error":{"errorType":…,"message":"…"}}
    geocoder,   ///< geocodage: {"code":400,"message":"Failed parsing query","detail":[…]}
    completion, ///< completion: {"status":"Error","error":"…"} with HTTP 200
    altimetry,  ///< altimetrie: {"error":{"code":"…","description":"…"}} (see docs/http-api.md)
};

/// An error with an HTTP status, thrown by handlers for request problems.
class HttpError : public std::exception {
public:
    HttpError(int status, std::string message, std::vector<std::string> details = {}, std::string code = {})
        : m_status(status), m_message(std::move(message)), m_details(std::move(details)), m_code(std::move(code)) {}
    [[nodiscard]] const char* what() const noexcept override { return m_message.c_str(); }
    [[nodiscard]] int status() const noexcept { return m_status; }
    [[nodiscard]] const std::string& message() const noexcept { return m_message; }
    [[nodiscard]] const std::vector<std::string>& details() const noexcept { return m_details; }
    /// Machine code for the body (e.g. "BAD_PARAMETER"); empty = derived from the status.
    [[nodiscard]] const std::string& code() const noexcept { return m_code; }

private:
    int m_status;
    std::string m_message;
    std::vector<std::string> m_details;
    std::string m_code;
};

/// Receives the real message of server-side (5xx) errors, which never reaches the client.
using ErrorLog = std::function<void(std::string_view message)>;

/// The one place where any exception becomes an HTTP status and JSON body: HttpError keeps
/// its status; geoplex::InvalidArgument → 400; Error(not_found) → 404; limit_exceeded → 400
/// (413 for bodies); anything else → 500 with a generic message (details go to the log only).
[[nodiscard]] Response error_response(std::exception_ptr error, ErrorStyle style);
/// Same, and hands the real message of any 5xx error to `log` (when set).
[[nodiscard]] Response error_response(std::exception_ptr error, ErrorStyle style, const ErrorLog& log);

/// An error already classified: what error_response builds before formatting the body.
struct ErrorInfo {
    int status = 500;
    std::string code;                  ///< explicit machine code (HttpError::code()); may be empty
    std::string errc_name;             ///< to_string(errc) when it came from a geoplex::Error
    std::string message;               ///< client-facing message
    std::vector<std::string> details;  ///< every problem, when there are several
};
/// Formats `error` as a response in `style` (the body conventions are documented in
/// docs/http-api.md). Used by error_response and by the transport for its own errors.
[[nodiscard]] Response format_error(const ErrorInfo& error, ErrorStyle style);
/// Lower-case machine name of an HTTP status ("not_found", "payload_too_large"…).
[[nodiscard]] std::string_view status_code_name(int status) noexcept;
/// Standard reason phrase ("Not Found"), or "Unknown".
[[nodiscard]] std::string_view reason_phrase(int status) noexcept;

// ---- request-target parsing (strict; every failure is HttpError 400, never a crash) ----------

/// Percent-decodes `s`. '+' becomes a space only when `plus_is_space` (query strings). A '%'
/// not followed by two hex digits, or an encoded NUL, throws HttpError(400).
[[nodiscard]] std::string percent_decode(std::string_view s, bool plus_is_space = false);
/// Parses "a=1&b=x+y&a=2" into {{"a","1"},{"b","x y"},{"a","2"}}: order and repeats kept, empty
/// pieces skipped, a key without '=' gets an empty value. Throws HttpError(400) on bad escapes.
[[nodiscard]] Fields parse_query(std::string_view query);

struct RequestTarget {
    std::string path;  ///< percent-decoded, starts with '/' (or is "*")
    Fields query;
};
/// Parses an HTTP request-target: origin-form ("/p?q"), absolute-form ("http://h/p?q") or "*".
/// A fragment is ignored. Throws HttpError(400) when malformed.
[[nodiscard]] RequestTarget parse_target(std::string_view target);

using Handler = std::function<Response(const Request&, const bundle::Engine&)>;

}  // namespace geoplex::server
