// A decoded video frame as the model's preprocessing wants it: upright, RGB, 8 bits per channel,
// interleaved (row-major, 3 bytes per pixel, no row padding).
export interface RgbFrame {
  width: number;
  height: number;
  /** length === width * height * 3 */
  data: Uint8Array;
}
