// TypeScript twin of native/src/preprocess.cc: the same integer algorithms, used by the parity
// tests and as the fallback when the addon cannot load. Images are RGB uint8, interleaved.
//
// Every resize works on a virtual canvas: the frame (width × height) pasted at (left, top) on a
// canvasWidth × canvasHeight background of colour `fill`. A plain resize is a canvas equal to the frame.

/** Where a frame sits on its canvas. */
export interface CanvasPlacement {
  canvasWidth: number;
  canvasHeight: number;
  left: number;
  top: number;
  /** RGB background, 3 bytes. */
  fill: Uint8Array;
}

export function checkPlacement(src: Uint8Array, width: number, height: number, p: CanvasPlacement, dst: Uint8Array, outWidth: number, outHeight: number): void {
  const ints = [width, height, p.canvasWidth, p.canvasHeight, p.left, p.top, outWidth, outHeight];
  if (!ints.every((v) => Number.isInteger(v) && v >= 0)) throw new RangeError('sizes and offsets must be non-negative integers');
  if (width < 1 || height < 1 || outWidth < 1 || outHeight < 1) throw new RangeError('sizes must be at least 1');
  if (p.left + width > p.canvasWidth || p.top + height > p.canvasHeight) throw new RangeError('the frame does not fit on its canvas');
  if (src.length !== width * height * 3) throw new RangeError('src length is not width * height * 3');
  if (dst.length !== outWidth * outHeight * 3) throw new RangeError('dst length is not outWidth * outHeight * 3');
  if (p.fill.length !== 3) throw new RangeError('fill must hold 3 bytes');
}

/** Row y of the canvas, as a view into src, a shared fill row, or composed into `scratch`. */
function canvasRow(src: Uint8Array, width: number, height: number, p: CanvasPlacement, y: number, fillRow: Uint8Array, scratch: Uint8Array): Uint8Array {
  if (y < p.top || y >= p.top + height) return fillRow;
  const start = (y - p.top) * width * 3;
  if (width === p.canvasWidth) return src.subarray(start, start + width * 3);
  scratch.set(fillRow);
  scratch.set(src.subarray(start, start + width * 3), p.left * 3);
  return scratch;
}

function makeFillRow(p: CanvasPlacement): Uint8Array {
  const row = new Uint8Array(p.canvasWidth * 3);
  for (let x = 0; x < p.canvasWidth; x++) row.set(p.fill, x * 3);
  return row;
}

/** Copies the canvas into dst (canvasWidth × canvasHeight × 3): the padding step on its own. */
export function padToCanvasTwin(src: Uint8Array, width: number, height: number, p: CanvasPlacement, dst: Uint8Array): void {
  checkPlacement(src, width, height, p, dst, p.canvasWidth, p.canvasHeight);
  const fillRow = makeFillRow(p);
  const scratch = new Uint8Array(p.canvasWidth * 3);
  const rowBytes = p.canvasWidth * 3;
  for (let y = 0; y < p.canvasHeight; y++) dst.set(canvasRow(src, width, height, p, y, fillRow, scratch), y * rowBytes);
}

// ---- PIL Image.resize(BICUBIC), 8 bits per channel (Pillow's Resample.c) ----

const PIL_PRECISION_BITS = 22; // 32 - 8 - 2: room for negative lobes and overshoot in an int32
const PIL_HALF = 1 << (PIL_PRECISION_BITS - 1);

/** Integer coefficients of one resampling axis: for output i, `counts[i]` taps from input `starts[i]`. */
export interface ResampleTable {
  ksize: number;
  starts: Int32Array;
  counts: Int32Array;
  /** outSize × ksize fixed-point weights. */
  coeffs: Int32Array;
}

function bicubicFilter(x: number): number {
  // Keys' cubic with a = -0.5, written in PIL's order of operations so the doubles match.
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/** PIL's precompute_coeffs + normalize_coeffs_8bpc for BICUBIC (support 2), box = whole axis. */
export function pilBicubicTable(inSize: number, outSize: number): ResampleTable {
  const scale = inSize / outSize;
  // Downscaling widens the filter by the scale: PIL's antialiasing.
  const filterScale = scale < 1 ? 1 : scale;
  const support = 2 * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const starts = new Int32Array(outSize);
  const counts = new Int32Array(outSize);
  const coeffs = new Int32Array(outSize * ksize);
  const weights = new Float64Array(ksize);
  const ss = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubicFilter((x + xmin - center + 0.5) * ss);
      weights[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0 ? weights[x]! / ww : weights[x]!;
      coeffs[xx * ksize + x] = k < 0 ? Math.trunc(-0.5 + k * (1 << PIL_PRECISION_BITS)) : Math.trunc(0.5 + k * (1 << PIL_PRECISION_BITS));
    }
    starts[xx] = xmin;
    counts[xx] = xmax;
  }
  return { ksize, starts, counts, coeffs };
}

function clip8(ss: number): number {
  const v = ss >> PIL_PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function pilHorizontalRow(row: Uint8Array, t: ResampleTable, out: Uint8Array, outOffset: number, outWidth: number): void {
  const { ksize, starts, counts, coeffs } = t;
  for (let xx = 0; xx < outWidth; xx++) {
    const base = starts[xx]! * 3;
    const n = counts[xx]!;
    const kb = xx * ksize;
    let s0 = PIL_HALF;
    let s1 = PIL_HALF;
    let s2 = PIL_HALF;
    for (let x = 0; x < n; x++) {
      const k = coeffs[kb + x]!;
      const i = base + x * 3;
      s0 += row[i]! * k;
      s1 += row[i + 1]! * k;
      s2 += row[i + 2]! * k;
    }
    const o = outOffset + xx * 3;
    out[o] = clip8(s0);
    out[o + 1] = clip8(s1);
    out[o + 2] = clip8(s2);
  }
}

/** PIL `Image.resize((outWidth, outHeight), BICUBIC)` of the canvas: horizontal pass, uint8 clip, vertical pass. */
export function padResizePilBicubicTwin(
  src: Uint8Array, width: number, height: number, p: CanvasPlacement, dst: Uint8Array, outWidth: number, outHeight: number,
): void {
  checkPlacement(src, width, height, p, dst, outWidth, outHeight);
  const cw = p.canvasWidth;
  const ch = p.canvasHeight;
  const fillRow = makeFillRow(p);
  const scratch = new Uint8Array(cw * 3);
  const needH = outWidth !== cw;
  const needV = outHeight !== ch;
  // The image after the horizontal pass (or the canvas itself when no horizontal pass is needed).
  const midWidth = needH ? outWidth : cw;
  const mid = new Uint8Array(midWidth * ch * 3);
  const midRow = midWidth * 3;
  if (needH) {
    const table = pilBicubicTable(cw, outWidth);
    // Padding rows are all equal, so their horizontal pass is computed once.
    const fillOut = new Uint8Array(midRow);
    pilHorizontalRow(fillRow, table, fillOut, 0, outWidth);
    for (let y = 0; y < ch; y++) {
      const row = canvasRow(src, width, height, p, y, fillRow, scratch);
      if (row === fillRow) mid.set(fillOut, y * midRow);
      else pilHorizontalRow(row, table, mid, y * midRow, outWidth);
    }
  } else {
    for (let y = 0; y < ch; y++) mid.set(canvasRow(src, width, height, p, y, fillRow, scratch), y * midRow);
  }
  if (!needV) {
    dst.set(mid);
    return;
  }
  const { ksize, starts, counts, coeffs } = pilBicubicTable(ch, outHeight);
  const acc = new Int32Array(midRow);
  for (let yy = 0; yy < outHeight; yy++) {
    acc.fill(PIL_HALF);
    const n = counts[yy]!;
    for (let y = 0; y < n; y++) {
      const k = coeffs[yy * ksize + y]!;
      const base = (starts[yy]! + y) * midRow;
      for (let x = 0; x < midRow; x++) acc[x] = acc[x]! + mid[base + x]! * k;
    }
    const o = yy * midRow;
    for (let x = 0; x < midRow; x++) dst[o + x] = clip8(acc[x]!);
  }
}

// ---- OpenCV cv2.resize(INTER_LINEAR), 8 bits per channel (OpenCV 4.x resize.cpp) ----

const CV_COEF_BITS = 11;
const CV_COEF_SCALE = 1 << CV_COEF_BITS;
const f32 = Math.fround;

/** cvRound of a float: round half to even. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** One axis of OpenCV's linear map: sources i0/i1 (clamped) and 11-bit weights w0/w1 per output. */
export interface LinearTable {
  i0: Int32Array;
  i1: Int32Array;
  w0: Int32Array;
  w1: Int32Array;
}

/** Half-pixel centres in float32 as OpenCV computes them; `clampBoth` is the horizontal axis' edge rule. */
export function cv2LinearTable(inSize: number, outSize: number): LinearTable {
  const scale = 1 / (outSize / inSize);
  const t: LinearTable = { i0: new Int32Array(outSize), i1: new Int32Array(outSize), w0: new Int32Array(outSize), w1: new Int32Array(outSize) };
  for (let d = 0; d < outSize; d++) {
    let f = f32((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = f32(f - s);
    // Outside the image the weight collapses onto the edge pixel (OpenCV clamps fx to 0 there).
    if (s < 0) {
      f = 0;
      s = 0;
    }
    if (s >= inSize - 1) {
      f = 0;
      s = inSize - 1;
    }
    t.i0[d] = s;
    t.i1[d] = Math.min(s + 1, inSize - 1);
    t.w0[d] = roundHalfEven(f32(1 - f) * CV_COEF_SCALE);
    t.w1[d] = roundHalfEven(f * CV_COEF_SCALE);
  }
  return t;
}

/** The vertical rows of OpenCV's map: rows are clamped but the weights are kept (unlike the horizontal axis). */
export function cv2LinearRowTable(inSize: number, outSize: number): LinearTable {
  const scale = 1 / (outSize / inSize);
  const t: LinearTable = { i0: new Int32Array(outSize), i1: new Int32Array(outSize), w0: new Int32Array(outSize), w1: new Int32Array(outSize) };
  for (let d = 0; d < outSize; d++) {
    let f = f32((d + 0.5) * scale - 0.5);
    const s = Math.floor(f);
    f = f32(f - s);
    t.i0[d] = Math.min(Math.max(s, 0), inSize - 1);
    t.i1[d] = Math.min(Math.max(s + 1, 0), inSize - 1);
    t.w0[d] = roundHalfEven(f32(1 - f) * CV_COEF_SCALE);
    t.w1[d] = roundHalfEven(f * CV_COEF_SCALE);
  }
  return t;
}

function cv2HorizontalRow(row: Uint8Array, t: LinearTable, out: Int32Array, outWidth: number): void {
  for (let dx = 0; dx < outWidth; dx++) {
    const a = t.i0[dx]! * 3;
    const b = t.i1[dx]! * 3;
    const w0 = t.w0[dx]!;
    const w1 = t.w1[dx]!;
    const o = dx * 3;
    out[o] = row[a]! * w0 + row[b]! * w1;
    out[o + 1] = row[a + 1]! * w0 + row[b + 1]! * w1;
    out[o + 2] = row[a + 2]! * w0 + row[b + 2]! * w1;
  }
}

function cv2AreaHalf(src: Uint8Array, width: number, height: number, p: CanvasPlacement, dst: Uint8Array, outWidth: number, outHeight: number): void {
  const fillRow = makeFillRow(p);
  const s0 = new Uint8Array(p.canvasWidth * 3);
  const s1 = new Uint8Array(p.canvasWidth * 3);
  for (let dy = 0; dy < outHeight; dy++) {
    const r0 = canvasRow(src, width, height, p, dy * 2, fillRow, s0);
    const r1 = canvasRow(src, width, height, p, dy * 2 + 1, fillRow, s1);
    const o = dy * outWidth * 3;
    for (let dx = 0; dx < outWidth; dx++) {
      for (let c = 0; c < 3; c++) {
        const i = dx * 6 + c;
        dst[o + dx * 3 + c] = (r0[i]! + r0[i + 3]! + r1[i]! + r1[i + 3]! + 2) >> 2;
      }
    }
  }
}

/** Whether OpenCV turns this INTER_LINEAR resize into its exact 2×2 area average. */
export function cv2UsesAreaHalf(inWidth: number, inHeight: number, outWidth: number, outHeight: number): boolean {
  const sx = 1 / (outWidth / inWidth);
  const sy = 1 / (outHeight / inHeight);
  return Math.abs(sx - 2) < Number.EPSILON && Math.abs(sy - 2) < Number.EPSILON;
}

/** `cv2.resize(canvas, (outWidth, outHeight), interpolation=cv2.INTER_LINEAR)` as OpenCV 4.x computes it on uint8. */
export function padResizeCv2LinearTwin(
  src: Uint8Array, width: number, height: number, p: CanvasPlacement, dst: Uint8Array, outWidth: number, outHeight: number,
): void {
  checkPlacement(src, width, height, p, dst, outWidth, outHeight);
  const cw = p.canvasWidth;
  const ch = p.canvasHeight;
  if (outWidth === cw && outHeight === ch) {
    padToCanvasTwin(src, width, height, p, dst);
    return;
  }
  if (cv2UsesAreaHalf(cw, ch, outWidth, outHeight)) {
    cv2AreaHalf(src, width, height, p, dst, outWidth, outHeight);
    return;
  }
  const xt = cv2LinearTable(cw, outWidth);
  const yt = cv2LinearRowTable(ch, outHeight);
  const fillRow = makeFillRow(p);
  const scratch = new Uint8Array(cw * 3);
  const rowValues = outWidth * 3;
  // Horizontal results of the two most recent source rows (rows are visited in order).
  const cache = [new Int32Array(rowValues), new Int32Array(rowValues)];
  const cachedRow = [-1, -1];
  let next = 0;
  const horizontal = (y: number): Int32Array => {
    if (cachedRow[0] === y) return cache[0]!;
    if (cachedRow[1] === y) return cache[1]!;
    const slot = next;
    next ^= 1;
    cv2HorizontalRow(canvasRow(src, width, height, p, y, fillRow, scratch), xt, cache[slot]!, outWidth);
    cachedRow[slot] = y;
    return cache[slot]!;
  };
  for (let dy = 0; dy < outHeight; dy++) {
    const b0 = yt.w0[dy]!;
    const b1 = yt.w1[dy]!;
    const r0 = horizontal(yt.i0[dy]!);
    const r1 = horizontal(yt.i1[dy]!);
    const o = dy * rowValues;
    for (let x = 0; x < rowValues; x++) {
      // OpenCV's vector kernel (VResizeLinearVec_32s8u), which Debian's cv2 4.6 applies to every
      // value of a row: 16-bit high multiplies of (value >> 4), then a rounding shift by 2.
      const v = (((r0[x]! >> 4) * b0) >> 16) + (((r1[x]! >> 4) * b1) >> 16);
      const r = (v + 2) >> 2;
      dst[o + x] = r > 255 ? 255 : r;
    }
  }
}

// ---- rescale + normalise + channels-first ----

/**
 * Float value of each uint8 level per channel, as transformers computes it: (v × rescale) in
 * float64 cast to float32, then (x − mean) / std in float32. 3 × 256 entries.
 */
export function normalizationTable(rescaleFactor: number, mean: readonly number[], std: readonly number[]): Float32Array {
  const lut = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    const m = f32(mean[c]!);
    const s = f32(std[c]!);
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = f32(f32(f32(v * rescaleFactor) - m) / s);
  }
  return lut;
}

/** Writes an interleaved RGB image as three float planes: channel c at dstOffset + c × channelStride. */
export function rgbToPlanesTwin(src: Uint8Array, lut: Float32Array, dst: Float32Array, dstOffset: number, channelStride: number): void {
  if (src.length % 3 !== 0) throw new RangeError('src length is not a multiple of 3');
  if (lut.length !== 768) throw new RangeError('lut must hold 3 × 256 values');
  const n = src.length / 3;
  if (!Number.isInteger(dstOffset) || !Number.isInteger(channelStride) || dstOffset < 0 || channelStride < n || dstOffset + 2 * channelStride + n > dst.length) {
    throw new RangeError('dst is too small for three planes at this offset and stride');
  }
  for (let c = 0; c < 3; c++) {
    const o = dstOffset + c * channelStride;
    const l = c * 256;
    for (let i = 0; i < n; i++) dst[o + i] = lut[l + src[i * 3 + c]!]!;
  }
}
