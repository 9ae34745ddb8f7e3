// Decode attention over the engine's KV cache, read in place: for one new position, each query
// head h attends over the `length` cached keys/values of kv head floor(h / group) (GQA), with
// scale 1/sqrt(head_dim) — Qwen2's eager attention for the last row of the causal mask. The cache
// is one [capacity, head_dim] buffer per kv head and kind, float32 or float16 (IEEE half), owned by
// JavaScript; only the first `length` rows are read, each once.
//
// Work is split into (kv head, row range) items over a few threads, flash-decoding style: each
// item keeps its own max, sum and unnormalised output per query head, merged at the end; within an
// item the keys are read once (all of the group's queries per key row) and the values once.
// On x86-64 an AVX-512 path (16 lanes: half the FMA and load instructions of AVX2 per cached row,
// which is what bounds this loop on 2 cores — measured below memory bandwidth) or an AVX2/FMA/F16C
// path is chosen at run time; elsewhere a portable scalar path. The caller may name a kernel
// (tests compare all of them against one reference).
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// GCC 12's AVX-512 headers start some intrinsics from _mm512_undefined_*(), which it then reports.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>
#define APOLLO_ATTENTION_X86 1
#endif

#include "napi-helpers.h"
#include "register.h"

namespace apollo {
namespace {

struct Problem {
  const float* q;                 // [heads, d]
  std::vector<const void*> keys;  // kv_heads × [capacity, d]
  std::vector<const void*> values;
  bool f16;
  size_t length, heads, kv_heads, d, group;
  float scale;
};

// One item's partial result for its group's query heads: max score, sum of exp, sum of exp·v.
struct Partial {
  std::vector<float> max, sum, acc;  // [group], [group], [group × d]
};

inline float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal half: normalise
      float v = std::ldexp(static_cast<float>(mant), -24);
      std::memcpy(&bits, &v, 4);
      bits |= sign;
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  }
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

inline void LoadRow(const Problem& p, const void* base, size_t row, float* out) {
  if (p.f16) {
    const uint16_t* r = static_cast<const uint16_t*>(base) + row * p.d;
    for (size_t i = 0; i < p.d; ++i) out[i] = HalfToFloat(r[i]);
  } else {
    std::memcpy(out, static_cast<const float*>(base) + row * p.d, p.d * sizeof(float));
  }
}

void ItemScalar(const Problem& p, size_t kv, size_t begin, size_t end, Partial& out, std::vector<float>& scores) {
  const size_t g = p.group, d = p.d, n = end - begin;
  std::vector<float> row(d);
  scores.assign(g * n, 0.0f);
  const float* q = p.q + kv * g * d;
  for (size_t r = 0; r < n; ++r) {
    LoadRow(p, p.keys[kv], begin + r, row.data());
    for (size_t h = 0; h < g; ++h) {
      float s = 0.0f;
      for (size_t i = 0; i < d; ++i) s += q[h * d + i] * row[i];
      scores[h * n + r] = s * p.scale;
    }
  }
  out.max.assign(g, -std::numeric_limits<float>::infinity());
  out.sum.assign(g, 0.0f);
  out.acc.assign(g * d, 0.0f);
  for (size_t h = 0; h < g; ++h) {
    float m = out.max[h];
    for (size_t r = 0; r < n; ++r) m = std::max(m, scores[h * n + r]);
    float sum = 0.0f;
    for (size_t r = 0; r < n; ++r) sum += (scores[h * n + r] = std::exp(scores[h * n + r] - m));
    out.max[h] = m;
    out.sum[h] = sum;
  }
  for (size_t r = 0; r < n; ++r) {
    LoadRow(p, p.values[kv], begin + r, row.data());
    for (size_t h = 0; h < g; ++h) {
      const float w = scores[h * n + r];
      float* acc = &out.acc[h * d];
      for (size_t i = 0; i < d; ++i) acc[i] += w * row[i];
    }
  }
}

#ifdef APOLLO_ATTENTION_X86
#define APOLLO_AVX2 __attribute__((target("avx2,fma,f16c")))

// exp(x) for x <= 0 (scores minus their max): Cephes-style range reduction and polynomial,
// relative error ~2e-7; inputs below -87.3 give 0.
APOLLO_AVX2 inline __m256 Exp256(__m256 x) {
  const __m256 lo = _mm256_set1_ps(-87.33654f);
  const __m256 underflow = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
  x = _mm256_max_ps(x, lo);
  const __m256 log2e = _mm256_set1_ps(1.44269504088896341f);
  __m256 fx = _mm256_round_ps(_mm256_mul_ps(x, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  __m256 y = _mm256_set1_ps(1.9875691500E-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507E-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073E-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894E-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459E-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201E-1f));
  const __m256 x2 = _mm256_mul_ps(x, x);
  y = _mm256_fmadd_ps(y, x2, _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
  y = _mm256_mul_ps(y, _mm256_castsi256_ps(e));
  return _mm256_andnot_ps(underflow, y);
}

APOLLO_AVX2 inline __m256 Load8(const Problem& p, const void* base, size_t offset) {
  if (p.f16) return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(base) + offset)));
  return _mm256_loadu_ps(static_cast<const float*>(base) + offset);
}

// Cache lines this many bytes ahead of the row being read are requested early: one decode step
// streams every layer's cache from memory, and the hardware prefetcher alone left it at ~7 GB/s.
constexpr size_t kPrefetchBytes = 2048;

APOLLO_AVX2 inline void PrefetchRow(const Problem& p, const void* base, size_t offset) {
  const char* at = static_cast<const char*>(base) + offset * (p.f16 ? 2 : 4) + kPrefetchBytes;
  const size_t bytes = p.d * (p.f16 ? 2 : 4);
  for (size_t b = 0; b < bytes; b += 64) _mm_prefetch(at + b, _MM_HINT_T0);
}

APOLLO_AVX2 inline float Sum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

// Requires d % 8 == 0 and group <= kMaxGroup. G is the group size when known at compile time
// (accumulators then live in registers), 0 for the general case.
constexpr size_t kMaxGroup = 16;
constexpr size_t kTile = 64;  // value rows per tile: 64 × 128 floats = 32 KB, re-read from L1

template <size_t G>
APOLLO_AVX2 void ItemAvx2(const Problem& p, size_t kv, size_t begin, size_t end, Partial& out, std::vector<float>& scores) {
  const size_t g = G == 0 ? p.group : G, d = p.d, n = end - begin, lanes = d / 8;
  scores.resize(g * n);
  const float* q = p.q + kv * g * d;
  // Pass 1: every key row once, dotted with the group's queries (two rows at a time share the
  // query loads).
  size_t r = 0;
  for (; r + 2 <= n; r += 2) {
    const size_t row0 = (begin + r) * d, row1 = row0 + d;
    PrefetchRow(p, p.keys[kv], row0);
    PrefetchRow(p, p.keys[kv], row1);
    __m256 a0[G == 0 ? kMaxGroup : G], a1[G == 0 ? kMaxGroup : G];
    for (size_t h = 0; h < g; ++h) a0[h] = a1[h] = _mm256_setzero_ps();
    for (size_t l = 0; l < lanes; ++l) {
      const __m256 k0 = Load8(p, p.keys[kv], row0 + l * 8);
      const __m256 k1 = Load8(p, p.keys[kv], row1 + l * 8);
      for (size_t h = 0; h < g; ++h) {
        const __m256 qv = _mm256_loadu_ps(q + h * d + l * 8);
        a0[h] = _mm256_fmadd_ps(qv, k0, a0[h]);
        a1[h] = _mm256_fmadd_ps(qv, k1, a1[h]);
      }
    }
    for (size_t h = 0; h < g; ++h) {
      scores[h * n + r] = Sum8(a0[h]) * p.scale;
      scores[h * n + r + 1] = Sum8(a1[h]) * p.scale;
    }
  }
  for (; r < n; ++r) {
    const size_t row = (begin + r) * d;
    __m256 acc[G == 0 ? kMaxGroup : G];
    for (size_t h = 0; h < g; ++h) acc[h] = _mm256_setzero_ps();
    for (size_t l = 0; l < lanes; ++l) {
      const __m256 k = Load8(p, p.keys[kv], row + l * 8);
      for (size_t h = 0; h < g; ++h) acc[h] = _mm256_fmadd_ps(_mm256_loadu_ps(q + h * d + l * 8), k, acc[h]);
    }
    for (size_t h = 0; h < g; ++h) scores[h * n + r] = Sum8(acc[h]) * p.scale;
  }
  // Pass 2: max, exp and sum per query head (vectorised over rows).
  out.max.assign(g, 0.0f);
  out.sum.assign(g, 0.0f);
  out.acc.assign(g * d, 0.0f);
  for (size_t h = 0; h < g; ++h) {
    float* s = &scores[h * n];
    float m = -std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < n; ++i) m = std::max(m, s[i]);
    const __m256 mv = _mm256_set1_ps(m);
    __m256 sumv = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const __m256 e = Exp256(_mm256_sub_ps(_mm256_loadu_ps(s + i), mv));
      _mm256_storeu_ps(s + i, e);
      sumv = _mm256_add_ps(sumv, e);
    }
    float sum = Sum8(sumv);
    for (; i < n; ++i) sum += (s[i] = std::exp(s[i] - m));
    out.max[h] = m;
    out.sum[h] = sum;
  }
  // Pass 3: value rows tile by tile (each read once from memory); within a tile, 16 output
  // columns at a time with the group's accumulators in registers.
  for (size_t t0 = 0; t0 < n; t0 += kTile) {
    const size_t t1 = std::min(n, t0 + kTile);
    for (size_t l = 0; l < lanes; l += 2) {
      const bool pair = l + 1 < lanes;
      __m256 c0[G == 0 ? kMaxGroup : G], c1[G == 0 ? kMaxGroup : G];
      for (size_t h = 0; h < g; ++h) {
        c0[h] = _mm256_loadu_ps(&out.acc[h * d + l * 8]);
        c1[h] = pair ? _mm256_loadu_ps(&out.acc[h * d + l * 8 + 8]) : _mm256_setzero_ps();
      }
      for (size_t t = t0; t < t1; ++t) {
        const size_t row = (begin + t) * d + l * 8;
        if (l == 0) PrefetchRow(p, p.values[kv], (begin + t) * d + kTile * d - kPrefetchBytes / (p.f16 ? 2 : 4));
        const __m256 v0 = Load8(p, p.values[kv], row);
        const __m256 v1 = pair ? Load8(p, p.values[kv], row + 8) : _mm256_setzero_ps();
        for (size_t h = 0; h < g; ++h) {
          const __m256 w = _mm256_broadcast_ss(&scores[h * n + t]);
          c0[h] = _mm256_fmadd_ps(w, v0, c0[h]);
          c1[h] = _mm256_fmadd_ps(w, v1, c1[h]);
        }
      }
      for (size_t h = 0; h < g; ++h) {
        _mm256_storeu_ps(&out.acc[h * d + l * 8], c0[h]);
        if (pair) _mm256_storeu_ps(&out.acc[h * d + l * 8 + 8], c1[h]);
      }
    }
  }
}

using ItemFn = void (*)(const Problem&, size_t, size_t, size_t, Partial&, std::vector<float>&);

// Qwen2.5's groups: 7 (0.5B, 7B), 6 (1.5B), 8 (3B); the others take the general loop.
ItemFn Avx2ItemFor(size_t group) {
  switch (group) {
    case 1: return ItemAvx2<1>;
    case 2: return ItemAvx2<2>;
    case 4: return ItemAvx2<4>;
    case 6: return ItemAvx2<6>;
    case 7: return ItemAvx2<7>;
    case 8: return ItemAvx2<8>;
    default: return ItemAvx2<0>;
  }
}

bool HasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
  return has;
}

#define APOLLO_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma,f16c")))

APOLLO_AVX512 inline __m512 Exp512(__m512 x) {
  const __m512 lo = _mm512_set1_ps(-87.33654f);
  const __mmask16 underflow = _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ);
  x = _mm512_max_ps(x, lo);
  const __m512 log2e = _mm512_set1_ps(1.44269504088896341f);
  __m512 fx = _mm512_roundscale_ps(_mm512_mul_ps(x, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  x = _mm512_fnmadd_ps(fx, _mm512_set1_ps(0.693359375f), x);
  x = _mm512_fnmadd_ps(fx, _mm512_set1_ps(-2.12194440e-4f), x);
  __m512 y = _mm512_set1_ps(1.9875691500E-4f);
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(1.3981999507E-3f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(8.3334519073E-3f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(4.1665795894E-2f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(1.6666665459E-1f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(5.0000001201E-1f));
  const __m512 x2 = _mm512_mul_ps(x, x);
  y = _mm512_fmadd_ps(y, x2, _mm512_add_ps(x, _mm512_set1_ps(1.0f)));
  const __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(fx), _mm512_set1_epi32(127)), 23);
  y = _mm512_mul_ps(y, _mm512_castsi512_ps(e));
  return _mm512_maskz_mov_ps(static_cast<__mmask16>(~underflow), y);
}

APOLLO_AVX512 inline __m512 Load16(const Problem& p, const void* base, size_t offset) {
  if (p.f16) return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(static_cast<const uint16_t*>(base) + offset)));
  return _mm512_loadu_ps(static_cast<const float*>(base) + offset);
}

APOLLO_AVX512 inline void PrefetchRow512(const Problem& p, const void* base, size_t offset) {
  const char* at = static_cast<const char*>(base) + offset * (p.f16 ? 2 : 4) + kPrefetchBytes;
  const size_t bytes = p.d * (p.f16 ? 2 : 4);
  for (size_t b = 0; b < bytes; b += 64) _mm_prefetch(at + b, _MM_HINT_T0);
}

// Sums of a and b, as (sum a, sum b): one reduction tree for two rows' dot products.
APOLLO_AVX512 inline void Sum16Pair(__m512 a, __m512 b, float* sa, float* sb) {
  // Halve both to 256 bits, then interleave so one 256-bit tree reduces both.
  const __m256 a8 = _mm256_add_ps(_mm512_castps512_ps256(a), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1)));
  const __m256 b8 = _mm256_add_ps(_mm512_castps512_ps256(b), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(b), 1)));
  const __m256 h = _mm256_hadd_ps(a8, b8);  // a01 a23 b01 b23 | a45 a67 b45 b67
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));  // a(0,1) a(2,3) b(0,1) b(2,3) partials
  const __m128 t = _mm_hadd_ps(s, s);  // a b a b
  *sa = _mm_cvtss_f32(t);
  *sb = _mm_cvtss_f32(_mm_shuffle_ps(t, t, 1));
}

// The AVX-512 twin of ItemAvx2 (same three passes), for d % 16 == 0.
template <size_t G>
APOLLO_AVX512 void ItemAvx512(const Problem& p, size_t kv, size_t begin, size_t end, Partial& out, std::vector<float>& scores) {
  const size_t g = G == 0 ? p.group : G, d = p.d, n = end - begin, lanes = d / 16;
  scores.resize(g * n);
  const float* q = p.q + kv * g * d;
  size_t r = 0;
  for (; r + 2 <= n; r += 2) {
    const size_t row0 = (begin + r) * d, row1 = row0 + d;
    PrefetchRow512(p, p.keys[kv], row0);
    PrefetchRow512(p, p.keys[kv], row1);
    __m512 a0[G == 0 ? kMaxGroup : G], a1[G == 0 ? kMaxGroup : G];
    for (size_t h = 0; h < g; ++h) a0[h] = a1[h] = _mm512_setzero_ps();
    for (size_t l = 0; l < lanes; ++l) {
      const __m512 k0 = Load16(p, p.keys[kv], row0 + l * 16);
      const __m512 k1 = Load16(p, p.keys[kv], row1 + l * 16);
      for (size_t h = 0; h < g; ++h) {
        const __m512 qv = _mm512_loadu_ps(q + h * d + l * 16);
        a0[h] = _mm512_fmadd_ps(qv, k0, a0[h]);
        a1[h] = _mm512_fmadd_ps(qv, k1, a1[h]);
      }
    }
    for (size_t h = 0; h < g; ++h) {
      float s0, s1;
      Sum16Pair(a0[h], a1[h], &s0, &s1);
      scores[h * n + r] = s0 * p.scale;
      scores[h * n + r + 1] = s1 * p.scale;
    }
  }
  for (; r < n; ++r) {
    const size_t row = (begin + r) * d;
    __m512 acc[G == 0 ? kMaxGroup : G];
    for (size_t h = 0; h < g; ++h) acc[h] = _mm512_setzero_ps();
    for (size_t l = 0; l < lanes; ++l) {
      const __m512 k = Load16(p, p.keys[kv], row + l * 16);
      for (size_t h = 0; h < g; ++h) acc[h] = _mm512_fmadd_ps(_mm512_loadu_ps(q + h * d + l * 16), k, acc[h]);
    }
    for (size_t h = 0; h < g; ++h) scores[h * n + r] = _mm512_reduce_add_ps(acc[h]) * p.scale;
  }
  out.max.assign(g, 0.0f);
  out.sum.assign(g, 0.0f);
  out.acc.assign(g * d, 0.0f);
  for (size_t h = 0; h < g; ++h) {
    float* s = &scores[h * n];
    __m512 mv = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
    size_t i = 0;
    for (; i + 16 <= n; i += 16) mv = _mm512_max_ps(mv, _mm512_loadu_ps(s + i));
    float m = _mm512_reduce_max_ps(mv);
    for (; i < n; ++i) m = std::max(m, s[i]);
    mv = _mm512_set1_ps(m);
    __m512 sumv = _mm512_setzero_ps();
    i = 0;
    for (; i + 16 <= n; i += 16) {
      const __m512 e = Exp512(_mm512_sub_ps(_mm512_loadu_ps(s + i), mv));
      _mm512_storeu_ps(s + i, e);
      sumv = _mm512_add_ps(sumv, e);
    }
    float sum = _mm512_reduce_add_ps(sumv);
    for (; i < n; ++i) sum += (s[i] = std::exp(s[i] - m));
    out.max[h] = m;
    out.sum[h] = sum;
  }
  for (size_t t0 = 0; t0 < n; t0 += kTile) {
    const size_t t1 = std::min(n, t0 + kTile);
    for (size_t l = 0; l < lanes; l += 2) {
      const bool pair = l + 1 < lanes;
      __m512 c0[G == 0 ? kMaxGroup : G], c1[G == 0 ? kMaxGroup : G];
      for (size_t h = 0; h < g; ++h) {
        c0[h] = _mm512_loadu_ps(&out.acc[h * d + l * 16]);
        c1[h] = pair ? _mm512_loadu_ps(&out.acc[h * d + l * 16 + 16]) : _mm512_setzero_ps();
      }
      for (size_t t = t0; t < t1; ++t) {
        const size_t row = (begin + t) * d + l * 16;
        if (l == 0) PrefetchRow512(p, p.values[kv], (begin + t) * d + kTile * d - kPrefetchBytes / (p.f16 ? 2 : 4));
        const __m512 v0 = Load16(p, p.values[kv], row);
        const __m512 v1 = pair ? Load16(p, p.values[kv], row + 16) : _mm512_setzero_ps();
        for (size_t h = 0; h < g; ++h) {
          const __m512 w = _mm512_set1_ps(scores[h * n + t]);
          c0[h] = _mm512_fmadd_ps(w, v0, c0[h]);
          c1[h] = _mm512_fmadd_ps(w, v1, c1[h]);
        }
      }
      for (size_t h = 0; h < g; ++h) {
        _mm512_storeu_ps(&out.acc[h * d + l * 16], c0[h]);
        if (pair) _mm512_storeu_ps(&out.acc[h * d + l * 16 + 16], c1[h]);
      }
    }
  }
}

ItemFn Avx512ItemFor(size_t group) {
  switch (group) {
    case 1: return ItemAvx512<1>;
    case 2: return ItemAvx512<2>;
    case 4: return ItemAvx512<4>;
    case 6: return ItemAvx512<6>;
    case 7: return ItemAvx512<7>;
    case 8: return ItemAvx512<8>;
    default: return ItemAvx512<0>;
  }
}

bool HasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") && HasAvx2();
  return has;
}
#endif

// Threads kept for the attention of every layer of every token: starting and joining a thread
// per call cost 90–180 µs here (measured in this VM), ~3–5 ms per 28-layer token. Idle threads
// sleep on a condition variable (onnxruntime's own pools run between layers, so nothing spins).
// The pool is never destroyed: its threads end with the process.
class WorkerPool {
 public:
  static WorkerPool& Shared() {
    static WorkerPool* pool = new WorkerPool();
    return *pool;
  }

  // Runs fn(ctx) on `helpers` pool threads and on the caller; returns when every run has returned.
  void Run(size_t helpers, void (*fn)(void*), void* ctx) {
    if (helpers == 0) {
      fn(ctx);
      return;
    }
    std::lock_guard<std::mutex> serial(run_mu_);  // one job at a time (several JS threads may call)
    {
      std::unique_lock<std::mutex> lock(mu_);
      while (threads_.size() < helpers) threads_.emplace_back([this] { Loop(); });
      fn_ = fn;
      ctx_ = ctx;
      wanted_ = helpers;
      claimed_ = 0;
      finished_ = 0;
      ++generation_;
    }
    start_.notify_all();
    fn(ctx);
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return finished_ == wanted_; });
    fn_ = nullptr;
  }

 private:
  void Loop() {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      start_.wait(lock, [&] { return generation_ != seen && claimed_ < wanted_; });
      seen = generation_;
      ++claimed_;
      void (*fn)(void*) = fn_;
      void* ctx = ctx_;
      lock.unlock();
      fn(ctx);
      lock.lock();
      if (++finished_ == wanted_) done_.notify_one();
    }
  }

  std::mutex run_mu_, mu_;
  std::condition_variable start_, done_;
  std::vector<std::thread> threads_;
  void (*fn_)(void*) = nullptr;
  void* ctx_ = nullptr;
  uint64_t generation_ = 0;
  size_t wanted_ = 0, claimed_ = 0, finished_ = 0;
};

enum class Kernel { kAuto, kAvx512, kAvx2, kScalar };

// The kernels this CPU and build can run, fastest first.
std::vector<Kernel> AvailableKernels(size_t d, size_t g) {
  std::vector<Kernel> kernels;
#ifdef APOLLO_ATTENTION_X86
  if (HasAvx512() && d % 16 == 0 && g <= kMaxGroup) kernels.push_back(Kernel::kAvx512);
  if (HasAvx2() && d % 8 == 0 && g <= kMaxGroup) kernels.push_back(Kernel::kAvx2);
#endif
  kernels.push_back(Kernel::kScalar);
  return kernels;
}

const char* KernelName(Kernel k) {
  switch (k) {
    case Kernel::kAvx512: return "avx512";
    case Kernel::kAvx2: return "avx2";
    case Kernel::kScalar: return "scalar";
    default: return "auto";
  }
}

Kernel KernelNamed(const std::string& name) {
  for (Kernel k : {Kernel::kAvx512, Kernel::kAvx2, Kernel::kScalar})
    if (name == KernelName(k)) return k;
  return Kernel::kAuto;
}

void Attend(const Problem& p, float* out, size_t threads, Kernel kernel) {
  const size_t d = p.d, g = p.group;
  // Items of at least 512 rows, enough of them to keep every thread busy.
  const size_t per_head = std::max<size_t>(1, std::min((p.length + 511) / 512, (threads + p.kv_heads - 1) / p.kv_heads));
  const size_t rows = (p.length + per_head - 1) / per_head;
  const size_t items = p.kv_heads * per_head;
  std::vector<Partial> partials(items);
  std::atomic<size_t> next{0};
#ifdef APOLLO_ATTENTION_X86
  if (kernel == Kernel::kAuto) kernel = AvailableKernels(d, g).front();
  const ItemFn fast = kernel == Kernel::kAvx512 ? Avx512ItemFor(g) : kernel == Kernel::kAvx2 ? Avx2ItemFor(g) : nullptr;
#else
  (void)kernel;
#endif
  auto work = [&]() {
    std::vector<float> scores;
    for (size_t i; (i = next.fetch_add(1)) < items;) {
      const size_t kv = i / per_head;
      const size_t begin = (i % per_head) * rows;
      const size_t end = std::min(p.length, begin + rows);
      Partial& part = partials[i];
      if (begin >= end) {
        part.max.assign(g, -std::numeric_limits<float>::infinity());
        part.sum.assign(g, 0.0f);
        part.acc.assign(g * d, 0.0f);
        continue;
      }
#ifdef APOLLO_ATTENTION_X86
      if (fast != nullptr) {
        fast(p, kv, begin, end, part, scores);
        continue;
      }
#endif
      ItemScalar(p, kv, begin, end, part, scores);
    }
  };
  // Waking a pool thread costs microseconds: only long caches are worth more than one.
  const size_t helpers = std::min(std::min(threads, items), std::max<size_t>(1, p.length * p.kv_heads / 2048)) - 1;
  WorkerPool::Shared().Run(helpers, [](void* w) { (*static_cast<decltype(work)*>(w))(); }, &work);
  // Merge each kv head's items: rescale to the common max, then normalise.
  for (size_t kv = 0; kv < p.kv_heads; ++kv) {
    for (size_t h = 0; h < g; ++h) {
      float m = -std::numeric_limits<float>::infinity();
      for (size_t c = 0; c < per_head; ++c) m = std::max(m, partials[kv * per_head + c].max[h]);
      float sum = 0.0f;
      float* o = out + (kv * g + h) * d;
      std::fill(o, o + d, 0.0f);
      for (size_t c = 0; c < per_head; ++c) {
        const Partial& part = partials[kv * per_head + c];
        if (part.sum[h] == 0.0f) continue;
        const float w = std::exp(part.max[h] - m);
        sum += part.sum[h] * w;
        const float* a = &part.acc[h * d];
        for (size_t i = 0; i < d; ++i) o[i] += a[i] * w;
      }
      const float inv = 1.0f / sum;
      for (size_t i = 0; i < d; ++i) o[i] *= inv;
    }
  }
}

// attendDecode(q: Float32Array [heads·d], keys: (Float32Array | Uint16Array)[kvHeads],
//              values: same, length: number, out: Float32Array [heads·d], heads: number,
//              threads: number, kernel?: 'avx512' | 'avx2' | 'scalar'): void
Napi::Value JsAttendDecode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 7 || info.Length() > 8 || !info[1].IsArray() || !info[2].IsArray() || !info[3].IsNumber() || !info[5].IsNumber() || !info[6].IsNumber() ||
      (info.Length() == 8 && !info[7].IsString() && !info[7].IsUndefined())) {
    Napi::TypeError::New(env, "attendDecode(q, keys[], values[], length, out, heads, threads, kernel?)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Problem p;
  size_t nq = 0, no = 0;
  float* q = nullptr;
  float* out = nullptr;
  if (!GetTypedArray(env, info[0], napi_float32_array, "q", &q, &nq)) return env.Undefined();
  if (!GetTypedArray(env, info[4], napi_float32_array, "out", &out, &no)) return env.Undefined();
  p.q = q;
  p.heads = info[5].As<Napi::Number>().Uint32Value();
  p.length = info[3].As<Napi::Number>().Uint32Value();
  const size_t threads = std::max<uint32_t>(1, info[6].As<Napi::Number>().Uint32Value());
  auto keys = info[1].As<Napi::Array>();
  auto values = info[2].As<Napi::Array>();
  p.kv_heads = keys.Length();
  if (p.heads == 0 || p.kv_heads == 0 || values.Length() != p.kv_heads || p.heads % p.kv_heads != 0 || nq % p.heads != 0 || no != nq || p.length == 0) {
    Napi::RangeError::New(env, "attendDecode: inconsistent heads, kv heads, lengths or an empty cache").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  p.d = nq / p.heads;
  p.group = p.heads / p.kv_heads;
  p.scale = 1.0f / std::sqrt(static_cast<float>(p.d));
  for (uint32_t j = 0; j < 2 * p.kv_heads; ++j) {
    Napi::Value v = j < p.kv_heads ? keys.Get(j) : values.Get(j - static_cast<uint32_t>(p.kv_heads));
    if (!v.IsTypedArray()) {
      Napi::TypeError::New(env, "attendDecode: keys and values must be typed arrays").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto arr = v.As<Napi::TypedArray>();
    const bool half = arr.TypedArrayType() == napi_uint16_array;
    if (!half && arr.TypedArrayType() != napi_float32_array) {
      Napi::TypeError::New(env, "attendDecode: cache buffers must be Float32Array or Uint16Array (float16)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (j == 0) p.f16 = half;
    if (half != p.f16 || arr.ElementLength() < p.length * p.d) {
      Napi::RangeError::New(env, "attendDecode: cache buffers differ in type or hold fewer than length rows").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    const void* data = static_cast<const uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
    (j < p.kv_heads ? p.keys : p.values).push_back(data);
  }
  Kernel kernel = Kernel::kAuto;
  if (info.Length() == 8 && info[7].IsString()) {
    const std::string name = info[7].As<Napi::String>().Utf8Value();
    kernel = KernelNamed(name);
    const auto available = AvailableKernels(p.d, p.group);
    if (kernel == Kernel::kAuto || std::find(available.begin(), available.end(), kernel) == available.end()) {
      Napi::RangeError::New(env, "attendDecode: kernel '" + name + "' is not available for this CPU and head size").ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }
  Attend(p, out, threads, kernel);
  return env.Undefined();
}

// attentionKernels(headDim: number, group: number): string[] — the kernels this CPU runs for that
// shape, the one chosen by default first.
Napi::Value JsAttentionKernels(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "attentionKernels(headDim, group)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const auto kernels = AvailableKernels(info[0].As<Napi::Number>().Uint32Value(), info[1].As<Napi::Number>().Uint32Value());
  Napi::Array names = Napi::Array::New(env, kernels.size());
  for (uint32_t i = 0; i < kernels.size(); ++i) names.Set(i, Napi::String::New(env, KernelName(kernels[i])));
  return names;
}

}  // namespace

void RegisterAttention(Napi::Env env, Napi::Object exports) {
  exports.Set("attendDecode", Napi::Function::New(env, JsAttendDecode));
  exports.Set("attentionKernels", Napi::Function::New(env, JsAttentionKernels));
}

}  // namespace apollo
