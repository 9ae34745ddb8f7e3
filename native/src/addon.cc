// N-API entry points. Each function takes typed arrays from JS, validates lengths and writes into
// the caller's output buffer, so the hot loops never allocate or copy through JS.
#include <napi.h>

#include "convert.h"
#include "napi-helpers.h"
#include "register.h"

namespace {

// One element-wise conversion: (src, dst) typed arrays of equal length, dst written in place.
template <typename Src, napi_typedarray_type SrcType, typename Dst, napi_typedarray_type DstType, void (*Convert)(const Src*, Dst*, size_t)>
Napi::Value JsConvert(const Napi::CallbackInfo& info, const char* usage) {
  Napi::Env env = info.Env();
  Src* src;
  Dst* dst;
  size_t ns, nd;
  if (info.Length() != 2) {
    Napi::TypeError::New(env, usage).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!apollo::GetTypedArray(env, info[0], SrcType, "src", &src, &ns)) return env.Undefined();
  if (!apollo::GetTypedArray(env, info[1], DstType, "dst", &dst, &nd)) return env.Undefined();
  if (ns != nd) {
    Napi::RangeError::New(env, "src and dst lengths differ").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Convert(src, dst, ns);
  return env.Undefined();
}

// bf16ToF32(src: Uint16Array, dst: Float32Array): void
Napi::Value JsBf16ToF32(const Napi::CallbackInfo& info) {
  return JsConvert<uint16_t, napi_uint16_array, float, napi_float32_array, apollo::Bf16ToF32>(info, "bf16ToF32 expects (src, dst)");
}

// f32ToF16(src: Float32Array, dst: Uint16Array): void
Napi::Value JsF32ToF16(const Napi::CallbackInfo& info) {
  return JsConvert<float, napi_float32_array, uint16_t, napi_uint16_array, apollo::F32ToF16>(info, "f32ToF16 expects (src, dst)");
}

// f16ToF32(src: Uint16Array, dst: Float32Array): void
Napi::Value JsF16ToF32(const Napi::CallbackInfo& info) {
  return JsConvert<uint16_t, napi_uint16_array, float, napi_float32_array, apollo::F16ToF32>(info, "f16ToF32 expects (src, dst)");
}

}  // namespace

namespace apollo {
// Each feature file registers its own functions (one line each here).
void RegisterConvert(Napi::Env env, Napi::Object exports) {
  exports.Set("bf16ToF32", Napi::Function::New(env, JsBf16ToF32));
  exports.Set("f32ToF16", Napi::Function::New(env, JsF32ToF16));
  exports.Set("f16ToF32", Napi::Function::New(env, JsF16ToF32));
}
}  // namespace apollo

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Bump with any change to an exported function's contract (the loader checks it).
  exports.Set("abiVersion", Napi::Number::New(env, 5));
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
