// Numeric conversions of large weight buffers (bit-exact, no dependency on the FPU's F16 support).
#pragma once
#include <cstddef>
#include <cstdint>

namespace apollo {

// BF16 is the upper half of an IEEE F32: widening is a shift, exact for every value including NaN.
void Bf16ToF32(const uint16_t* src, float* dst, size_t n);

// F32 -> IEEE binary16 with round-to-nearest-even, overflow to Inf, subnormals kept, NaN kept quiet.
void F32ToF16(const float* src, uint16_t* dst, size_t n);

// IEEE binary16 -> F32, exact for every value (subnormals, Inf, NaN payloads); F16C where the CPU
// has it (the KV cache's float16 rows widened for a prefill pass's attention).
void F16ToF32(const uint16_t* src, float* dst, size_t n);

}  // namespace apollo
