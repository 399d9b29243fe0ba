#pragma once
// Helpers of the server tests: an empty-component bundle, and a tiny blocking HTTP/1.1 client on
// POSIX sockets (so the tests do not share code with the transport they check).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "geoplex/bundle/engine.hpp"
#include "support/test_data.hpp"

namespace geoplex::test {

/// A bundle directory with no component (only manifest.toml).
inline bundle::Engine open_empty_bundle(const TempDir& dir) {
    std::ofstream(dir / "manifest.toml") << "name = \"test\"\nformat_version = 1\ncomponents = []\n";
    return bundle::Engine::open(dir.path());
}

/// One engine for the whole test binary (handlers need a const Engine&).
inline const bundle::Engine& shared_engine() {
    static const TempDir dir("geoplex-server-test");
    static const bundle::Engine engine = open_empty_bundle(dir);
    return engine;
}

struct HttpReply {
    int status = 0;
    std::map<std::string, std::string> headers;  ///< lower-case names (last value wins)
    std::string body;
    [[nodiscard]] std::string header(const std::string& name) const {
        const auto it = headers.find(name);
        return it == headers.end() ? std::string{} : it->second;
    }
};

/// A blocking client connection with a receive timeout on every wait.
class Client {
public:
    explicit Client(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5))
        : m_timeout(timeout) {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (m_fd < 0) throw std::runtime_error("socket() failed");
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(m_fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(m_fd);
            throw std::runtime_error("connect() failed");
        }
        int one = 1;
        ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    ~Client() { if (m_fd >= 0) ::close(m_fd); }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// Sends everything; false when the peer closed or reset.
    bool send(std::string_view data) {
        while (!data.empty()) {
            const auto n = ::send(m_fd, data.data(), data.size(), MSG_NOSIGNAL);
            if (n <= 0) return false;
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }
    void shutdown_write() { ::shutdown(m_fd, SHUT_WR); }

    /// Reads some bytes into the buffer: >0 read, 0 EOF, -1 error or timeout.
    int fill() {
        pollfd p{m_fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(m_timeout.count()));
        if (ready <= 0) return -1;
        char buf[16384];
        const auto n = ::recv(m_fd, buf, sizeof buf, 0);
        if (n < 0) return -1;
        m_buffer.append(buf, static_cast<std::size_t>(n));
        return static_cast<int>(n);
    }

    /// Reads one response (Content-Length bodies only); nullopt on EOF/timeout/garbage.
    std::optional<HttpReply> read_reply(bool head_request = false) {
        std::size_t end;
        while ((end = m_buffer.find("\r\n\r\n")) == std::string::npos) {
            if (fill() <= 0) return std::nullopt;
        }
        HttpReply r;
        const std::string head = m_buffer.substr(0, end);
        m_buffer.erase(0, end + 4);
        if (head.size() < 12 || head.compare(0, 5, "HTTP/") != 0) return std::nullopt;
        r.status = std::stoi(head.substr(9, 3));
        std::size_t pos = head.find("\r\n");
        while (pos != std::string::npos && pos + 2 < head.size()) {
            const auto next = head.find("\r\n", pos + 2);
            const std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
            const auto colon = line.find(':');
            if (colon != std::string::npos) {
                std::string name = line.substr(0, colon);
                for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                std::string value = line.substr(colon + 1);
                while (!value.empty() && value.front() == ' ') value.erase(0, 1);
                r.headers[name] = value;
            }
            pos = next;
        }
        if (r.status == 100) return read_reply(head_request);
        std::size_t length = 0;
        if (!head_request && r.headers.count("content-length")) length = std::stoul(r.headers["content-length"]);
        while (m_buffer.size() < length) {
            if (fill() <= 0) return std::nullopt;
        }
        r.body = m_buffer.substr(0, length);
        m_buffer.erase(0, length);
        return r;
    }

    /// True when the server closes the connection (EOF or reset) within the timeout; any bytes
    /// received meanwhile are discarded.
    bool wait_closed() {
        for (;;) {
            pollfd p{m_fd, POLLIN, 0};
            const int ready = ::poll(&p, 1, static_cast<int>(m_timeout.count()));
            if (ready <= 0) return false;
            char buf[4096];
            const auto n = ::recv(m_fd, buf, sizeof buf, 0);
            if (n <= 0) return true;
        }
    }

    /// One request/response round trip.
    std::optional<HttpReply> request(const std::string& raw, bool head_request = false) {
        if (!send(raw)) return std::nullopt;
        return read_reply(head_request);
    }

private:
    int m_fd = -1;
    std::chrono::milliseconds m_timeout;
    std::string m_buffer;
};

inline std::string get(const std::string& target, const std::string& extra_headers = {}) {
    return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + extra_headers + "\r\n";
}

}  // namespace geoplex::test
