#include "convert.h"

#include <cstring>

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

}  // namespace apollo
