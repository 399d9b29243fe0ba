// The one place where an exception becomes an HTTP status and a JSON body. Each service family
// has its own body convention (docs/http-api.md, "Errors"); each is one small function below.

#include <new>
#include <string>

#include <nlohmann/json.hpp>

#include "geoplex/core/error.hpp"
#include "geoplex/server/http.hpp"

namespace geoplex::server {

namespace {

using json = nlohmann::ordered_json;

/// Client input can reach messages (a parameter value); never let bad UTF-8 break the body.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

bool is_server_error(int status) { return status >= 500; }

std::string code_or_status_name(const ErrorInfo& e) {
    if (!e.code.empty()) return e.code;
    if (!e.errc_name.empty()) return e.errc_name;
    return std::string(status_code_name(e.status));
}

/// {"error":{"code":"invalid_argument","message":"…","details":[…]}}
Response plain_body(const ErrorInfo& e) {
    json inner;
    inner["code"] = code_or_status_name(e);
    inner["message"] = e.message;
    if (!e.details.empty()) inner["details"] = e.details;
    return Response::json(dump(json{{"error", std::move(inner)}}), e.status);
}

/// Road2 messages carry a leading and a trailing space (" Parameter 'start' not found ").
std::string road2_message(const std::string& m) {
    if (m.empty()) return m;
    std::string out;
    if (m.front() != ' ') out.push_back(' ');
    out += m;
    if (m.back() != ' ') out.push_back(' ');
    return out;
}

/// {"error":{"errorType":…,"message":" … "}}; errorType only when the error names a code
/// (Road2 usually leaves it out); a 500 is always the fixed internal body.
Response road2_body(const ErrorInfo& e) {
    json inner;
    if (is_server_error(e.status)) {
        inner["errorType"] = "internal";
        inner["message"] = "Internal Server Error";
        return Response::json(dump(json{{"error", std::move(inner)}}), e.status);
    }
    if (!e.code.empty()) inner["errorType"] = e.code;
    // Road2 stops at the first invalid parameter: report the first problem.
    inner["message"] = road2_message(e.details.empty() ? e.message : e.details.front());
    return Response::json(dump(json{{"error", std::move(inner)}}), e.status);
}

/// gpf-geocodeur: {"code":400,"message":"Failed parsing query","detail":[…]}; a 500 hides all.
Response geocoder_body(const ErrorInfo& e) {
    json body;
    body["code"] = e.status;
    if (is_server_error(e.status)) {
        body["message"] = "An unexpected error has occurred";
        return Response::json(dump(body), e.status);
    }
    body["message"] = e.message;
    body["detail"] = e.details.empty() ? std::vector<std::string>{e.message} : e.details;
    return Response::json(dump(body), e.status);
}

/// Completion: {"status":"Error","error":"…"}, always with HTTP 200.
Response completion_body(const ErrorInfo& e) {
    json body;
    body["status"] = "Error";
    if (is_server_error(e.status)) {
        body["error"] = "An unexpected error has occurred";
    } else {
        body["error"] = e.details.empty() ? e.message : e.details.front();
    }
    return Response::json(dump(body), 200);
}

/// Altimetry: {"error":{"code":"BAD_PARAMETER","description":"…"}}. Change here only.
Response altimetry_body(const ErrorInfo& e) {
    std::string code = e.code;
    if (code.empty()) {
        if (is_server_error(e.status)) code = "INTERNAL_ERROR";
        else if (e.status == 404) code = "NOT_FOUND";
        else if (e.status == 405) code = "METHOD_NOT_ALLOWED";
        else code = "BAD_PARAMETER";
    }
    std::string description = is_server_error(e.status) ? std::string("Internal server error") : e.message;
    if (!is_server_error(e.status) && !e.details.empty() && !(e.details.size() == 1 && e.details.front() == e.message)) {
        std::string sep = description.empty() ? "" : ": ";
        for (const auto& d : e.details) {
            description += sep + d;
            sep = "; ";
        }
    }
    json inner;
    inner["code"] = std::move(code);
    inner["description"] = std::move(description);
    return Response::json(dump(json{{"error", std::move(inner)}}), e.status);
}

ErrorInfo internal_error() { return ErrorInfo{500, {}, "internal", "Internal Server Error", {}}; }

/// Classifies the exception; `log_message` receives the hidden real message of 5xx errors.
ErrorInfo classify(std::exception_ptr error, std::string& log_message) {
    if (!error) {
        log_message = "error_response called without an exception";
        return internal_error();
    }
    try {
        std::rethrow_exception(error);
    } catch (const HttpError& e) {
        if (e.status() < 400 || e.status() > 599) {
            log_message = "HttpError with a non-error status " + std::to_string(e.status()) + ": " + e.message();
            return internal_error();
        }
        if (is_server_error(e.status())) {
            log_message = e.message();
            return ErrorInfo{e.status(), e.code(), {}, std::string(reason_phrase(e.status())), {}};
        }
        return ErrorInfo{e.status(), e.code(), {}, e.message(), e.details()};
    } catch (const InvalidArgument& e) {
        const int status = 400;
        auto details = e.problems();
        if (details.size() == 1 && details.front() == e.what()) details.clear();
        return ErrorInfo{status, {}, std::string(to_string(e.code())), e.what(), std::move(details)};
    } catch (const Error& e) {
        switch (e.code()) {
        case errc::not_found:
            return ErrorInfo{404, {}, std::string(to_string(e.code())), e.what(), {}};
        case errc::invalid_argument:
        case errc::limit_exceeded:
        case errc::unsupported:
            return ErrorInfo{400, {}, std::string(to_string(e.code())), e.what(), {}};
        case errc::cancelled:
            log_message = e.what();
            return ErrorInfo{503, {}, std::string(to_string(e.code())), "Service Unavailable", {}};
        default:
            log_message = std::string(to_string(e.code())) + ": " + e.what();
            return internal_error();
        }
    } catch (const std::bad_alloc&) {
        log_message = "out of memory";
        return internal_error();
    } catch (const std::exception& e) {
        log_message = e.what();
        return internal_error();
    } catch (...) {
        log_message = "unknown exception";
        return internal_error();
    }
}

}  // namespace

std::string_view status_code_name(int status) noexcept {
    switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 406: return "not_acceptable";
    case 408: return "request_timeout";
    case 409: return "conflict";
    case 411: return "length_required";
    case 413: return "payload_too_large";
    case 414: return "uri_too_long";
    case 415: return "unsupported_media_type";
    case 422: return "unprocessable_entity";
    case 429: return "too_many_requests";
    case 431: return "request_header_fields_too_large";
    case 500: return "internal";
    case 501: return "not_implemented";
    case 502: return "bad_gateway";
    case 503: return "unavailable";
    case 504: return "gateway_timeout";
    default: return status >= 500 ? "internal" : "bad_request";
    }
}

std::string_view reason_phrase(int status) noexcept {
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
    }
}

Response format_error(const ErrorInfo& error, ErrorStyle style) {
    switch (style) {
    case ErrorStyle::road2: return road2_body(error);
    case ErrorStyle::geocoder: return geocoder_body(error);
    case ErrorStyle::completion: return completion_body(error);
    case ErrorStyle::altimetry: return altimetry_body(error);
    case ErrorStyle::plain: break;
    }
    return plain_body(error);
}

Response error_response(std::exception_ptr error, ErrorStyle style, const ErrorLog& log) {
    std::string log_message;
    const ErrorInfo info = classify(std::move(error), log_message);
    if (!log_message.empty() && log) {
        try {
            log(log_message);
        } catch (...) {  // a failing logger must not turn an error body into a crash
        }
    }
    return format_error(info, style);
}

Response error_response(std::exception_ptr error, ErrorStyle style) {
    return error_response(std::move(error), style, ErrorLog{});
}

}  // namespace geoplex::server
