#include "payments/auth/jwt.hpp"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "payments/core/ids.hpp"
#include "payments/crypto/base64.hpp"
#include "payments/json/json.hpp"

namespace payments::auth {
namespace {

constexpr std::size_t kMaxTokenBytes = 8 * 1024;
constexpr std::size_t kMaxJwksBytes = 1024 * 1024;
constexpr std::size_t kMaxSubjectInKeyId = 64;
constexpr std::size_t kMinHs256SecretBytes = 32;  // RFC 7518 section 3.2: at least the size of the hash
constexpr int kMinRsaBits = 2048;
constexpr std::size_t kP256CoordinateBytes = 32;
// Headers may carry certificate chains (x5c) and claims nested roles: enough depth for both, no more.
constexpr json::Limits kHeaderLimits{kMaxTokenBytes, 4};
// Claims come back re-serialized by jansson, which may escape more than the token did: room for that.
constexpr json::Limits kClaimsLimits{8 * kMaxTokenBytes, 16};
constexpr json::Limits kJwksLimits{kMaxJwksBytes, 8};

// ---- Owning handles for the C libraries' objects.

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};
void free_c_string(char* text) noexcept { std::free(text); }  // NOLINT(cppcoreguidelines-no-malloc)

using JwtPtr = std::unique_ptr<jwt_t, Deleter<jwt_free>>;
using CStringPtr = std::unique_ptr<char, Deleter<free_c_string>>;  // strings libjwt allocates for the caller
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using ParamBuilderPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD_free>>;
using ParamsPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free>>;

const unsigned char* bytes_of(std::string_view text) noexcept {
  return reinterpret_cast<const unsigned char*>(text.data());
}

// ---- Public keys from the JWKS file, kept as the PEM that jwt_decode takes (libjwt 1.10 reads no JWK).

enum class KeyType { rsa, ec_p256 };

std::string key_type_name(KeyType type) { return type == KeyType::rsa ? "RSA" : "EC P-256"; }

struct PublicKey {
  std::string kid;  // empty when the JWK has none
  KeyType type;
  std::string pem;
};

Error jwks_error(std::string message) { return Error::validation("AUTH_JWKS_FILE", std::move(message)); }

// A JWK member holding base64url bytes ("n", "x", ...).
Result<std::string> jwk_bytes(const json::ObjectReader& jwk, std::string_view name) {
  auto text = jwk.string(name);
  if (!text) return jwks_error(std::string(name) + " " + text.error().message);
  auto bytes = crypto::base64url_decode(text.value());
  if (!bytes || bytes->empty()) return jwks_error(std::string(name) + " is not base64url");
  return std::move(*bytes);
}

Result<PkeyPtr> public_key_from(const char* type_name, OSSL_PARAM_BLD* builder) {
  const ParamsPtr params(OSSL_PARAM_BLD_to_param(builder));
  const PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type_name, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return jwks_error(std::string("not a valid ") + type_name + " public key");
  }
  return PkeyPtr(key);
}

Result<PkeyPtr> rsa_key(const json::ObjectReader& jwk) {
  auto n = jwk_bytes(jwk, "n");
  if (!n) return std::move(n).error();
  auto e = jwk_bytes(jwk, "e");
  if (!e) return std::move(e).error();
  const BignumPtr modulus(BN_bin2bn(bytes_of(n.value()), static_cast<int>(n->size()), nullptr));
  const BignumPtr exponent(BN_bin2bn(bytes_of(e.value()), static_cast<int>(e->size()), nullptr));
  const ParamBuilderPtr builder(OSSL_PARAM_BLD_new());
  if (!modulus || !exponent || !builder ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get()) != 1) {
    return jwks_error("out of memory building an RSA key");
  }
  auto key = public_key_from("RSA", builder.get());
  if (key && EVP_PKEY_get_bits(key->get()) < kMinRsaBits) {
    return jwks_error("RSA key shorter than " + std::to_string(kMinRsaBits) + " bits");
  }
  return key;
}

Result<PkeyPtr> ec_p256_key(const json::ObjectReader& jwk) {
  auto x = jwk_bytes(jwk, "x");
  if (!x) return std::move(x).error();
  auto y = jwk_bytes(jwk, "y");
  if (!y) return std::move(y).error();
  // RFC 7518 section 6.2.1.2: each coordinate is the full field size.
  if (x->size() != kP256CoordinateBytes || y->size() != kP256CoordinateBytes) {
    return jwks_error("x and y of a P-256 key must be 32 bytes each");
  }
  // SEC 1 uncompressed point; OpenSSL refuses one that is not on the curve.
  const std::string point = '\x04' + x.value() + y.value();
  const ParamBuilderPtr builder(OSSL_PARAM_BLD_new());
  if (!builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    return jwks_error("out of memory building an EC key");
  }
  return public_key_from("EC", builder.get());
}

Result<std::string> to_pem(EVP_PKEY* key) {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) return jwks_error("cannot write the key as PEM");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// Which of this service's key types a JWK is, or nullopt for one it does not verify with: another key type
// or curve, an encryption key, a key meant for another algorithm. Identity providers list such keys side by side.
Result<std::optional<KeyType>> key_type(const json::ObjectReader& jwk) {
  const auto kty = jwk.string("kty");
  const auto use = jwk.optional_string("use");
  const auto alg = jwk.optional_string("alg");
  const auto crv = jwk.optional_string("crv");
  if (!kty || !use || !alg || !crv) return jwks_error("kty, use, alg and crv must be strings");
  if (use.value().value_or("sig") != "sig") return std::optional<KeyType>{};
  if (kty.value() == "RSA" && alg.value().value_or("RS256") == "RS256") return std::optional{KeyType::rsa};
  if (kty.value() == "EC" && crv.value() == "P-256" && alg.value().value_or("ES256") == "ES256") {
    return std::optional{KeyType::ec_p256};
  }
  return std::optional<KeyType>{};
}

Result<std::optional<PublicKey>> public_key(const rapidjson::Value& value) {
  if (!value.IsObject()) return jwks_error("is not an object");
  const json::ObjectReader jwk(value);
  const auto type = key_type(jwk);
  if (!type) return type.error();
  if (!type.value()) return std::optional<PublicKey>{};
  const auto kid = jwk.optional_string("kid");
  if (!kid) return jwks_error("kid must be a string");
  const auto key = *type.value() == KeyType::rsa ? rsa_key(jwk) : ec_p256_key(jwk);
  if (!key) return key.error();
  auto pem = to_pem(key->get());
  if (!pem) return std::move(pem).error();
  return std::optional{PublicKey{kid.value().value_or(""), *type.value(), std::move(pem).value()}};
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return jwks_error("cannot open '" + path + "'");
  std::string text(kMaxJwksBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return jwks_error("cannot read '" + path + "'");
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxJwksBytes) return jwks_error("'" + path + "' is larger than 1 MiB");
  return text;
}

bool has_key(const std::vector<PublicKey>& keys, KeyType type, std::string_view kid) {
  return std::any_of(keys.begin(), keys.end(), [&](const PublicKey& k) { return k.type == type && k.kid == kid; });
}

Result<std::vector<PublicKey>> load_jwks(const std::string& path) {
  auto text = read_file(path);
  if (!text) return std::move(text).error();
  auto document = json::parse(text.value(), kJwksLimits);
  if (!document) return jwks_error("'" + path + "': " + document.error().message);
  const auto* list = json::ObjectReader(document.value()).member("keys");
  if (list == nullptr || !list->IsArray()) return jwks_error("'" + path + "' has no \"keys\" array");

  std::vector<PublicKey> keys;
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    auto key = public_key((*list)[i]);
    const std::string where = "'" + path + "' key " + std::to_string(i) + ": ";
    if (!key) return jwks_error(where + key.error().message);
    if (!key.value()) continue;
    // A kid picks exactly one key; two keys answering to it would make the choice arbitrary.
    if (has_key(keys, key.value()->type, key.value()->kid)) {
      return jwks_error(where + "another key of its type has the same kid");
    }
    keys.push_back(std::move(*key.value()));
  }
  if (keys.empty()) return jwks_error("'" + path + "' has no RSA or EC P-256 signing key");
  return keys;
}

// ---- Token checks. Every refusal is one short reason for the service's log, never the token.

Error refused(std::string reason) { return Error{ErrorCode::unauthenticated, std::move(reason), {}}; }

struct TokenHeader {
  std::string alg;
  std::optional<std::string> kid;
};

// Read before any key is chosen, because the header says which key and algorithm the token claims.
Result<TokenHeader> read_header(std::string_view token) {
  const auto text = crypto::base64url_decode(token.substr(0, token.find('.')));
  if (!text) return refused("header is not base64url");
  const auto document = json::parse(*text, kHeaderLimits);
  if (!document) return refused("header is not a JSON object");
  const json::ObjectReader header(document.value());
  auto alg = header.string("alg");
  auto kid = header.optional_string("kid");
  if (!alg || !kid) return refused("header alg or kid is missing or not a string");
  // RFC 7515 section 4.1.11: extensions marked critical must be understood, and this service knows none.
  if (header.has("crit")) return refused("header has critical extensions");
  return TokenHeader{std::move(alg).value(), std::move(kid).value()};
}

struct VerificationKey {
  jwt_alg_t alg;
  std::string_view bytes;  // the HS256 secret or a PEM public key
};

// Reads "exp"/"nbf": NumericDate is a number of seconds, which may have a fraction (RFC 7519 section 2).
Result<std::optional<double>> numeric_date(const json::ObjectReader& claims, std::string_view name) {
  const auto* value = claims.member(name);
  if (value == nullptr) return std::optional<double>{};
  if (!value->IsNumber()) return refused(std::string(name) + " is not a number");
  return std::optional<double>{value->GetDouble()};
}

Status check_times(const json::ObjectReader& claims, std::chrono::system_clock::time_point now,
                   std::chrono::seconds leeway) {
  const auto now_seconds =
      static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
  const auto margin = static_cast<double>(leeway.count());
  const auto exp = numeric_date(claims, "exp");
  if (!exp) return exp.error();
  if (!exp.value()) return refused("token has no exp");
  if (now_seconds - margin >= *exp.value()) return refused("token expired");
  const auto nbf = numeric_date(claims, "nbf");
  if (!nbf) return nbf.error();
  if (nbf.value() && now_seconds + margin < *nbf.value()) return refused("token not valid yet (nbf)");
  return Ok{};
}

// libjwt checks the signature with the key chosen for the header, which it parses again itself.
Result<rapidjson::Document> verified_claims(std::string_view token, const VerificationKey& key) {
  const std::string text(token);  // jwt_decode wants a NUL-terminated string
  jwt_t* decoded = nullptr;
  const int rc = jwt_decode(&decoded, text.c_str(), bytes_of(key.bytes), static_cast<int>(key.bytes.size()));
  const JwtPtr jwt(decoded);
  if (rc != 0 || !jwt) return refused("bad signature or malformed token");
  // RapidJSON and libjwt's jansson can read one header differently (of two "alg" members the first wins in one,
  // the last in the other): the algorithm that verified must be the one the key was chosen for.
  if (jwt_get_alg(jwt.get()) != key.alg) return refused("alg differs from the one the key was chosen for");
  const CStringPtr text_of_claims(jwt_get_grants_json(jwt.get(), nullptr));
  if (!text_of_claims) return refused("token has no claims");
  auto claims = json::parse(text_of_claims.get(), kClaimsLimits);
  if (!claims) return refused("claims are not a JSON object");
  return claims;
}

std::optional<std::string_view> string_claim(const json::ObjectReader& claims, std::string_view name) {
  const auto* value = claims.member(name);
  if (value == nullptr || !value->IsString()) return std::nullopt;
  return std::string_view(value->GetString(), value->GetStringLength());
}

// RFC 7519 section 4.1.3: "aud" is one string or an array of them.
bool names_audience(const json::ObjectReader& claims, std::string_view audience) {
  if (const auto single = string_claim(claims, "aud")) return *single == audience;
  const auto* list = claims.member("aud");
  if (list == nullptr || !list->IsArray()) return false;
  return std::any_of(list->Begin(), list->End(), [&](const rapidjson::Value& v) {
    return v.IsString() && std::string_view(v.GetString(), v.GetStringLength()) == audience;
  });
}

Result<Scopes> scopes_of(const json::ObjectReader& claims) {
  if (claims.member("scope") == nullptr) return Scopes{};
  const auto text = string_claim(claims, "scope");
  if (!text) return refused("scope is not a string");
  // Other services' scopes travel in the same token; only this service's own count.
  return Scopes::parse(*text, /*ignore_unknown=*/true);
}

std::string key_id_of(const json::ObjectReader& claims) {
  const auto subject = string_claim(claims, "sub");
  if (!subject || subject->empty()) return "jwt:-";
  return "jwt:" + std::string(subject->substr(0, kMaxSubjectInKeyId));
}

}  // namespace

bool looks_like_jwt(std::string_view token) noexcept {
  const auto allowed = [](char c) { return c == '.' || crypto::is_base64url_char(c); };
  if (std::count(token.begin(), token.end(), '.') != 2 || !std::all_of(token.begin(), token.end(), allowed)) {
    return false;
  }
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  // The signature may be empty: an unsigned token is still a JWT, and is refused as one.
  return first > 0 && second > first + 1;
}

struct JwtVerifier::Impl {
  JwtSettings settings;
  std::vector<PublicKey> keys;  // never changed after create(), so verify() needs no lock

  Result<VerificationKey> key_for(const TokenHeader& header) const;
  Result<const PublicKey*> public_key_for(KeyType type, const std::optional<std::string>& kid) const;
  Result<Principal> principal(const json::ObjectReader& claims, std::chrono::system_clock::time_point now) const;
};

// The algorithm decides the kind of key and the key decides the algorithm: an HS256 token is never checked
// against a public key (whose PEM anyone can use as an HMAC secret), nor an RS256/ES256 token against the secret.
Result<VerificationKey> JwtVerifier::Impl::key_for(const TokenHeader& header) const {
  if (header.alg == "HS256") {
    if (settings.hs256_secret.empty()) return refused("HS256 tokens are not accepted (no AUTH_JWT_HS256_SECRET)");
    return VerificationKey{JWT_ALG_HS256, settings.hs256_secret.reveal()};
  }
  const bool rsa = header.alg == "RS256";
  if (!rsa && header.alg != "ES256") return refused("alg is not one of RS256, ES256, HS256");
  const auto key = public_key_for(rsa ? KeyType::rsa : KeyType::ec_p256, header.kid);
  if (!key) return key.error();
  return VerificationKey{rsa ? JWT_ALG_RS256 : JWT_ALG_ES256, key.value()->pem};
}

Result<const PublicKey*> JwtVerifier::Impl::public_key_for(KeyType type,
                                                           const std::optional<std::string>& kid) const {
  const auto of_type = [type](const PublicKey& k) { return k.type == type; };
  if (kid) {
    const auto named = [&](const PublicKey& k) { return of_type(k) && k.kid == *kid; };
    const auto it = std::find_if(keys.begin(), keys.end(), named);
    if (it == keys.end()) return refused("no " + key_type_name(type) + " key has the token's kid");
    return &*it;
  }
  // Without a kid the choice is only unambiguous when there is one candidate.
  if (std::count_if(keys.begin(), keys.end(), of_type) != 1) {
    return refused("token has no kid and there is not exactly one " + key_type_name(type) + " key");
  }
  return &*std::find_if(keys.begin(), keys.end(), of_type);
}

Result<Principal> JwtVerifier::Impl::principal(const json::ObjectReader& claims,
                                               std::chrono::system_clock::time_point now) const {
  if (auto times = check_times(claims, now, settings.leeway); !times) return std::move(times).error();
  if (string_claim(claims, "iss") != settings.issuer) return refused("wrong issuer");
  if (!names_audience(claims, settings.audience)) return refused("wrong audience");
  const auto merchant = string_claim(claims, settings.merchant_claim);
  if (!merchant || !is_valid_external_id(*merchant)) return refused("no valid merchant claim");
  auto scopes = scopes_of(claims);
  if (!scopes) return std::move(scopes).error();
  return Principal{std::string(*merchant), key_id_of(claims), scopes.value(), std::nullopt};
}

JwtVerifier::JwtVerifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JwtVerifier::~JwtVerifier() = default;

Result<std::unique_ptr<JwtVerifier>> JwtVerifier::create(const JwtSettings& settings) {
  if (settings.issuer.empty()) return Error::validation("AUTH_JWT_ISSUER", "must be set to accept JWTs");
  if (settings.audience.empty()) return Error::validation("AUTH_JWT_AUDIENCE", "must be set to accept JWTs");
  if (settings.merchant_claim.empty()) return Error::validation("AUTH_JWT_MERCHANT_CLAIM", "must not be empty");
  if (!settings.hs256_secret.empty() && settings.hs256_secret.reveal().size() < kMinHs256SecretBytes) {
    return Error::validation("AUTH_JWT_HS256_SECRET", "must be at least 32 bytes");
  }
  if (settings.jwks_file.empty() && settings.hs256_secret.empty()) {
    return Error::validation("AUTH_JWKS_FILE",
                             "no key to verify JWTs with: set AUTH_JWKS_FILE or AUTH_JWT_HS256_SECRET");
  }
  auto impl = std::make_unique<Impl>(Impl{settings, {}});
  if (!settings.jwks_file.empty()) {
    auto keys = load_jwks(settings.jwks_file);
    if (!keys) return std::move(keys).error();
    impl->keys = std::move(keys).value();
  }
  return std::unique_ptr<JwtVerifier>(new JwtVerifier(std::move(impl)));
}

Result<Principal> JwtVerifier::verify(std::string_view token, std::chrono::system_clock::time_point now) const {
  if (token.size() > kMaxTokenBytes) return refused("token longer than 8 KiB");
  if (!looks_like_jwt(token)) return refused("not a JWT");
  const auto header = read_header(token);
  if (!header) return header.error();
  const auto key = impl_->key_for(header.value());
  if (!key) return key.error();

  const auto claims = verified_claims(token, key.value());
  if (!claims) return claims.error();
  return impl_->principal(json::ObjectReader(claims.value()), now);
}

}  // namespace payments::auth
