// Base64url without padding (RFC 4648 section 5), as JWTs and JWKs use it.
//
// Thread safety: pure functions.
#ifndef WEFT_SERVER_FRONTEND_AUTH_BASE64URL_H_
#define WEFT_SERVER_FRONTEND_AUTH_BASE64URL_H_

#include <optional>
#include <string>
#include <string_view>

namespace weft::frontend::auth {

std::string Base64UrlEncode(std::string_view bytes);
// nullopt on any character outside the alphabet, on '=' padding, or on an impossible length.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace weft::frontend::auth

#endif  // WEFT_SERVER_FRONTEND_AUTH_BASE64URL_H_
