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
