// Vision-tower preprocessing kernels (spec section 4): bit-exact re-implementations of PIL's
// Image.resize(BICUBIC) and OpenCV's cv2.resize(INTER_LINEAR) on 8-bit RGB, fused with the padding
// to a centred square, and the uint8 -> normalised float planes step. Twin: electron/engine/video/preprocess-twin.ts.
#pragma once
#include <cstddef>
#include <cstdint>

namespace apollo {

// The frame (width x height) pasted at (left, top) on a canvas of colour `fill`.
struct CanvasPlacement {
  int canvasWidth;
  int canvasHeight;
  int left;
  int top;
  uint8_t fill[3];
};

// PIL Image.resize((outWidth, outHeight), BICUBIC) of the canvas. Images are interleaved RGB.
void PadResizePilBicubic(const uint8_t* src, int width, int height, const CanvasPlacement& p, uint8_t* dst,
                         int outWidth, int outHeight);

// cv2.resize(canvas, (outWidth, outHeight), interpolation=INTER_LINEAR) as OpenCV 4.x computes it on uint8.
void PadResizeCv2Linear(const uint8_t* src, int width, int height, const CanvasPlacement& p, uint8_t* dst,
                        int outWidth, int outHeight);

// dst[c * channelStride + i] = lut[c * 256 + src[3 * i + c]] for the `pixels` pixels of src.
void RgbToPlanes(const uint8_t* src, size_t pixels, const float* lut, float* dst, size_t channelStride);

}  // namespace apollo
