// N-API entry points. Each function takes typed arrays from JS, validates lengths and writes into
// the caller's output buffer, so the hot loops never allocate or copy through JS.
#include <napi.h>

#include "convert.h"
#include "napi-helpers.h"
#include "register.h"

namespace {

// bf16ToF32(src: Uint16Array, dst: Float32Array): void
Napi::Value JsBf16ToF32(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint16_t* src;
  float* dst;
  size_t ns, nd;
  if (info.Length() != 2) {
    Napi::TypeError::New(env, "bf16ToF32 expects (src, dst)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!apollo::GetTypedArray(env, info[0], napi_uint16_array, "src", &src, &ns)) return env.Undefined();
  if (!apollo::GetTypedArray(env, info[1], napi_float32_array, "dst", &dst, &nd)) return env.Undefined();
  if (ns != nd) {
    Napi::RangeError::New(env, "src and dst lengths differ").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  apollo::Bf16ToF32(src, dst, ns);
  return env.Undefined();
}

// f32ToF16(src: Float32Array, dst: Uint16Array): void
Napi::Value JsF32ToF16(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  float* src;
  uint16_t* dst;
  size_t ns, nd;
  if (info.Length() != 2) {
    Napi::TypeError::New(env, "f32ToF16 expects (src, dst)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!apollo::GetTypedArray(env, info[0], napi_float32_array, "src", &src, &ns)) return env.Undefined();
  if (!apollo::GetTypedArray(env, info[1], napi_uint16_array, "dst", &dst, &nd)) return env.Undefined();
  if (ns != nd) {
    Napi::RangeError::New(env, "src and dst lengths differ").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  apollo::F32ToF16(src, dst, ns);
  return env.Undefined();
}

}  // namespace

namespace apollo {
// Each feature file registers its own functions (one line each here).
void RegisterConvert(Napi::Env env, Napi::Object exports) {
  exports.Set("bf16ToF32", Napi::Function::New(env, JsBf16ToF32));
  exports.Set("f32ToF16", Napi::Function::New(env, JsF32ToF16));
}
}  // namespace apollo

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Bump with any change to an exported function's contract (the loader checks it).
  exports.Set("abiVersion", Napi::Number::New(env, 4));
  apollo::RegisterConvert(env, exports);
  apollo::RegisterQuantize(env, exports);
  apollo::RegisterMemoryBandwidth(env, exports);
  apollo::RegisterPreprocess(env, exports);
  apollo::RegisterAttention(env, exports);
  apollo::RegisterHeap(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(apollo_native, Init)
