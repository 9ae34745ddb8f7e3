#include "convert.h"

#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define APOLLO_CONVERT_X86 1
#endif

namespace apollo {

void Bf16ToF32(const uint16_t* src, float* dst, size_t n) {
  // A plain loop the compiler vectorises (zero-extend + shift).
  for (size_t i = 0; i < n; ++i) {
    uint32_t bits = static_cast<uint32_t>(src[i]) << 16;
    std::memcpy(&dst[i], &bits, sizeof bits);
  }
}

static inline uint16_t F32BitsToF16(uint32_t x) {
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) {
    // Inf stays Inf; NaN keeps its top payload bits and is forced quiet.
    if (absx == 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u);
    return static_cast<uint16_t>(sign | 0x7e00u | ((absx >> 13) & 0x3ffu));
  }
  if (absx >= 0x477ff000u) {
    // >= 65520 rounds to Inf under round-to-nearest-even.
    return static_cast<uint16_t>(sign | 0x7c00u);
  }
  if (absx < 0x38800000u) {
    // Result is an F16 subnormal (or zero): shift the full significand into place, then RNE.
    if (absx < 0x33000000u) return static_cast<uint16_t>(sign);  // below 2^-25 rounds to zero
    const uint32_t exp = absx >> 23;
    const uint32_t mant = (absx & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126u - exp;  // 14 + (113 - exp) ... places the value in units of 2^-24
    const uint32_t shifted = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1u);
    const uint32_t half = 1u << (shift - 1u);
    uint32_t out = shifted;
    if (rem > half || (rem == half && (shifted & 1u))) ++out;
    return static_cast<uint16_t>(sign | out);
  }
  // Normal: rebias the exponent and round the 13 dropped bits to nearest even; a carry into the
  // exponent is correct (it may produce Inf only above the range handled earlier).
  uint32_t h = ((absx - 0x38000000u) >> 13);
  const uint32_t rem = absx & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

void F32ToF16(const float* src, uint16_t* dst, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &src[i], sizeof bits);
    dst[i] = F32BitsToF16(bits);
  }
}

static inline float F16BitsToF32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1fu) {
    bits = sign | 0x7f800000u | (mant << 13);  // Inf, NaN with its payload
  } else if (exp != 0) {
    bits = sign | ((exp + 112u) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {
    // Subnormal: normalise the significand (value = mant x 2^-24).
    uint32_t e = 113;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    bits = sign | (e << 23) | ((mant & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

#ifdef APOLLO_CONVERT_X86
__attribute__((target("avx,f16c"))) static void F16ToF32F16c(const uint16_t* src, float* dst, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
  for (; i < n; ++i) dst[i] = F16BitsToF32(src[i]);
}
#endif

void F16ToF32(const uint16_t* src, float* dst, size_t n) {
#ifdef APOLLO_CONVERT_X86
  static const bool f16c = __builtin_cpu_supports("avx") && __builtin_cpu_supports("f16c");
  if (f16c) {
    F16ToF32F16c(src, dst, n);
    return;
  }
#endif
  for (size_t i = 0; i < n; ++i) dst[i] = F16BitsToF32(src[i]);
}

}  // namespace apollo
