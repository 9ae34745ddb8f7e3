// Preprocessing kernels; see preprocess.h. The coefficient tables are computed in double/float
// exactly as Pillow and OpenCV do, so floating-point contraction (FMA) must stay off in this file.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#elif defined(_MSC_VER)
#pragma fp_contract(off)
#endif

#include "preprocess.h"

#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "napi-helpers.h"
#include "register.h"

// The hot loops are plain and contiguous; on x86-64 Linux GCC also builds an AVX2 clone of them
// (32-bit integer multiplies need SSE4.1+) and picks one at load time.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__)
#define APOLLO_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define APOLLO_VECTOR_CLONES
#endif

namespace apollo {
namespace {

// ---------------------------------------------------------------------------------------------
// Canvas rows and transposes

std::vector<uint8_t> FillRow(const CanvasPlacement& p, int pixels) {
  std::vector<uint8_t> row(static_cast<size_t>(pixels) * 3);
  for (int x = 0; x < pixels; ++x) std::memcpy(&row[static_cast<size_t>(x) * 3], p.fill, 3);
  return row;
}

// Row y of the canvas: a pointer into src, the fill row, or composed into scratch.
const uint8_t* CanvasRow(const uint8_t* src, int width, int height, const CanvasPlacement& p, int y,
                         const uint8_t* fillRow, uint8_t* scratch) {
  if (y < p.top || y >= p.top + height) return fillRow;
  const uint8_t* row = src + static_cast<size_t>(y - p.top) * width * 3;
  if (width == p.canvasWidth) return row;
  std::memcpy(scratch, fillRow, static_cast<size_t>(p.canvasWidth) * 3);
  std::memcpy(scratch + static_cast<size_t>(p.left) * 3, row, static_cast<size_t>(width) * 3);
  return scratch;
}

void CopyCanvas(const uint8_t* src, int width, int height, const CanvasPlacement& p, uint8_t* dst) {
  const std::vector<uint8_t> fill = FillRow(p, p.canvasWidth);
  std::vector<uint8_t> scratch(fill.size());
  const size_t rowBytes = fill.size();
  for (int y = 0; y < p.canvasHeight; ++y) {
    std::memcpy(dst + y * rowBytes, CanvasRow(src, width, height, p, y, fill.data(), scratch.data()), rowBytes);
  }
}

// out[c][r] = in[r][c] for a rows x cols block of 3-byte pixels; strides are in pixels. Tiles keep
// both sides in cache.
void TransposeRgb(const uint8_t* in, int rows, int cols, size_t inStride, uint8_t* out, size_t outStride) {
  constexpr int kTile = 32;
  for (int r0 = 0; r0 < rows; r0 += kTile) {
    const int r1 = std::min(rows, r0 + kTile);
    for (int c0 = 0; c0 < cols; c0 += kTile) {
      const int c1 = std::min(cols, c0 + kTile);
      for (int c = c0; c < c1; ++c) {
        uint8_t* o = out + (c * outStride + r0) * 3;
        const uint8_t* i = in + (r0 * inStride + c) * 3;
        for (int r = r0; r < r1; ++r, o += 3, i += inStride * 3) {
          o[0] = i[0];
          o[1] = i[1];
          o[2] = i[2];
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// PIL bicubic (Pillow's Resample.c, 8 bits per channel)

constexpr int kPilPrecisionBits = 22;  // 32 - 8 - 2: room for the negative lobes in an int32
constexpr int32_t kPilHalf = 1 << (kPilPrecisionBits - 1);

struct ResampleTable {
  int ksize = 0;
  std::vector<int32_t> starts;
  std::vector<int32_t> counts;
  std::vector<int32_t> coeffs;  // outSize x ksize
};

double BicubicFilter(double x) {
  // Keys' cubic, a = -0.5, in Pillow's order of operations so the doubles match bit for bit.
  const double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

ResampleTable PilBicubicTable(int inSize, int outSize) {
  ResampleTable t;
  const double scale = static_cast<double>(inSize) / outSize;
  // Downscaling widens the filter by the scale factor: Pillow's antialiasing.
  const double filterScale = scale < 1.0 ? 1.0 : scale;
  const double support = 2.0 * filterScale;
  t.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  t.starts.resize(outSize);
  t.counts.resize(outSize);
  t.coeffs.assign(static_cast<size_t>(outSize) * t.ksize, 0);
  std::vector<double> w(t.ksize);
  const double ss = 1.0 / filterScale;
  for (int xx = 0; xx < outSize; ++xx) {
    const double center = (xx + 0.5) * scale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      w[x] = BicubicFilter((x + xmin - center + 0.5) * ss);
      ww += w[x];
    }
    for (int x = 0; x < xmax; ++x) {
      const double k = ww != 0.0 ? w[x] / ww : w[x];
      t.coeffs[static_cast<size_t>(xx) * t.ksize + x] =
          k < 0 ? static_cast<int32_t>(-0.5 + k * (1 << kPilPrecisionBits)) : static_cast<int32_t>(0.5 + k * (1 << kPilPrecisionBits));
    }
    t.starts[xx] = xmin;
    t.counts[xx] = xmax;
  }
  return t;
}

inline uint8_t Clip8(int32_t ss) {
  const int32_t v = ss >> kPilPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

// out row i = clip8(sum_t k[i][t] * in row (start_i + t)), every value of a row independently:
// Pillow's vertical pass, and its horizontal pass when run on a transposed image.
APOLLO_VECTOR_CLONES
void ResampleAlongRows(const uint8_t* in, size_t rowLen, const ResampleTable& t, int outRows, uint8_t* out) {
  // Blocks of kBlock values keep their accumulators in vector registers across all taps.
  constexpr size_t kBlock = 32;
  for (int i = 0; i < outRows; ++i) {
    const int32_t* k = &t.coeffs[static_cast<size_t>(i) * t.ksize];
    const uint8_t* first = in + static_cast<size_t>(t.starts[i]) * rowLen;
    const int taps = t.counts[i];
    uint8_t* o = out + static_cast<size_t>(i) * rowLen;
    size_t j0 = 0;
    for (; j0 + kBlock <= rowLen; j0 += kBlock) {
      int32_t acc[kBlock];
      for (size_t j = 0; j < kBlock; ++j) acc[j] = kPilHalf;
      const uint8_t* row = first + j0;
      for (int tap = 0; tap < taps; ++tap, row += rowLen) {
        const int32_t kt = k[tap];
        for (size_t j = 0; j < kBlock; ++j) acc[j] += static_cast<int32_t>(row[j]) * kt;
      }
      for (size_t j = 0; j < kBlock; ++j) o[j0 + j] = Clip8(acc[j]);
    }
    for (size_t j = j0; j < rowLen; ++j) {
      int32_t acc = kPilHalf;
      const uint8_t* row = first + j;
      for (int tap = 0; tap < taps; ++tap, row += rowLen) acc += static_cast<int32_t>(*row) * k[tap];
      o[j] = Clip8(acc);
    }
  }
}

}  // namespace

void PadResizePilBicubic(const uint8_t* src, int width, int height, const CanvasPlacement& p, uint8_t* dst,
                         int outWidth, int outHeight) {
  const int cw = p.canvasWidth;
  const int ch = p.canvasHeight;
  const bool needH = outWidth != cw;
  const bool needV = outHeight != ch;
  const size_t midRow = static_cast<size_t>(needH ? outWidth : cw) * 3;
  // Work buffers are reused across calls: fresh multi-megabyte allocations cost more in page
  // faults than the filtering itself.
  thread_local std::vector<uint8_t> mid, columns, filtered;
  mid.resize(midRow * ch);
  if (needH) {
    // Horizontal pass on strips of the frame transposed into columns, so that it runs along
    // contiguous memory that stays in cache. Only the frame's own rows are filtered: padding rows
    // are constant and filter to one constant row.
    constexpr int kStrip = 32;
    const size_t stripValues = static_cast<size_t>(kStrip) * 3;
    const ResampleTable table = PilBicubicTable(cw, outWidth);
    columns.resize(static_cast<size_t>(cw) * stripValues);  // cw rows of kStrip pixels
    filtered.resize(static_cast<size_t>(outWidth) * stripValues);
    const std::vector<uint8_t> fillColumn = FillRow(p, kStrip);
    for (int x = 0; x < cw; ++x) {
      if (x < p.left || x >= p.left + width) std::memcpy(&columns[x * stripValues], fillColumn.data(), stripValues);
    }
    for (int r0 = 0; r0 < height; r0 += kStrip) {
      const int rows = std::min(kStrip, height - r0);
      TransposeRgb(src + static_cast<size_t>(r0) * width * 3, rows, width, width, columns.data() + p.left * stripValues, kStrip);
      ResampleAlongRows(columns.data(), stripValues, table, outWidth, filtered.data());
      TransposeRgb(filtered.data(), outWidth, rows, kStrip, mid.data() + static_cast<size_t>(p.top + r0) * midRow, outWidth);
    }
    if (height < ch) {
      const std::vector<uint8_t> fill = FillRow(p, cw);
      std::vector<uint8_t> fillOut(midRow);
      // The padding row, seen as cw one-pixel rows, through the same coefficients.
      ResampleAlongRows(fill.data(), 3, table, outWidth, fillOut.data());
      for (int y = 0; y < ch; ++y) {
        if (y < p.top || y >= p.top + height) std::memcpy(&mid[y * midRow], fillOut.data(), midRow);
      }
    }
  } else {
    CopyCanvas(src, width, height, p, mid.data());
  }
  if (!needV) {
    std::memcpy(dst, mid.data(), midRow * ch);
    return;
  }
  ResampleAlongRows(mid.data(), midRow, PilBicubicTable(ch, outHeight), outHeight, dst);
}

namespace {

// ---------------------------------------------------------------------------------------------
// OpenCV INTER_LINEAR (resize.cpp, 8 bits per channel, INTER_RESIZE_COEF_BITS = 11)

constexpr int kCvCoefBits = 11;
constexpr int kCvCoefScale = 1 << kCvCoefBits;

// cvRound of a float: round half to even (the default rounding mode).
inline int RoundHalfEven(float v) { return static_cast<int>(std::nearbyint(v)); }

struct LinearTable {
  std::vector<int32_t> i0, i1, w0, w1;
};

// Half-pixel centres computed in float as OpenCV does. The horizontal axis moves the weight onto
// the edge pixel outside the image; the vertical axis only clamps the rows and keeps the weights.
LinearTable Cv2LinearTable(int inSize, int outSize, bool horizontal) {
  LinearTable t;
  t.i0.resize(outSize);
  t.i1.resize(outSize);
  t.w0.resize(outSize);
  t.w1.resize(outSize);
  const double scale = 1.0 / (static_cast<double>(outSize) / inSize);
  for (int d = 0; d < outSize; ++d) {
    float f = static_cast<float>((d + 0.5) * scale - 0.5);
    int s = static_cast<int>(std::floor(f));
    f -= static_cast<float>(s);
    if (horizontal) {
      if (s < 0) f = 0.f, s = 0;
      if (s >= inSize - 1) f = 0.f, s = inSize - 1;
      t.i0[d] = s;
      t.i1[d] = std::min(s + 1, inSize - 1);
    } else {
      t.i0[d] = std::min(std::max(s, 0), inSize - 1);
      t.i1[d] = std::min(std::max(s + 1, 0), inSize - 1);
    }
    t.w0[d] = RoundHalfEven((1.f - f) * kCvCoefScale);
    t.w1[d] = RoundHalfEven(f * kCvCoefScale);
  }
  return t;
}

void Cv2HorizontalRow(const uint8_t* row, const LinearTable& t, int outWidth, int32_t* out) {
  for (int dx = 0; dx < outWidth; ++dx) {
    const uint8_t* a = row + t.i0[dx] * 3;
    const uint8_t* b = row + t.i1[dx] * 3;
    const int32_t w0 = t.w0[dx], w1 = t.w1[dx];
    out[dx * 3 + 0] = a[0] * w0 + b[0] * w1;
    out[dx * 3 + 1] = a[1] * w0 + b[1] * w1;
    out[dx * 3 + 2] = a[2] * w0 + b[2] * w1;
  }
}

// OpenCV's vector kernel (VResizeLinearVec_32s8u), which Debian's cv2 4.6 applies to every value of a
// row: 16-bit high multiplies of (value >> 4), then a rounding shift by 2.
APOLLO_VECTOR_CLONES
void Cv2VerticalRow(const int32_t* r0, const int32_t* r1, int32_t b0, int32_t b1, size_t n, uint8_t* out) {
  for (size_t x = 0; x < n; ++x) {
    const int32_t v = (((r0[x] >> 4) * b0) >> 16) + (((r1[x] >> 4) * b1) >> 16);
    const int32_t r = (v + 2) >> 2;
    out[x] = static_cast<uint8_t>(r > 255 ? 255 : r);
  }
}

bool Cv2UsesAreaHalf(int inWidth, int inHeight, int outWidth, int outHeight) {
  const double sx = 1.0 / (static_cast<double>(outWidth) / inWidth);
  const double sy = 1.0 / (static_cast<double>(outHeight) / inHeight);
  return std::abs(sx - 2.0) < 2.220446049250313e-16 && std::abs(sy - 2.0) < 2.220446049250313e-16;
}

}  // namespace

void PadResizeCv2Linear(const uint8_t* src, int width, int height, const CanvasPlacement& p, uint8_t* dst,
                        int outWidth, int outHeight) {
  const int cw = p.canvasWidth;
  const int ch = p.canvasHeight;
  if (outWidth == cw && outHeight == ch) {
    CopyCanvas(src, width, height, p, dst);
    return;
  }
  const std::vector<uint8_t> fill = FillRow(p, cw);
  std::vector<uint8_t> s0(fill.size()), s1(fill.size());
  const size_t rowValues = static_cast<size_t>(outWidth) * 3;
  if (Cv2UsesAreaHalf(cw, ch, outWidth, outHeight)) {
    // OpenCV replaces an exact 2x downscale by its 2x2 area average (rounded, +2 >> 2).
    for (int dy = 0; dy < outHeight; ++dy) {
      const uint8_t* a = CanvasRow(src, width, height, p, dy * 2, fill.data(), s0.data());
      const uint8_t* b = CanvasRow(src, width, height, p, dy * 2 + 1, fill.data(), s1.data());
      uint8_t* o = dst + dy * rowValues;
      for (size_t j = 0; j < rowValues; ++j) {
        const size_t i = (j / 3) * 6 + j % 3;
        o[j] = static_cast<uint8_t>((a[i] + a[i + 3] + b[i] + b[i + 3] + 2) >> 2);
      }
    }
    return;
  }
  const LinearTable xt = Cv2LinearTable(cw, outWidth, true);
  const LinearTable yt = Cv2LinearTable(ch, outHeight, false);
  // Horizontal results of the two most recent source rows (rows are visited in order).
  std::vector<int32_t> cache[2] = {std::vector<int32_t>(rowValues), std::vector<int32_t>(rowValues)};
  int cachedRow[2] = {-1, -1};
  int next = 0;
  auto horizontal = [&](int y) -> const int32_t* {
    if (cachedRow[0] == y) return cache[0].data();
    if (cachedRow[1] == y) return cache[1].data();
    const int slot = next;
    next ^= 1;
    Cv2HorizontalRow(CanvasRow(src, width, height, p, y, fill.data(), s0.data()), xt, outWidth, cache[slot].data());
    cachedRow[slot] = y;
    return cache[slot].data();
  };
  for (int dy = 0; dy < outHeight; ++dy) {
    const int32_t* r0 = horizontal(yt.i0[dy]);
    const int32_t* r1 = horizontal(yt.i1[dy]);
    Cv2VerticalRow(r0, r1, yt.w0[dy], yt.w1[dy], rowValues, dst + dy * rowValues);
  }
}

void RgbToPlanes(const uint8_t* src, size_t pixels, const float* lut, float* dst, size_t channelStride) {
  for (int c = 0; c < 3; ++c) {
    const float* l = lut + c * 256;
    float* o = dst + c * channelStride;
    for (size_t i = 0; i < pixels; ++i) o[i] = l[src[i * 3 + c]];
  }
}

}  // namespace apollo

// ---------------------------------------------------------------------------------------------
// N-API entry points

namespace {

bool IntArg(const Napi::Env& env, const Napi::Value& v, const char* name, int* out) {
  if (!v.IsNumber()) {
    Napi::TypeError::New(env, std::string(name) + " must be a number").ThrowAsJavaScriptException();
    return false;
  }
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 1 << 20) || d != std::floor(d)) {
    Napi::RangeError::New(env, "sizes and offsets must be non-negative integers").ThrowAsJavaScriptException();
    return false;
  }
  *out = static_cast<int>(d);
  return true;
}

// (src, width, height, canvasWidth, canvasHeight, left, top, fill, dst, outWidth, outHeight)
template <void (*Resize)(const uint8_t*, int, int, const apollo::CanvasPlacement&, uint8_t*, int, int)>
Napi::Value JsPadResize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 11) {
    Napi::TypeError::New(env, "expects (src, width, height, canvasWidth, canvasHeight, left, top, fill, dst, outWidth, outHeight)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint8_t *src, *fill, *dst;
  size_t ns, nf, nd;
  int w, h, cw, ch, left, top, ow, oh;
  if (!apollo::GetTypedArray(env, info[0], napi_uint8_array, "src", &src, &ns)) return env.Undefined();
  if (!IntArg(env, info[1], "width", &w) || !IntArg(env, info[2], "height", &h) || !IntArg(env, info[3], "canvasWidth", &cw) ||
      !IntArg(env, info[4], "canvasHeight", &ch) || !IntArg(env, info[5], "left", &left) || !IntArg(env, info[6], "top", &top)) {
    return env.Undefined();
  }
  if (!apollo::GetTypedArray(env, info[7], napi_uint8_array, "fill", &fill, &nf)) return env.Undefined();
  if (!apollo::GetTypedArray(env, info[8], napi_uint8_array, "dst", &dst, &nd)) return env.Undefined();
  if (!IntArg(env, info[9], "outWidth", &ow) || !IntArg(env, info[10], "outHeight", &oh)) return env.Undefined();
  const char* problem = nullptr;
  if (w < 1 || h < 1 || ow < 1 || oh < 1) problem = "sizes must be at least 1";
  else if (left + w > cw || top + h > ch) problem = "the frame does not fit on its canvas";
  else if (ns != static_cast<size_t>(w) * h * 3) problem = "src length is not width * height * 3";
  else if (nd != static_cast<size_t>(ow) * oh * 3) problem = "dst length is not outWidth * outHeight * 3";
  else if (nf != 3) problem = "fill must hold 3 bytes";
  if (problem != nullptr) {
    Napi::RangeError::New(env, problem).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  apollo::CanvasPlacement p{cw, ch, left, top, {fill[0], fill[1], fill[2]}};
  Resize(src, w, h, p, dst, ow, oh);
  return env.Undefined();
}

// rgbToPlanes(src: Uint8Array, lut: Float32Array, dst: Float32Array, dstOffset, channelStride)
Napi::Value JsRgbToPlanes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 5) {
    Napi::TypeError::New(env, "rgbToPlanes expects (src, lut, dst, dstOffset, channelStride)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint8_t* src;
  float *lut, *dst;
  size_t ns, nl, nd;
  if (!apollo::GetTypedArray(env, info[0], napi_uint8_array, "src", &src, &ns)) return env.Undefined();
  if (!apollo::GetTypedArray(env, info[1], napi_float32_array, "lut", &lut, &nl)) return env.Undefined();
  if (!apollo::GetTypedArray(env, info[2], napi_float32_array, "dst", &dst, &nd)) return env.Undefined();
  if (!info[3].IsNumber() || !info[4].IsNumber()) {
    Napi::TypeError::New(env, "dstOffset and channelStride must be numbers").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const double offset = info[3].As<Napi::Number>().DoubleValue();
  const double stride = info[4].As<Napi::Number>().DoubleValue();
  const char* problem = nullptr;
  const size_t pixels = ns / 3;
  if (ns % 3 != 0) problem = "src length is not a multiple of 3";
  else if (nl != 768) problem = "lut must hold 3 × 256 values";
  else if (!(offset >= 0) || !(stride >= static_cast<double>(pixels)) || offset != std::floor(offset) || stride != std::floor(stride) ||
           offset + 2 * stride + static_cast<double>(pixels) > static_cast<double>(nd)) {
    problem = "dst is too small for three planes at this offset and stride";
  }
  if (problem != nullptr) {
    Napi::RangeError::New(env, problem).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  apollo::RgbToPlanes(src, pixels, lut, dst + static_cast<size_t>(offset), static_cast<size_t>(stride));
  return env.Undefined();
}

}  // namespace

namespace apollo {
void RegisterPreprocess(Napi::Env env, Napi::Object exports) {
  exports.Set("padResizePilBicubic", Napi::Function::New(env, JsPadResize<PadResizePilBicubic>));
  exports.Set("padResizeCv2Linear", Napi::Function::New(env, JsPadResize<PadResizeCv2Linear>));
  exports.Set("rgbToPlanes", Napi::Function::New(env, JsRgbToPlanes));
}
}  // namespace apollo
