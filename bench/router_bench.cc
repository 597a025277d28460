// Request routing and key checks: the per-request overhead the API layer adds before a
// handler runs.
#include <benchmark/benchmark.h>

#include <memory>

#include "api/router.h"
#include "cdp/auth.h"

namespace cdp::api {
namespace {

std::shared_ptr<const KeySet> BenchKeys() {
  auto keys = KeySet::Create({{"wk_bench_key", ScopeSet{Scope::kWrite}},
                              {"rk_bench_key", ScopeSet{Scope::kRead}},
                              {"ak_bench_key", ScopeSet{Scope::kRead, Scope::kAdmin}}});
  return std::make_shared<const KeySet>(std::move(keys).value());
}

Router BenchRouter() {
  Router router(BenchKeys());
  auto ok = [](HttpRequest&&, Responder respond) { respond(JsonResponse("{}")); };
  router.Add("GET", "/healthz", std::nullopt, ok);
  router.Add("GET", "/readyz", std::nullopt, ok);
  router.Add("GET", "/metrics", std::nullopt, ok);
  for (const char* type : {"identify", "track", "page", "screen", "group", "alias", "batch"}) {
    router.Add("POST", std::string("/v1/") + type, Scope::kWrite, ok);
  }
  router.Add("GET", "/v1/profiles/{ref}", Scope::kRead, ok);
  router.Add("GET", "/v1/profiles/{ref}/links", Scope::kRead, ok);
  return router;
}

void BM_DispatchNoKey(benchmark::State& state) {
  Router router = BenchRouter();
  int status = 0;
  for (auto _ : state) {
    HttpRequest request;
    request.method = "GET";
    request.path = "/healthz";
    router.Dispatch(std::move(request), [&](HttpResponse r) { status = r.status; });
    benchmark::DoNotOptimize(status);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DispatchNoKey);

void BM_DispatchBasicAuthWithPathParam(benchmark::State& state) {
  Router router = BenchRouter();
  const std::string auth = "Basic " + Base64Encode("rk_bench_key:");
  int status = 0;
  for (auto _ : state) {
    HttpRequest request;
    request.method = "GET";
    request.path = "/v1/profiles/email:maria%40example.es/links";
    request.headers.emplace_back("authorization", auth);
    router.Dispatch(std::move(request), [&](HttpResponse r) { status = r.status; });
    benchmark::DoNotOptimize(status);
  }
  if (status != 200) state.SkipWithError("dispatch did not answer 200");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DispatchBasicAuthWithPathParam);

}  // namespace
}  // namespace cdp::api

BENCHMARK_MAIN();
