// Memory read bandwidth, the bound of LLM decode on a CPU: sums a buffer far larger than the
// caches with 1..N threads. Used by the LLM benchmark's roofline (bench/llm-decode.bench.ts).
#include <napi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "register.h"

namespace {

// Four independent accumulators keep several loads in flight; the compiler vectorises the loop.
uint64_t SumWords(const uint64_t* p, size_t n) {
  uint64_t a = 0, b = 0, c = 0, d = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    a += p[i];
    b += p[i + 1];
    c += p[i + 2];
    d += p[i + 3];
  }
  for (; i < n; ++i) a += p[i];
  return a + b + c + d;
}

// measureReadBandwidth(bytes, threads, repeats): best bytes/second over `repeats` full passes.
Napi::Value JsMeasureReadBandwidth(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber()) {
    Napi::TypeError::New(env, "measureReadBandwidth expects (bytes, threads, repeats)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const double bytes_d = info[0].As<Napi::Number>().DoubleValue();
  const int threads = info[1].As<Napi::Number>().Int32Value();
  const int repeats = info[2].As<Napi::Number>().Int32Value();
  if (!(bytes_d >= 1 << 20 && bytes_d <= 64.0 * (1ull << 30)) || threads < 1 || threads > 256 || repeats < 1 || repeats > 1000) {
    Napi::RangeError::New(env, "bytes must be 1 MiB..64 GiB, threads 1..256, repeats 1..1000").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const size_t words = static_cast<size_t>(bytes_d) / 8;
  std::unique_ptr<uint64_t[]> buf(new (std::nothrow) uint64_t[words]);
  if (!buf) {
    Napi::Error::New(env, "cannot allocate the bandwidth buffer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // Touch every page with distinct values (first touch per thread slice, so pages land near it).
  const size_t slice = (words + threads - 1) / threads;
  {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        const size_t begin = std::min(words, t * slice), end = std::min(words, begin + slice);
        for (size_t i = begin; i < end; ++i) buf[i] = i * 0x9e3779b97f4a7c15ull;
      });
    for (auto& th : pool) th.join();
  }
  double best = 0;
  volatile uint64_t sink = 0;
  for (int r = 0; r < repeats; ++r) {
    std::vector<uint64_t> partial(threads, 0);
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        const size_t begin = std::min(words, t * slice), end = std::min(words, begin + slice);
        partial[t] = SumWords(buf.get() + begin, end - begin);
      });
    for (auto& th : pool) th.join();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (auto v : partial) sink = sink + v;
    best = std::max(best, static_cast<double>(words * 8) / s);
  }
  (void)sink;
  return Napi::Number::New(env, best);
}

}  // namespace

namespace apollo {
void RegisterMemoryBandwidth(Napi::Env env, Napi::Object exports) {
  exports.Set("measureReadBandwidth", Napi::Function::New(env, JsMeasureReadBandwidth));
}
}  // namespace apollo
