#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "geoplex/core/json_writer.hpp"

using geoplex::core::JsonWriter;

TEST_CASE("JsonWriter output parses with an independent JSON parser") {
    JsonWriter w;
    w.begin_object()
        .key("s").value("quote \" backslash \\ newline \n tab \t ctrl \x01 é")
        .key("i").value(-42)
        .key("u").value(std::uint64_t{18446744073709551615ULL})
        .key("d").value(0.1)
        .key("nan").value(std::numeric_limits<double>::quiet_NaN())
        .key("b").value(true)
        .key("n").null()
        .key("a").begin_array().value(1).begin_object().end_object().begin_array().end_array().end_array()
        .end_object();
    const auto j = nlohmann::json::parse(w.str());
    CHECK(j["s"] == "quote \" backslash \\ newline \n tab \t ctrl \x01 é");
    CHECK(j["i"] == -42);
    CHECK(j["u"].get<std::uint64_t>() == 18446744073709551615ULL);
    CHECK(j["d"].get<double>() == 0.1);  // shortest round-trip representation
    CHECK(j["nan"].is_null());
    CHECK(j["b"] == true);
    CHECK(j["n"].is_null());
    REQUIRE(j["a"].size() == 3);
    CHECK(j["a"][1].is_object());
}

TEST_CASE("value_fixed rounds and trims like the altimetry service") {
    auto fixed = [](double v, int d) {
        JsonWriter w;
        w.value_fixed(v, d);
        return w.str();
    };
    CHECK(fixed(164.3449, 2) == "164.34");
    CHECK(fixed(164.345001, 2) == "164.35");
    CHECK(fixed(164.3, 2) == "164.3");
    CHECK(fixed(-99999.0, 2) == "-99999");
    CHECK(fixed(-0.001, 2) == "0");
    CHECK(fixed(12.0, 0) == "12");
}

TEST_CASE("doubles round-trip exactly") {
    const double values[] = {1e-300, 123456.789, -7.123456789012345, 1e21, 2.2250738585072014e-308};
    for (double v : values) {
        JsonWriter w;
        w.value(v);
        CHECK(std::stod(w.str()) == v);
    }
}

// value_fixed takes a shortcut for common magnitudes; it must print exactly what fmt's exact
// decimal conversion prints (trimmed), including values sitting on or next to a rounding tie.
TEST_CASE("value_fixed equals fmt's exact fixed formatting on random and near-tie values") {
    auto reference = [](double v, int d) {
        std::string s = fmt::format("{:.{}f}", v, d);
        if (d > 0) {
            while (!s.empty() && s.back() == '0') s.pop_back();
            if (!s.empty() && s.back() == '.') s.pop_back();
        }
        if (s == "-0") s = "0";
        return s;
    };
    auto fixed = [](double v, int d) {
        JsonWriter w;
        w.value_fixed(v, d);
        return w.str();
    };
    std::uint64_t state = 0x9E3779B97F4A7C15ULL;
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    int checked = 0;
    for (int i = 0; i < 200000; ++i) {
        const int d = static_cast<int>(next() % 11);  // 0..10 (10 exercises the fallback)
        const double magnitude = std::pow(10.0, static_cast<double>(next() % 12) - 3.0);
        double v = (static_cast<double>(next() % 2000001) / 1000000.0 - 1.0) * magnitude;
        if (i % 4 == 0) {  // a value on or a hair next to a tie at `d` decimals
            const double p = std::pow(10.0, d);
            v = (std::floor(v * p) + 0.5) / p;
            if (i % 8 == 0) v = std::nextafter(v, (i % 16 == 0) ? 1e300 : -1e300);
        }
        INFO("v=" << fmt::format("{:.17g}", v) << " d=" << d);
        REQUIRE(fixed(v, d) == reference(v, d));
        ++checked;
    }
    CHECK(checked == 200000);
    CHECK(fixed(2.5, 0) == "2");     // exact tie: round half to even, like fmt
    CHECK(fixed(0.125, 2) == "0.12");
    CHECK(fixed(-0.0, 3) == "0");
    CHECK(fixed(1e12, 2) == "1000000000000");  // beyond the shortcut
}
