// The OpenAPI 3 document of the HTTP contract (docs/openapi.json), embedded at build time.
#pragma once

#include <string_view>

namespace cdp::api {

// Valid for the life of the process.
std::string_view OpenApiDocument();

}  // namespace cdp::api
