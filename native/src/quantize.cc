// Weight preparation hot paths: int4 block quantization in com.microsoft MatMulNBits' layout and a
// direct BF16 -> F16 conversion. The TypeScript twins (electron/engine/quant/) perform the same float32
// operations in the same order, so both produce identical bytes.
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "convert.h"
#include "napi-helpers.h"
#include "register.h"

namespace {

constexpr int kSymmetricZeroPoint = 8;

inline float F16BitsToF32(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) ? 1u : 0u;
  const int exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ffu;
  float v;
  if (exp == 0) v = std::ldexp(static_cast<float>(mant), -24);
  else if (exp == 0x1f) v = mant == 0 ? INFINITY : NAN;
  else v = std::ldexp(static_cast<float>(mant | 0x400u), exp - 25);
  return sign ? -v : v;
}

inline float ToF16AndBack(float x, uint16_t* bits) {
  apollo::F32ToF16(&x, bits, 1);
  return F16BitsToF32(*bits);
}

inline int ClampNibble(float v) { return v < 0.0f ? 0 : v > 15.0f ? 15 : static_cast<int>(v); }

// Round half to even, like the twin. Adding and subtracting 1.5·2^23 rounds a float to an integer
// in the default (nearest-even) mode without a libm call (nearbyintf is one on baseline x86-64);
// exact for |v| < 2^22, which every quantized value is (|x / scale| <= 16).
inline float RoundHalfEven(float v) {
  if (!(std::fabs(v) < 4194304.0f)) return std::nearbyint(v);
  volatile float shifted = v + 12582912.0f;  // volatile: the sum must be rounded to float here
  return shifted - 12582912.0f;
}

struct QuantArgs {
  const float* weight;
  size_t n, k, block_size, blocks_per_col, blob_size, zp_bytes_per_row;
  bool symmetric, half_scales;
  uint8_t* data;
  void* scales;
  uint8_t* zero_points;
};

void QuantizeRows(const QuantArgs& a, size_t row_begin, size_t row_end) {
  for (size_t row = row_begin; row < row_end; ++row) {
    const float* w = a.weight + row * a.k;
    for (size_t b = 0; b < a.blocks_per_col; ++b) {
      const size_t start = b * a.block_size;
      const size_t end = std::min(a.k, start + a.block_size);
      float scale;
      float lo = 0.0f;
      int zp = kSymmetricZeroPoint;
      if (a.symmetric) {
        // The value of largest magnitude maps exactly to q = 0 (as llama.cpp's Q4_0).
        float max_abs = 0.0f, m = 0.0f;
        for (size_t i = start; i < end; ++i) {
          const float ab = std::fabs(w[i]);
          if (ab > max_abs) {
            max_abs = ab;
            m = w[i];
          }
        }
        scale = m / -8.0f;
      } else {
        float hi = 0.0f;
        for (size_t i = start; i < end; ++i) {
          if (w[i] < lo) lo = w[i];
          if (w[i] > hi) hi = w[i];
        }
        const float range = hi - lo;
        scale = range / 15.0f;
      }
      const size_t scale_index = row * a.blocks_per_col + b;
      if (a.half_scales) {
        uint16_t bits;
        scale = ToF16AndBack(scale, &bits);
        static_cast<uint16_t*>(a.scales)[scale_index] = bits;
      } else {
        static_cast<float*>(a.scales)[scale_index] = scale;
      }
      if (!a.symmetric && scale != 0.0f) {
        const float t = -lo / scale;
        zp = ClampNibble(RoundHalfEven(t));
      }
      uint8_t* blob = a.data + scale_index * a.blob_size;
      for (size_t j = 0; j < a.block_size; ++j) {
        const size_t i = start + j;
        int q = zp;
        if (i < end && scale != 0.0f) {
          const float t = w[i] / scale;
          q = ClampNibble(RoundHalfEven(t) + static_cast<float>(zp));
        }
        blob[j >> 1] |= static_cast<uint8_t>((j & 1) == 0 ? q : q << 4);
      }
      if (a.zero_points) {
        a.zero_points[row * a.zp_bytes_per_row + (b >> 1)] |= static_cast<uint8_t>((b & 1) == 0 ? zp : zp << 4);
      }
    }
  }
}

bool ReadSize(const Napi::Env& env, const Napi::Value& v, const char* name, size_t* out) {
  if (!v.IsNumber()) {
    Napi::TypeError::New(env, std::string(name) + " must be a number").ThrowAsJavaScriptException();
    return false;
  }
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 1 && d <= 9007199254740991.0) || std::floor(d) != d) {
    Napi::RangeError::New(env, std::string(name) + " must be a positive integer").ThrowAsJavaScriptException();
    return false;
  }
  *out = static_cast<size_t>(d);
  return true;
}

// quantizeInt4(weight: Float32Array, n, k, blockSize, symmetric: boolean, data: Uint8Array,
//              scales: Float32Array | Uint16Array (F16 bits), zeroPoints: Uint8Array | null): void
Napi::Value JsQuantizeInt4(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 8) {
    Napi::TypeError::New(env, "quantizeInt4 expects (weight, n, k, blockSize, symmetric, data, scales, zeroPoints)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  QuantArgs a{};
  size_t nw, nd, ns, nz = 0;
  float* weight;
  if (!apollo::GetTypedArray(env, info[0], napi_float32_array, "weight", &weight, &nw)) return env.Undefined();
  a.weight = weight;
  if (!ReadSize(env, info[1], "n", &a.n) || !ReadSize(env, info[2], "k", &a.k) ||
      !ReadSize(env, info[3], "blockSize", &a.block_size))
    return env.Undefined();
  if (a.block_size < 16 || a.block_size > 256 || (a.block_size & (a.block_size - 1)) != 0) {
    Napi::RangeError::New(env, "blockSize must be a power of two from 16 to 256").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!info[4].IsBoolean()) {
    Napi::TypeError::New(env, "symmetric must be a boolean").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  a.symmetric = info[4].As<Napi::Boolean>().Value();
  if (!apollo::GetTypedArray(env, info[5], napi_uint8_array, "data", &a.data, &nd)) return env.Undefined();
  const bool scales_are_f16 = info[6].IsTypedArray() && info[6].As<Napi::TypedArray>().TypedArrayType() == napi_uint16_array;
  a.half_scales = scales_are_f16;
  if (scales_are_f16) {
    uint16_t* s;
    if (!apollo::GetTypedArray(env, info[6], napi_uint16_array, "scales", &s, &ns)) return env.Undefined();
    a.scales = s;
  } else {
    float* s;
    if (!apollo::GetTypedArray(env, info[6], napi_float32_array, "scales", &s, &ns)) return env.Undefined();
    a.scales = s;
  }
  a.blocks_per_col = (a.k + a.block_size - 1) / a.block_size;
  a.blob_size = a.block_size / 2;
  a.zp_bytes_per_row = (a.blocks_per_col + 1) / 2;
  a.zero_points = nullptr;
  if (!info[7].IsNull() && !info[7].IsUndefined()) {
    if (!apollo::GetTypedArray(env, info[7], napi_uint8_array, "zeroPoints", &a.zero_points, &nz)) return env.Undefined();
  }
  if (a.symmetric != (a.zero_points == nullptr)) {
    Napi::TypeError::New(env, "zeroPoints must be null exactly when symmetric").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // Overflow-safe size checks: n * k must equal the weight length.
  if (a.k > nw || nw / a.k != a.n || nw % a.k != 0 || nd != a.n * a.blocks_per_col * a.blob_size ||
      ns != a.n * a.blocks_per_col || (a.zero_points && nz != a.n * a.zp_bytes_per_row)) {
    Napi::RangeError::New(env, "buffer lengths do not match n, k and blockSize").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::memset(a.data, 0, a.n * a.blocks_per_col * a.blob_size);
  if (a.zero_points) std::memset(a.zero_points, 0, a.n * a.zp_bytes_per_row);
  // Rows are independent: split them over the cores (prepare of a 3B model quantizes ~3e9 weights).
  const size_t threads = std::max<size_t>(1, std::min<size_t>(std::thread::hardware_concurrency(), (a.n + 63) / 64));
  if (threads == 1) {
    QuantizeRows(a, 0, a.n);
  } else {
    std::vector<std::thread> pool;
    const size_t per = (a.n + threads - 1) / threads;
    for (size_t t = 0; t < threads; ++t) {
      const size_t begin = std::min(a.n, t * per), end = std::min(a.n, begin + per);
      pool.emplace_back([&a, begin, end] { QuantizeRows(a, begin, end); });
    }
    for (auto& th : pool) th.join();
  }
  return env.Undefined();
}

// bf16ToF16(src: Uint16Array, dst: Uint16Array): void — through a small F32 staging buffer, so a
// BF16 checkpoint becomes F16 weights without a full-size F32 copy.
Napi::Value JsBf16ToF16(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint16_t* src;
  uint16_t* dst;
  size_t ns, nd;
  if (info.Length() != 2) {
    Napi::TypeError::New(env, "bf16ToF16 expects (src, dst)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!apollo::GetTypedArray(env, info[0], napi_uint16_array, "src", &src, &ns)) return env.Undefined();
  if (!apollo::GetTypedArray(env, info[1], napi_uint16_array, "dst", &dst, &nd)) return env.Undefined();
  if (ns != nd) {
    Napi::RangeError::New(env, "src and dst lengths differ").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  constexpr size_t kChunk = 4096;
  float staging[kChunk];
  for (size_t i = 0; i < ns; i += kChunk) {
    const size_t m = std::min(kChunk, ns - i);
    apollo::Bf16ToF32(src + i, staging, m);
    apollo::F32ToF16(staging, dst + i, m);
  }
  return env.Undefined();
}

}  // namespace

namespace apollo {
void RegisterQuantize(Napi::Env env, Napi::Object exports) {
  exports.Set("quantizeInt4", Napi::Function::New(env, JsQuantizeInt4));
  exports.Set("bf16ToF16", Napi::Function::New(env, JsBf16ToF16));
}
}  // namespace apollo
