// JwtVerifier against tokens signed here, with libjwt, by RSA and EC P-256 keys OpenSSL generates for the run;
// the JWKS file holds their public halves as JWKs, written to a fresh temporary directory.
#include <doctest/doctest.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "payments/auth/jwt.hpp"

using namespace payments;
using namespace payments::auth;

namespace {

constexpr std::int64_t kNow = 1'700'000'000;
const std::chrono::system_clock::time_point kNowTime{std::chrono::seconds(kNow)};
const std::string kIssuer = "https://auth.example.test/";
const std::string kAudience = "payments-api";
const std::string kHsSecret = "hs256-shared-secret-for-tests-0123456789";
const std::string kRsaKid = "rsa-1";
const std::string kEcKid = "ec-1";

// ---- OpenSSL and libjwt handles.

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};
void free_c_string(char* text) noexcept { std::free(text); }  // NOLINT(cppcoreguidelines-no-malloc)
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using JwtPtr = std::unique_ptr<jwt_t, Deleter<jwt_free>>;
using CStringPtr = std::unique_ptr<char, Deleter<free_c_string>>;

const unsigned char* bytes_of(std::string_view text) { return reinterpret_cast<const unsigned char*>(text.data()); }
unsigned char* bytes_of(std::string& text) { return reinterpret_cast<unsigned char*>(text.data()); }
int size_of(std::string_view text) { return static_cast<int>(text.size()); }

std::string base64url(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int size = EVP_EncodeBlock(bytes_of(out), bytes_of(bytes), size_of(bytes));
  out.resize(static_cast<std::size_t>(size));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::string base64url_decode(std::string text) {
  for (char& c : text) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (text.size() % 4 != 0) text += '=';
  std::string out(text.size(), '\0');
  const int size = EVP_DecodeBlock(bytes_of(out), bytes_of(text), size_of(text));
  REQUIRE(size >= 0);
  out.resize(static_cast<std::size_t>(size) - static_cast<std::size_t>(std::count(text.begin(), text.end(), '=')));
  return out;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return {data, static_cast<std::size_t>(size)};
}

struct KeyPair {
  PkeyPtr key;
  std::string private_pem;
  std::string public_pem;
};

KeyPair key_pair(EVP_PKEY* generated) {
  REQUIRE(generated != nullptr);
  KeyPair pair{PkeyPtr(generated), {}, {}};
  const BioPtr priv(BIO_new(BIO_s_mem()));
  const BioPtr pub(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_PrivateKey(priv.get(), generated, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  REQUIRE(PEM_write_bio_PUBKEY(pub.get(), generated) == 1);
  pair.private_pem = bio_text(priv.get());
  pair.public_pem = bio_text(pub.get());
  return pair;
}

KeyPair rsa_pair() { return key_pair(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048})); }
KeyPair ec_pair() { return key_pair(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")); }

// A public-key parameter as base64url, left-padded with zeros to `width` bytes when width > 0.
std::string param_base64url(const EVP_PKEY* key, const char* name, int width = 0) {
  BIGNUM* raw = nullptr;
  REQUIRE(EVP_PKEY_get_bn_param(key, name, &raw) == 1);
  const BignumPtr bn(raw);
  std::string bytes(static_cast<std::size_t>(width > 0 ? width : BN_num_bytes(bn.get())), '\0');
  REQUIRE(BN_bn2binpad(bn.get(), bytes_of(bytes), size_of(bytes)) > 0);
  return base64url(bytes);
}

std::string rsa_jwk(const KeyPair& pair, const std::string& kid) {
  return R"({"kty":"RSA","use":"sig","alg":"RS256","kid":")" + kid + R"(","n":")" +
         param_base64url(pair.key.get(), OSSL_PKEY_PARAM_RSA_N) + R"(","e":")" +
         param_base64url(pair.key.get(), OSSL_PKEY_PARAM_RSA_E) + R"("})";
}

std::string ec_jwk(const KeyPair& pair, const std::string& kid) {
  return R"({"kty":"EC","crv":"P-256","kid":")" + kid + R"(","x":")" +
         param_base64url(pair.key.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32) + R"(","y":")" +
         param_base64url(pair.key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32) + R"("})";
}

// Generated once: RSA key generation takes a noticeable fraction of a second.
struct Keys {
  KeyPair rsa = rsa_pair();
  KeyPair ec = ec_pair();
  KeyPair other_rsa = rsa_pair();  // not in the JWKS
  KeyPair other_ec = ec_pair();    // not in the JWKS
};
const Keys& keys() {
  static const Keys generated;
  return generated;
}

// ---- Files.

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "payments-auth-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string write(const std::string& name, const std::string& text) const {
    const auto file = path_ / name;
    std::ofstream(file) << text;
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

std::string jwks(std::initializer_list<std::string> jwk_texts) {
  std::string out = R"({"keys":[)";
  for (const auto& jwk : jwk_texts) out += (out.back() == '[' ? "" : ",") + jwk;
  return out + "]}";
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

// ---- Tokens.

struct Claims {
  std::optional<std::string> iss = kIssuer;
  std::string aud_json = R"("payments-api")";  // raw JSON: a string or an array
  std::optional<std::int64_t> exp = kNow + 300;
  std::optional<std::int64_t> nbf;
  std::string merchant_claim = "merchant_id";
  std::optional<std::string> merchant = "merch_123";
  std::optional<std::string> scope = "payments:read payments:write";
  std::optional<std::string> sub = "user-1";
  std::string extra_json;  // more members, each followed by a comma

  [[nodiscard]] std::string json() const {
    std::string out = "{" + extra_json + R"("aud":)" + aud_json;
    const auto add = [&out](const std::string& name, const std::string& value) {
      out += ",\"" + name + "\":" + value;
    };
    if (iss) add("iss", '"' + *iss + '"');
    if (exp) add("exp", std::to_string(*exp));
    if (nbf) add("nbf", std::to_string(*nbf));
    if (merchant) add(merchant_claim, '"' + *merchant + '"');
    if (scope) add("scope", '"' + *scope + '"');
    if (sub) add("sub", '"' + *sub + '"');
    return out + "}";
  }
};

// Signs with libjwt, as an issuer using it would.
std::string sign(jwt_alg_t alg, std::string_view key, const Claims& claims, const std::optional<std::string>& kid) {
  jwt_t* raw = nullptr;
  REQUIRE(jwt_new(&raw) == 0);
  const JwtPtr jwt(raw);
  REQUIRE(jwt_add_grants_json(jwt.get(), claims.json().c_str()) == 0);
  if (kid) REQUIRE(jwt_add_header(jwt.get(), "kid", kid->c_str()) == 0);
  REQUIRE(jwt_set_alg(jwt.get(), alg, bytes_of(key), size_of(key)) == 0);
  const CStringPtr token(jwt_encode_str(jwt.get()));
  REQUIRE(token != nullptr);
  return token.get();
}

std::string rs256(const Claims& claims = {}, const std::optional<std::string>& kid = kRsaKid) {
  return sign(JWT_ALG_RS256, keys().rsa.private_pem, claims, kid);
}
std::string es256(const Claims& claims = {}, const std::optional<std::string>& kid = kEcKid) {
  return sign(JWT_ALG_ES256, keys().ec.private_pem, claims, kid);
}
std::string hs256(const Claims& claims = {}, const std::string& secret = kHsSecret) {
  return sign(JWT_ALG_HS256, secret, claims, std::nullopt);
}

std::vector<std::string> segments(const std::string& token) {
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  return {token.substr(0, first), token.substr(first + 1, second - first - 1), token.substr(second + 1)};
}

// A token assembled by hand, for headers no honest library writes.
std::string hand_built(const std::string& header_json, const Claims& claims, const std::string& signature = "") {
  return base64url(header_json) + "." + base64url(claims.json()) + "." + signature;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  REQUIRE(HMAC(EVP_sha256(), key.data(), size_of(key), bytes_of(data), data.size(), out, &size) != nullptr);
  return {reinterpret_cast<const char*>(out), size};
}

// ---- The verifier under test.

struct Fixture {
  TempDir dir;
  std::string jwks_path = dir.write("jwks.json", jwks({rsa_jwk(keys().rsa, kRsaKid), ec_jwk(keys().ec, kEcKid)}));

  [[nodiscard]] JwtSettings settings() const {
    JwtSettings s;
    s.issuer = kIssuer;
    s.audience = kAudience;
    s.jwks_file = jwks_path;
    s.hs256_secret = Secret(kHsSecret);
    return s;
  }
};

std::unique_ptr<JwtVerifier> verifier_for(const JwtSettings& settings) {
  auto created = JwtVerifier::create(settings);
  if (!created) FAIL(created.error().field << ": " << created.error().message);
  return std::move(created).value();
}

Result<Principal> verify(const JwtVerifier& verifier, const std::string& token) {
  return verifier.verify(token, kNowTime);
}

void check_accepted(const Result<Principal>& result) {
  if (!result) FAIL("refused: " << result.error().message);
}

// Refused as unauthenticated for `reason`, with the token nowhere in the error.
void check_refused(const Result<Principal>& result, const std::string& token, const std::string& reason) {
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == ErrorCode::unauthenticated);
  CHECK(result.error().field.empty());
  CHECK_MESSAGE(result.error().message.find(reason) != std::string::npos, result.error().message);
  for (const auto& part : segments(token)) {
    if (part.size() > 8) CHECK(result.error().message.find(part) == std::string::npos);
  }
}

void check_create_error(const JwtSettings& settings, const std::string& field, const std::string& message_part) {
  const auto created = JwtVerifier::create(settings);
  REQUIRE_FALSE(created.has_value());
  CHECK(created.error().code == ErrorCode::validation_error);
  CHECK(created.error().field == field);
  CHECK_MESSAGE(created.error().message.find(message_part) != std::string::npos, created.error().message);
  CHECK(created.error().message.find('\n') == std::string::npos);
}

}  // namespace

TEST_CASE_FIXTURE(Fixture, "valid RS256, ES256 and HS256 tokens name their merchant, subject and scopes") {
  const auto verifier = verifier_for(settings());
  for (const auto& token : {rs256(), es256(), hs256()}) {
    const auto principal = verify(*verifier, token);
    check_accepted(principal);
    CHECK(principal->merchant_id == "merch_123");
    CHECK(principal->key_id == "jwt:user-1");
    CHECK(principal->scopes.str() == "payments:read,payments:write");
    CHECK_FALSE(principal->rate_limit_per_second.has_value());
  }
}

TEST_CASE("libjwt writes ES256 signatures as JOSE R||S, as other issuers do") {
  // 64 bytes, not DER: tokens from any standard issuer verify, and ours verify anywhere.
  CHECK(base64url_decode(segments(es256())[2]).size() == 64);
}

TEST_CASE_FIXTURE(Fixture, "a token without a kid uses the only key of its type") {
  const auto verifier = verifier_for(settings());
  check_accepted(verify(*verifier, rs256({}, std::nullopt)));
  check_accepted(verify(*verifier, es256({}, std::nullopt)));
}

TEST_CASE_FIXTURE(Fixture, "a token without a kid is refused when several keys of its type could be meant") {
  auto s = settings();
  s.jwks_file = dir.write("two-ec.json", jwks({ec_jwk(keys().ec, "ec-a"), ec_jwk(keys().other_ec, "ec-b")}));
  const auto verifier = verifier_for(s);
  const auto token = es256({}, std::nullopt);
  check_refused(verify(*verifier, token), token, "no kid");
  check_accepted(verify(*verifier, es256({}, "ec-a")));
}

TEST_CASE_FIXTURE(Fixture, "an unknown kid is refused") {
  const auto verifier = verifier_for(settings());
  const auto token = rs256({}, "rsa-0");
  check_refused(verify(*verifier, token), token, "kid");
}

TEST_CASE_FIXTURE(Fixture, "a kid naming a key of another type is refused") {
  const auto verifier = verifier_for(settings());
  const auto rs_with_ec_kid = sign(JWT_ALG_RS256, keys().rsa.private_pem, {}, kEcKid);
  check_refused(verify(*verifier, rs_with_ec_kid), rs_with_ec_kid, "no RSA key");
  const auto es_with_rsa_kid = sign(JWT_ALG_ES256, keys().ec.private_pem, {}, kRsaKid);
  check_refused(verify(*verifier, es_with_rsa_kid), es_with_rsa_kid, "no EC P-256 key");
}

TEST_CASE_FIXTURE(Fixture, "a signature by another key is refused") {
  const auto verifier = verifier_for(settings());
  for (const auto& token : {sign(JWT_ALG_RS256, keys().other_rsa.private_pem, {}, kRsaKid),
                            sign(JWT_ALG_ES256, keys().other_ec.private_pem, {}, kEcKid),
                            hs256({}, "another-hs256-secret-of-40-bytes-000000")}) {
    check_refused(verify(*verifier, token), token, "bad signature");
  }
}

TEST_CASE_FIXTURE(Fixture, "a tampered payload is refused") {
  const auto verifier = verifier_for(settings());
  Claims other;
  other.merchant = "merch_other";
  for (const auto& token : {rs256(), es256(), hs256()}) {
    const auto parts = segments(token);
    const auto tampered = parts[0] + "." + base64url(other.json()) + "." + parts[2];
    check_refused(verify(*verifier, tampered), tampered, "bad signature");
  }
}

TEST_CASE_FIXTURE(Fixture, "an unsigned token (alg none) is refused") {
  const auto verifier = verifier_for(settings());
  for (const char* header : {R"({"alg":"none"})", R"({"alg":"none","typ":"JWT"})", R"({"alg":"None"})"}) {
    const auto token = hand_built(header, {});
    CHECK(looks_like_jwt(token));
    check_refused(verify(*verifier, token), token, "alg is not one of");
  }
}

TEST_CASE_FIXTURE(Fixture, "algorithms other than RS256, ES256 and HS256 are refused") {
  const auto verifier = verifier_for(settings());
  for (const auto& token : {sign(JWT_ALG_HS512, kHsSecret, {}, std::nullopt),
                            sign(JWT_ALG_RS512, keys().rsa.private_pem, {}, kRsaKid)}) {
    check_refused(verify(*verifier, token), token, "alg is not one of");
  }
}

TEST_CASE_FIXTURE(Fixture, "an HS256 token keyed with the RSA public key's PEM is refused (algorithm confusion)") {
  const auto token = sign(JWT_ALG_HS256, keys().rsa.public_pem, {}, kRsaKid);
  auto jwks_only = settings();
  jwks_only.hs256_secret = Secret();
  check_refused(verify(*verifier_for(jwks_only), token), token, "HS256 tokens are not accepted");
  check_refused(verify(*verifier_for(settings()), token), token, "bad signature");
}

TEST_CASE_FIXTURE(Fixture, "a header whose duplicate alg reads differently to libjwt is refused") {
  // RapidJSON takes the first "alg" (RS256: the RSA key is chosen), libjwt's jansson the last (HS256), and
  // HMAC under the public PEM verifies. Only the check of the algorithm libjwt used catches it.
  const auto verifier = verifier_for(settings());
  const std::string header = R"({"alg":"RS256","kid":")" + kRsaKid + R"(","typ":"JWT","alg":"HS256"})";
  const auto signing_input = base64url(header) + "." + base64url(Claims{}.json());
  const auto token = signing_input + "." + base64url(hmac_sha256(keys().rsa.public_pem, signing_input));
  check_refused(verify(*verifier, token), token, "alg differs");
}

TEST_CASE_FIXTURE(Fixture, "an RFC 9068 access token (typ at+jwt) is refused: libjwt 1.10 accepts only typ JWT") {
  const auto verifier = verifier_for(settings());
  const auto signing_input = base64url(R"({"alg":"HS256","typ":"at+jwt"})") + "." + base64url(Claims{}.json());
  const auto token = signing_input + "." + base64url(hmac_sha256(kHsSecret, signing_input));
  check_refused(verify(*verifier, token), token, "malformed");
}

TEST_CASE_FIXTURE(Fixture, "HS256 needs the shared secret and RS256/ES256 a JWKS") {
  auto hs_only = settings();
  hs_only.jwks_file.clear();
  const auto hs_verifier = verifier_for(hs_only);
  check_accepted(verify(*hs_verifier, hs256()));
  const auto rs = rs256();
  check_refused(verify(*hs_verifier, rs), rs, "no RSA key");

  auto jwks_only = settings();
  jwks_only.hs256_secret = Secret();
  const auto hs = hs256();
  check_refused(verify(*verifier_for(jwks_only), hs), hs, "HS256 tokens are not accepted");
}

TEST_CASE_FIXTURE(Fixture, "exp is required and honoured with the leeway") {
  const auto verifier = verifier_for(settings());  // leeway 60 s
  Claims within;
  within.exp = kNow - 30;
  check_accepted(verify(*verifier, rs256(within)));

  Claims beyond;
  beyond.exp = kNow - 61;
  const auto expired = rs256(beyond);
  check_refused(verify(*verifier, expired), expired, "expired");

  Claims none;
  none.exp.reset();
  const auto no_exp = rs256(none);
  check_refused(verify(*verifier, no_exp), no_exp, "no exp");

  Claims text;
  text.exp.reset();
  text.extra_json = R"("exp":"2099-01-01",)";
  const auto text_exp = rs256(text);
  check_refused(verify(*verifier, text_exp), text_exp, "exp is not a number");
}

TEST_CASE_FIXTURE(Fixture, "the leeway is configurable") {
  auto strict = settings();
  strict.leeway = std::chrono::seconds(0);
  Claims just_expired;
  just_expired.exp = kNow;
  const auto token = rs256(just_expired);
  check_refused(verify(*verifier_for(strict), token), token, "expired");
  check_accepted(verify(*verifier_for(settings()), token));
}

TEST_CASE_FIXTURE(Fixture, "nbf in the future is refused beyond the leeway") {
  const auto verifier = verifier_for(settings());
  Claims soon;
  soon.nbf = kNow + 30;
  check_accepted(verify(*verifier, es256(soon)));

  Claims later;
  later.nbf = kNow + 120;
  const auto token = es256(later);
  check_refused(verify(*verifier, token), token, "not valid yet");
}

TEST_CASE_FIXTURE(Fixture, "the issuer must match exactly") {
  const auto verifier = verifier_for(settings());
  for (const std::optional<std::string>& iss : {std::optional<std::string>("https://evil.example.test/"),
                                                std::optional<std::string>("https://auth.example.test"),
                                                std::optional<std::string>()}) {
    Claims claims;
    claims.iss = iss;
    const auto token = rs256(claims);
    check_refused(verify(*verifier, token), token, "wrong issuer");
  }
}

TEST_CASE_FIXTURE(Fixture, "the audience must be ours, alone or in an array") {
  const auto verifier = verifier_for(settings());
  Claims in_array;
  in_array.aud_json = R"(["ledger-api","payments-api"])";
  check_accepted(verify(*verifier, rs256(in_array)));

  for (const char* aud : {R"("ledger-api")", R"(["ledger-api","other"])", R"([])", R"(null)", R"("payments-api2")"}) {
    CAPTURE(aud);
    Claims claims;
    claims.aud_json = aud;
    const auto token = rs256(claims);
    check_refused(verify(*verifier, token), token, "wrong audience");
  }
}

TEST_CASE_FIXTURE(Fixture, "the merchant claim must be a valid merchant id") {
  const auto verifier = verifier_for(settings());
  Claims missing;
  missing.merchant.reset();
  const auto no_merchant = rs256(missing);
  check_refused(verify(*verifier, no_merchant), no_merchant, "merchant");

  Claims invalid;
  invalid.merchant = "merch 123/../x";
  const auto bad_merchant = rs256(invalid);
  check_refused(verify(*verifier, bad_merchant), bad_merchant, "merchant");

  Claims number;
  number.merchant.reset();
  number.extra_json = R"("merchant_id":123,)";
  const auto numeric_merchant = rs256(number);
  check_refused(verify(*verifier, numeric_merchant), numeric_merchant, "merchant");
}

TEST_CASE_FIXTURE(Fixture, "the merchant claim's name is configurable") {
  auto s = settings();
  s.merchant_claim = "https://example.test/merchant";
  const auto verifier = verifier_for(s);

  Claims custom;
  custom.merchant_claim = "https://example.test/merchant";
  custom.merchant = "merch_custom";
  const auto principal = verify(*verifier, rs256(custom));
  check_accepted(principal);
  CHECK(principal->merchant_id == "merch_custom");

  const auto default_name = rs256();  // carries merchant_id only
  check_refused(verify(*verifier, default_name), default_name, "merchant");
}

TEST_CASE_FIXTURE(Fixture, "scopes come from the scope claim and other services' scopes are ignored") {
  const auto verifier = verifier_for(settings());
  Claims mixed;
  mixed.scope = "openid refunds:write ledger:read payments:read";
  const auto principal = verify(*verifier, rs256(mixed));
  check_accepted(principal);
  CHECK(principal->scopes.str() == "payments:read,refunds:write");

  Claims none;
  none.scope.reset();
  const auto unscoped = verify(*verifier, rs256(none));
  check_accepted(unscoped);
  CHECK(unscoped->scopes.empty());

  Claims array;
  array.scope.reset();
  array.extra_json = R"("scope":["payments:read"],)";
  const auto token = rs256(array);
  check_refused(verify(*verifier, token), token, "scope is not a string");
}

TEST_CASE_FIXTURE(Fixture, "key_id is jwt: and the subject, cut to 64 characters, or jwt:- without one") {
  const auto verifier = verifier_for(settings());
  Claims anonymous;
  anonymous.sub.reset();
  const auto without = verify(*verifier, rs256(anonymous));
  check_accepted(without);
  CHECK(without->key_id == "jwt:-");

  Claims long_sub;
  long_sub.sub = std::string(100, 's');
  const auto cut = verify(*verifier, rs256(long_sub));
  check_accepted(cut);
  CHECK(cut->key_id == "jwt:" + std::string(64, 's'));
}

TEST_CASE_FIXTURE(Fixture, "malformed and oversized tokens are refused") {
  const auto verifier = verifier_for(settings());
  Claims padded;
  padded.extra_json = R"("padding":")" + std::string(9000, 'p') + R"(",)";
  const auto big = rs256(padded);
  check_refused(verify(*verifier, big), big, "longer than 8 KiB");

  const std::string not_jwt = "psk_abcdefghijklmnopqrstuvwxyz";
  check_refused(verify(*verifier, not_jwt), not_jwt, "not a JWT");

  const auto garbage_header = "Zm9vYmFy." + segments(rs256())[1] + "." + segments(rs256())[2];
  check_refused(verify(*verifier, garbage_header), garbage_header, "header");

  const auto no_alg = hand_built(R"({"typ":"JWT"})", {}, "c2ln");
  check_refused(verify(*verifier, no_alg), no_alg, "header alg");

  const auto critical = hand_built(R"({"alg":"HS256","crit":["exp"],"exp":1})", {}, "c2ln");
  check_refused(verify(*verifier, critical), critical, "critical");
}

TEST_CASE("looks_like_jwt tells JWTs from API keys and other text") {
  CHECK(looks_like_jwt("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"));
  CHECK(looks_like_jwt("eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."));  // unsigned: still a JWT, refused as one
  CHECK(looks_like_jwt("a-_b.c.d"));

  for (const char* text : {"", "psk_abcdefghijklmnopqrstuvwxyz234567", "a.b", "a.b.c.d", ".b.c", "a..c", "a.b.c ",
                           "a+b.c.d", "a.b.c=", "a.b/c.d", "..", "a.b.c\n"}) {
    CAPTURE(text);
    CHECK_FALSE(looks_like_jwt(text));
  }
}

TEST_CASE_FIXTURE(Fixture, "verify can be called from several threads at once") {
  const auto verifier = verifier_for(settings());
  const std::vector<std::string> tokens{rs256(), es256(), hs256()};
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        for (const auto& token : tokens) {
          if (verify(*verifier, token)) accepted.fetch_add(1);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(accepted.load() == 4 * 20 * 3);
}

TEST_CASE_FIXTURE(Fixture, "create names the setting at fault") {
  SUBCASE("a missing JWKS file") {
    auto s = settings();
    s.jwks_file = jwks_path + ".missing";
    check_create_error(s, "AUTH_JWKS_FILE", "cannot open");
  }
  SUBCASE("a JWKS file that is not JSON") {
    auto s = settings();
    s.jwks_file = dir.write("broken.json", R"({"keys":[)");
    check_create_error(s, "AUTH_JWKS_FILE", "not valid JSON");
  }
  SUBCASE("a JWKS file without a keys array") {
    auto s = settings();
    s.jwks_file = dir.write("no-keys.json", R"({"key":[]})");
    check_create_error(s, "AUTH_JWKS_FILE", "no \"keys\" array");
  }
  SUBCASE("a JWKS file with no key this service verifies with") {
    auto s = settings();
    const auto encryption_key = replaced(rsa_jwk(keys().rsa, "enc"), R"("use":"sig")", R"("use":"enc")");
    s.jwks_file = dir.write("unusable.json", jwks({R"({"kty":"oct","k":"c2VjcmV0"})",
                                                   R"({"kty":"EC","crv":"P-384","x":"AA","y":"AA"})",
                                                   encryption_key}));
    check_create_error(s, "AUTH_JWKS_FILE", "no RSA or EC P-256 signing key");
  }
  SUBCASE("an EC key whose point is not on the curve") {
    auto s = settings();
    auto jwk = ec_jwk(keys().ec, kEcKid);
    const auto x = jwk.find(R"("x":")") + 5;
    jwk[x] = jwk[x] == 'A' ? 'B' : 'A';
    s.jwks_file = dir.write("off-curve.json", jwks({jwk}));
    check_create_error(s, "AUTH_JWKS_FILE", "not a valid EC public key");
  }
  SUBCASE("two keys with the same kid") {
    auto s = settings();
    s.jwks_file = dir.write("dup.json", jwks({ec_jwk(keys().ec, "k"), ec_jwk(keys().other_ec, "k")}));
    check_create_error(s, "AUTH_JWKS_FILE", "same kid");
  }
  SUBCASE("an RSA key shorter than 2048 bits") {
    auto s = settings();
    const auto weak = key_pair(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024}));
    s.jwks_file = dir.write("weak.json", jwks({rsa_jwk(weak, "weak")}));
    check_create_error(s, "AUTH_JWKS_FILE", "shorter than 2048 bits");
  }
  SUBCASE("no key at all") {
    auto s = settings();
    s.jwks_file.clear();
    s.hs256_secret = Secret();
    check_create_error(s, "AUTH_JWKS_FILE", "no key");
  }
  SUBCASE("an HS256 secret too short to be safe, without repeating it") {
    auto s = settings();
    s.hs256_secret = Secret("short-secret");
    check_create_error(s, "AUTH_JWT_HS256_SECRET", "at least 32 bytes");
    CHECK(JwtVerifier::create(s).error().message.find("short-secret") == std::string::npos);
  }
  SUBCASE("no audience") {
    auto s = settings();
    s.audience.clear();
    check_create_error(s, "AUTH_JWT_AUDIENCE", "must be set");
  }
  SUBCASE("no issuer") {
    auto s = settings();
    s.issuer.clear();
    check_create_error(s, "AUTH_JWT_ISSUER", "must be set");
  }
}
