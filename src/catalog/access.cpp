// Permissions (producer side), keys and accesses (consumer side), and the decision whether a
// request may consume a restricted layer (reference §6.3).

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "catalog/publishing_impl.hpp"

namespace geoplex::catalog {

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string hash_lookup(std::string_view secret) { return sha256_hex(fmt::format("hash:{}", secret)); }
std::string header_lookup(std::string_view name, std::string_view value) {
    return sha256_hex(fmt::format("header:{}:{}", lower(std::string(name)), value));
}
std::string basic_lookup(std::string_view login) { return sha256_hex(fmt::format("basic:{}", login)); }

std::vector<std::string> string_list(const json& body, const char* key) {
    std::vector<std::string> out;
    const auto it = body.find(key);
    if (it == body.end() || it->is_null()) return out;
    if (!it->is_array()) throw InvalidArgument(fmt::format("{}: must be an array of strings", key));
    for (const auto& v : *it) {
        if (!v.is_string()) throw InvalidArgument(fmt::format("{}: must be an array of strings", key));
        out.push_back(v.get<std::string>());
    }
    return out;
}

bool expired(const Permission& p, const std::string& now) { return !p.end_date.empty() && p.end_date <= now; }

bool beneficiary(const Principal& by, const Permission& p) {
    if (p.type == PermissionType::account)
        return std::find(p.beneficiaries.begin(), p.beneficiaries.end(), by.user.id) != p.beneficiaries.end();
    return std::any_of(by.user.communities_member.begin(), by.user.communities_member.end(), [&](const Membership& m) {
        return std::find(p.beneficiaries.begin(), p.beneficiaries.end(), m.community) != p.beneficiaries.end();
    });
}

/// "2026-12-31" → "2026-12-31T23:59:59Z"; full ISO date-times must end in 'Z' (UTC, as stored).
std::string normalize_end_date(const std::string& d) {
    if (d.empty()) return d;
    const auto digits = [&](std::size_t from, std::size_t n) {
        return d.size() >= from + n && std::all_of(d.begin() + static_cast<std::ptrdiff_t>(from),
                                                   d.begin() + static_cast<std::ptrdiff_t>(from + n),
                                                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
    };
    const bool date = d.size() >= 10 && digits(0, 4) && d[4] == '-' && digits(5, 2) && d[7] == '-' && digits(8, 2);
    if (date && d.size() == 10) return d + "T23:59:59Z";
    if (date && d.size() == 20 && d[10] == 'T' && digits(11, 2) && d[13] == ':' && digits(14, 2) && d[16] == ':' && digits(17, 2) &&
        d[19] == 'Z')
        return d;
    throw InvalidArgument(fmt::format("end_date: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (got '{}')", d));
}

}  // namespace

std::string_view to_string(AccessVerdict v) noexcept {
    switch (v) {
        case AccessVerdict::granted: return "granted";
        case AccessVerdict::no_key: return "a key is required for this layer";
        case AccessVerdict::unknown_key: return "the key is not valid";
        case AccessVerdict::no_access: return "the key has no access to this layer";
        case AccessVerdict::expired: return "the permission behind this key's access has expired";
        case AccessVerdict::unavailable: return "this layer is currently not available";
        case AccessVerdict::rule_denied: return "the key's restrictions refuse this request";
    }
    return "unknown";
}

// ---- permissions -----------------------------------------------------------------------------------

std::vector<Permission> Catalog::create_permissions(const Principal& by, const Id& datastore, const json& body) {
    const Datastore ds = m_impl->datastore_for(by, datastore, CommunityRight::broadcast);
    if (!body.is_object()) throw InvalidArgument("the request body must be a JSON object");
    Permission base;
    base.datastore = ds.id;
    base.licence = body.value("licence", std::string());
    base.end_date = normalize_end_date(body.value("end_date", std::string()));
    base.type = parse<PermissionType>(body.value("type", std::string("ACCOUNT")));
    base.only_oauth = body.value("only_oauth", false);
    if (base.only_oauth) throw InvalidArgument("only_oauth: OAUTH2 keys are not supported by this server");
    base.offerings = string_list(body, "offerings");
    if (base.offerings.empty()) throw InvalidArgument("offerings: at least one offering id");
    for (const auto& id : base.offerings) (void)m_impl->entity_in<Offering>(ds.id, id, "offering");
    const auto users = string_list(body, "users");
    if (users.empty()) throw InvalidArgument("users: at least one user (ACCOUNT) or community (COMMUNITY) id");
    for (const auto& id : users) {
        const bool exists = base.type == PermissionType::account ? m_impl->store->get<User>(id).has_value()
                                                                 : m_impl->store->get<Community>(id).has_value();
        if (!exists) throw CatalogError(404, fmt::format("users: {} '{}' not found", base.type == PermissionType::account ? "user" : "community", id));
    }
    std::vector<Permission> out;
    m_impl->store->transaction([&](Store& s) {
        for (const auto& id : users) {
            Permission p = base;
            p.beneficiaries = {id};
            out.push_back(s.create(std::move(p)));
        }
    });
    for (const auto& p : out) m_impl->audit(by, "create", "permission", p.id, ds.id);
    return out;
}

void Catalog::delete_permission(const Principal& by, const Id& datastore, const Id& permission) {
    const Datastore ds = m_impl->datastore_for(by, datastore, CommunityRight::broadcast);
    const auto p = m_impl->entity_in<Permission>(ds.id, permission, "permission");
    m_impl->store->transaction([&](Store& s) {
        for (const auto& a : s.list<Access>({{"permission", p.id}}, {0, 1'000'000}).items) s.remove<Access>(a.id);
        s.remove<Permission>(p.id);
    });
    m_impl->audit(by, "delete", "permission", p.id, ds.id);
}

std::vector<Permission> Catalog::permissions_of(const Principal& by, bool personal, bool community) {
    std::vector<Permission> out;
    for (const auto& p : m_impl->store->list<Permission>({}, {0, 1'000'000}).items) {
        if (!beneficiary(by, p)) continue;
        if ((p.type == PermissionType::account && personal) || (p.type == PermissionType::community && community)) out.push_back(p);
    }
    return out;
}

// ---- keys ------------------------------------------------------------------------------------------

json Catalog::create_key(const Principal& by, const json& body) {
    if (!body.is_object()) throw InvalidArgument("the request body must be a JSON object");
    if (by.user.id == "admin") throw CatalogError(403, "the bootstrap administrator has no user account to own keys");
    ApiKey k;
    k.user = by.user.id;
    k.name = body.value("name", std::string());
    if (k.name.empty()) throw InvalidArgument("name: required");
    k.type = parse<KeyType>(body.value("type", std::string("HASH")));
    KeyRules rules{string_list(body, "whitelist"), string_list(body, "blacklist"), body.value("referer", std::string()),
                   body.value("user_agent", std::string())};
    if (auto problems = rules.validate(); !problems.empty()) throw InvalidArgument(std::move(problems));
    k.whitelist = rules.whitelist;
    k.blacklist = rules.blacklist;
    k.referer = rules.referer;
    k.user_agent = rules.user_agent;
    const json infos = body.value("type_infos", json::object());
    if (!infos.is_object()) throw InvalidArgument("type_infos: must be an object");
    json shown = json::object();  // what the response shows once (secrets included)
    json kept = json::object();   // what is stored (no secret)
    switch (k.type) {
        case KeyType::hash: {
            std::string secret = infos.value("hash", std::string());
            if (secret.empty()) secret = random_hex(24);
            if (secret.size() < 16) throw InvalidArgument("type_infos.hash: at least 16 characters");
            k.lookup = hash_lookup(secret);
            k.secret_hash = hash_secret(secret, SecretScheme::salted_sha256);
            shown["hash"] = secret;
            break;
        }
        case KeyType::header: {
            const json headers = infos.value("headers", json::object());
            if (!headers.is_object() || headers.size() != 1 || !headers.begin().value().is_string())
                throw InvalidArgument("type_infos.headers: exactly one {\"name\": \"value\"} pair");
            const std::string name = lower(headers.begin().key());
            const std::string value = headers.begin().value().get<std::string>();
            if (value.size() < 16) throw InvalidArgument("type_infos.headers: the value needs at least 16 characters");
            k.lookup = header_lookup(name, value);
            k.secret_hash = hash_secret(value, SecretScheme::salted_sha256);
            shown["headers"] = headers;
            kept["headers"] = json{{name, nullptr}};
            break;
        }
        case KeyType::basic: {
            const std::string login = infos.value("login", std::string());
            const std::string password = infos.value("password", std::string());
            if (login.empty() || password.size() < 8) throw InvalidArgument("type_infos: login and a password of at least 8 characters");
            k.lookup = basic_lookup(login);
            k.secret_hash = hash_secret(password, SecretScheme::pbkdf2_sha256);
            shown["login"] = login;
            kept["login"] = login;
            break;
        }
        case KeyType::oauth2: throw InvalidArgument("type: OAUTH2 keys are not supported by this server");
    }
    if (m_impl->store->find_key_by_lookup(k.lookup)) throw CatalogError(409, "a key with these credentials already exists");
    k.type_infos = kept.dump();
    k = m_impl->store->create(std::move(k));
    m_impl->audit(by, "create", "key", k.id, "");
    json j = k;
    j["type_infos"] = shown;
    return j;
}

ApiKey Catalog::key_of(const Principal& by, const Id& key) {
    auto k = m_impl->store->get<ApiKey>(key);
    if (!k || k->user != by.user.id) throw CatalogError(404, fmt::format("key '{}' not found", key));
    return *k;
}

void Catalog::delete_key(const Principal& by, const Id& key) {
    const auto k = key_of(by, key);
    m_impl->store->transaction([&](Store& s) {
        for (const auto& a : s.list<Access>({{"key", k.id}}, {0, 1'000'000}).items) s.remove<Access>(a.id);
        s.remove<ApiKey>(k.id);
    });
    m_impl->audit(by, "delete", "key", k.id, "");
}

std::vector<Access> Catalog::create_accesses(const Principal& by, const Id& key, const json& body) {
    const auto k = key_of(by, key);
    if (!body.is_object()) throw InvalidArgument("the request body must be a JSON object");
    const std::string permission_id = body.value("permission", std::string());
    const auto offerings = string_list(body, "offerings");
    if (offerings.empty()) throw InvalidArgument("offerings: at least one offering id");
    std::optional<Permission> permission;
    if (!permission_id.empty()) {
        permission = m_impl->store->get<Permission>(permission_id);
        if (!permission || !beneficiary(by, *permission)) throw CatalogError(404, fmt::format("permission '{}' not found", permission_id));
        if (expired(*permission, now_iso8601())) throw CatalogError(403, fmt::format("permission '{}' has expired", permission_id));
    }
    std::vector<Access> out;
    for (const auto& oid : offerings) {
        const auto o = m_impl->store->get<Offering>(oid);
        if (!o) throw CatalogError(404, fmt::format("offering '{}' not found", oid));
        if (permission) {
            if (std::find(permission->offerings.begin(), permission->offerings.end(), oid) == permission->offerings.end())
                throw CatalogError(403, fmt::format("permission '{}' does not grant offering '{}'", permission->id, oid));
        } else if (!o->open) {
            throw CatalogError(403, fmt::format("offering '{}' is restricted: an access needs a permission", oid));
        }
    }
    m_impl->store->transaction([&](Store& s) {
        for (const auto& oid : offerings) {
            Access a;
            a.key = k.id;
            a.permission = permission ? permission->id : std::string();
            a.offering = oid;
            out.push_back(s.create(std::move(a)));
        }
    });
    for (const auto& a : out) m_impl->audit(by, "create", "access", a.id, "");
    return out;
}

json Catalog::accesses_of(const Principal& by, const Id& key) {
    const auto k = key_of(by, key);
    json out = json::array();
    for (const auto& a : m_impl->store->list<Access>({{"key", k.id}}, {0, 1'000'000}).items) {
        json item{{"_id", a.id}};
        if (auto p = m_impl->store->get<Permission>(a.permission)) item["permission"] = *p;
        else item["permission"] = nullptr;
        if (auto o = m_impl->store->get<Offering>(a.offering)) item["offering"] = *o;
        else item["offering"] = nullptr;
        out.push_back(std::move(item));
    }
    return out;
}

void Catalog::delete_access(const Principal& by, const Id& key, const Id& access) {
    const auto k = key_of(by, key);
    const auto a = m_impl->store->get<Access>(access);
    if (!a || a->key != k.id) throw CatalogError(404, fmt::format("access '{}' not found", access));
    m_impl->store->remove<Access>(a->id);
    m_impl->audit(by, "delete", "access", a->id, "");
}

// ---- consumption -----------------------------------------------------------------------------------

std::optional<ApiKey> Catalog::identify_key(const PresentedKey& presented) {
    Store& store = *m_impl->store;
    if (!presented.hash.empty()) {
        if (auto k = store.find_key_by_lookup(hash_lookup(presented.hash));
            k && k->type == KeyType::hash && verify_secret(presented.hash, k->secret_hash))
            return k;
    }
    if (!presented.basic_login.empty()) {
        if (auto k = store.find_key_by_lookup(basic_lookup(presented.basic_login)); k && k->type == KeyType::basic) {
            const std::string memo = sha256_hex(k->id + '\n' + presented.basic_password);
            {
                std::lock_guard lock(m_impl->basic_cache_mutex);
                const auto it = m_impl->basic_cache.find(memo);
                if (it != m_impl->basic_cache.end() && it->second == k->secret_hash) return k;
            }
            if (verify_secret(presented.basic_password, k->secret_hash)) {
                std::lock_guard lock(m_impl->basic_cache_mutex);
                if (m_impl->basic_cache.size() > 10'000) m_impl->basic_cache.clear();
                m_impl->basic_cache[memo] = k->secret_hash;
                return k;
            }
        }
    }
    for (const auto& [name, value] : presented.headers) {
        if (value.size() < 16) continue;  // HEADER key values are at least 16 characters
        if (auto k = store.find_key_by_lookup(header_lookup(name, value));
            k && k->type == KeyType::header && verify_secret(value, k->secret_hash))
            return k;
    }
    return std::nullopt;
}

AccessVerdict Catalog::authorize(const PresentedKey& presented, const PublishedLayer& layer) {
    if (presented.empty()) return AccessVerdict::no_key;
    const auto key = identify_key(presented);
    if (!key) return AccessVerdict::unknown_key;
    const KeyRules rules{key->whitelist, key->blacklist, key->referer, key->user_agent};
    if (check_rules(rules, presented.address, presented.referer, presented.user_agent) != RuleVerdict::allowed)
        return AccessVerdict::rule_denied;
    if (!layer.offering.available) return AccessVerdict::unavailable;
    const std::string now = now_iso8601();
    bool any = false;
    for (const auto& a : m_impl->store->list<Access>({{"key", key->id}}, {0, 100'000}).items) {
        if (a.offering != layer.offering.id) continue;
        any = true;
        if (a.permission.empty()) {
            if (layer.offering.open) return AccessVerdict::granted;
            continue;
        }
        const auto p = m_impl->store->get<Permission>(a.permission);
        if (p && !expired(*p, now) &&
            std::find(p->offerings.begin(), p->offerings.end(), layer.offering.id) != p->offerings.end())
            return AccessVerdict::granted;
    }
    return any ? AccessVerdict::expired : AccessVerdict::no_access;
}

}  // namespace geoplex::catalog
