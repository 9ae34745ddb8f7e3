// Pieces shared by the vision graphs that the shared emitters in electron/engine/onnx do not cover:
// weight fetching by checkpoint name, precision casts around an fp32 residual stream, and the
// stride = kernel patch embedding as reshape/transpose + MatMul (a Conv would not run in fp16 on
// every provider; this is the same sum in the same weight layout), and the int8 variant's linears.
import { emitLinear, type LinearWeights } from '../onnx/emit-linear.js';
import { type FloatDType } from '../onnx/float-encoding.js';
import { quantizeInt8PerChannel } from '../quant/int8-quantize.js';
import { attr, type GraphBuilder } from '../onnx/graph-builder.js';
import { MissingWeightError, type Float32Weights } from './vision-weights.js';

/** Reads one named weight as float32; it must hold exactly `length` values. */
export type WeightFetcher = (name: string, length: number) => Promise<Float32Array>;

export function fetcherFromMap(weights: Float32Weights): WeightFetcher {
  return async (name, length) => {
    const w = weights.get(name);
    if (w === undefined) throw new MissingWeightError(name, 'not in the checkpoint');
    if (w.length !== length) throw new MissingWeightError(name, `holds ${w.length} values, expected ${length}`);
    return w;
  };
}

/**
 * The variants a vision graph is built in: float32; float16 (matrix products in fp16, residual
 * stream and norms fp32; for GPUs); int8 (every Linear's weights int8 per output channel with
 * activations quantized at run time by DynamicQuantizeMatMul, everything else float32; for CPUs).
 */
export type VisionDtype = FloatDType | 'int8';
export const VISION_DTYPES: readonly VisionDtype[] = ['float32', 'float16', 'int8'];

/** The float dtype the graph's activations and non-linear ops run in. */
export function computeDtype(dtype: VisionDtype): FloatDType {
  return dtype === 'float16' ? 'float16' : 'float32';
}

/** A Linear's weights in the variant's form: dense float, or int8 per output channel. */
export function linearWeightsFor(weight: Float32Array, outF: number, inF: number, bias: Float32Array | undefined, dtype: VisionDtype): LinearWeights {
  if (dtype === 'int8') return { kind: 'int8', quantized: quantizeInt8PerChannel(weight, outF, inF), ...(bias === undefined ? {} : { bias }) };
  return { kind: 'dense', weight, outFeatures: outF, inFeatures: inF, ...(bias === undefined ? {} : { bias }) };
}

const ONNX_FLOAT = 1;
const ONNX_FLOAT16 = 10;

/** Casts an fp32 value into the graph's compute dtype (no node in fp32). */
export function toCompute(g: GraphBuilder, x: string, dtype: VisionDtype): string {
  return dtype !== 'float16' ? x : g.op('Cast', [x], { to: attr.int(ONNX_FLOAT16) });
}

/** Casts a compute-dtype value back to fp32 (no node in fp32). */
export function toFloat32(g: GraphBuilder, x: string, dtype: VisionDtype): string {
  return dtype !== 'float16' ? x : g.op('Cast', [x], { to: attr.int(ONNX_FLOAT) });
}

export function f32Initializer(g: GraphBuilder, name: string, dims: number[], values: Float32Array): string {
  return g.initializer(name, 'float32', dims, values);
}

/** A dense Linear from checkpoint weights `${prefix}.weight` [out, in] and optionally `.bias`. */
export async function linearFrom(g: GraphBuilder, fetch: WeightFetcher, x: string, prefix: string, outF: number, inF: number, bias: boolean, dtype: VisionDtype): Promise<string> {
  const weight = await fetch(`${prefix}.weight`, outF * inF);
  return emitLinear(g, x, prefix, linearWeightsFor(weight, outF, inF, bias ? await fetch(`${prefix}.bias`, outF) : undefined, dtype), computeDtype(dtype));
}

/** Several Linears over the same input as one MatMul (weights stacked on the output axis), split back. */
export async function fusedLinears(g: GraphBuilder, fetch: WeightFetcher, x: string, name: string, parts: { weight: string; bias?: string; outF: number }[], inF: number, dtype: VisionDtype): Promise<string[]> {
  const total = parts.reduce((a, p) => a + p.outF, 0);
  const weight = new Float32Array(total * inF);
  const withBias = parts.every((p) => p.bias !== undefined);
  const bias = withBias ? new Float32Array(total) : undefined;
  let row = 0;
  for (const p of parts) {
    weight.set(await fetch(p.weight, p.outF * inF), row * inF);
    if (bias !== undefined) bias.set(await fetch(p.bias!, p.outF), row);
    row += p.outF;
  }
  const y = emitLinear(g, x, name, linearWeightsFor(weight, total, inF, bias, dtype), computeDtype(dtype));
  if (parts.length === 1) return [y];
  return g.node('Split', [y, g.constInt64(`${name}.split`, parts.map((p) => p.outF))], parts.length, { axis: attr.int(-1) });
}

export interface PatchGeometry {
  channels: number;
  /** Frames per input (absent for images). */
  frames?: number;
  tubelet?: number;
  side: number;
  patch: number;
  grid: number;
}

/**
 * images [B, ch, S, S] or clips [B, ch, F, S, S] (fp32) → patch rows [B, (F/U)·G·G, ch·(U·)P·P] in
 * the flattening of a Conv weight [out, ch, (U,) P, P]; pixels past G·P are dropped, as a
 * stride-P convolution drops them.
 */
export function emitPatchRows(g: GraphBuilder, x: string, geo: PatchGeometry, name: string): string {
  const { channels: ch, side: S, patch: P, grid: G } = geo;
  let cropped = x;
  const video = geo.frames !== undefined;
  if (G * P !== S) {
    const axes = video ? [3, 4] : [2, 3];
    cropped = g.op('Slice', [x, g.constInt64(`${name}.crop_starts`, [0, 0]), g.constInt64(`${name}.crop_ends`, [G * P, G * P]), g.constInt64(`${name}.crop_axes`, axes)]);
  }
  if (!video) {
    const r = g.op('Reshape', [cropped, g.constInt64(`${name}.grid_shape`, [0, ch, G, P, G, P])]);
    const t = g.op('Transpose', [r], { perm: attr.ints([0, 2, 4, 1, 3, 5]) });
    return g.op('Reshape', [t, g.constInt64(`${name}.rows_shape`, [0, G * G, ch * P * P])]);
  }
  const U = geo.tubelet ?? 1;
  const Tg = Math.floor(geo.frames! / U);
  const r = g.op('Reshape', [cropped, g.constInt64(`${name}.grid_shape`, [0, ch, Tg, U, G, P, G, P])]);
  const t = g.op('Transpose', [r], { perm: attr.ints([0, 2, 4, 6, 1, 3, 5, 7]) });
  return g.op('Reshape', [t, g.constInt64(`${name}.rows_shape`, [0, Tg * G * G, ch * U * P * P])]);
}

/** A learned [rows, width] table repeated over the batch of `like` ([B, …]) → [B, rows, width]. */
export function emitBatchBroadcast(g: GraphBuilder, table: string, like: string, rows: number, width: number, name: string): string {
  const batch = g.op('Slice', [g.op('Shape', [like]), g.constInt64(`${name}.b0`, [0]), g.constInt64(`${name}.b1`, [1])]);
  const shape = g.op('Concat', [batch, g.constInt64(`${name}.rows_width`, [rows, width])], { axis: attr.int(0) });
  return g.op('Expand', [table, shape]);
}

