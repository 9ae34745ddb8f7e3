// A small ONNX graph builder: typed inputs/outputs with symbolic dims, initializers streamed to an
// external-data side file, and one node helper that knows the two domains we emit (ai.onnx and
// com.microsoft). Architecture files (Qwen2, SigLIP, ...) are short compositions of the emitters
// in this folder over this builder.
import { writeFileSync } from 'node:fs';
import type { ExternalDataWriter } from './external-data-writer.js';
import { DTYPE_BYTES, DTYPE_TO_ONNX, onnx, type AttributeProto, type DType, type NodeProto, type TensorProto, type ValueInfoProto } from './onnx-schema.js';

/** ai.onnx opset: 17 has LayerNormalization; SimplifiedLayerNormalization is an ORT op in this domain. */
export const ONNX_OPSET = 17;
export const MS_DOMAIN = 'com.microsoft';
export const MS_OPSET = 1;
/** IR 8 is what the schema package carries; onnxruntime 1.30 loads it with opset 17. */
export const IR_VERSION = 8;

/** A tensor dimension: a fixed size or a symbolic name such as 'batch'. */
export type Dim = number | string;

/** Attribute values are tagged, because 1 and 1.0 are the same number in JavaScript. */
export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: TensorProto };

export const attr = {
  int: (value: number): AttrValue => ({ kind: 'int', value }),
  float: (value: number): AttrValue => ({ kind: 'float', value }),
  ints: (value: number[]): AttrValue => ({ kind: 'ints', value }),
  floats: (value: number[]): AttrValue => ({ kind: 'floats', value }),
  string: (value: string): AttrValue => ({ kind: 'string', value }),
};

/** Typed arrays whose bytes are an initializer's little-endian payload. */
export type TensorData = Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array | Int8Array;

export interface GraphBuilderOptions {
  name: string;
  /** Side file for large initializers; without it every initializer is stored inline. */
  externalData?: ExternalDataWriter;
  /** Initializers at least this many bytes go to the side file (default 1024). */
  externalThreshold?: number;
}

const AT = onnx.AttributeProto.AttributeType;

function shapeProto(dims: readonly Dim[]) {
  return { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
}

function valueInfo(name: string, dtype: DType, dims: readonly Dim[]): ValueInfoProto {
  return { name, type: { tensorType: { elemType: DTYPE_TO_ONNX[dtype], shape: shapeProto(dims) } } };
}

function attributeProto(name: string, a: AttrValue): AttributeProto {
  switch (a.kind) {
    case 'int':
      return { name, type: AT.INT, i: a.value };
    case 'float':
      return { name, type: AT.FLOAT, f: a.value };
    case 'ints':
      return { name, type: AT.INTS, ints: a.value };
    case 'floats':
      return { name, type: AT.FLOATS, floats: a.value };
    case 'string':
      return { name, type: AT.STRING, s: new TextEncoder().encode(a.value) };
    case 'tensor':
      return { name, type: AT.TENSOR, t: a.value };
  }
}

export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly initializers: TensorProto[] = [];
  /** Names handed out (reserved or defined): uniqueName never repeats one. */
  private readonly usedNames = new Set<string>();
  /** Names some input, initializer or node output defines: SSA, so each at most once. */
  private readonly definedNames = new Set<string>();
  private readonly counters = new Map<string, number>();
  private usesMsDomain = false;
  private externalBytes = 0;

  constructor(private readonly options: GraphBuilderOptions) {}

  /** A value name not used yet, derived from a readable hint (reserved; define it with node()). */
  uniqueName(hint: string): string {
    let name = hint;
    while (this.usedNames.has(name)) {
      const n = (this.counters.get(hint) ?? 0) + 1;
      this.counters.set(hint, n);
      name = `${hint}_${n}`;
    }
    this.usedNames.add(name);
    return name;
  }

  private claim(name: string): string {
    if (this.definedNames.has(name)) throw new Error(`graph value name '${name}' is defined twice`);
    this.definedNames.add(name);
    this.usedNames.add(name);
    return name;
  }

  input(name: string, dtype: DType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(this.claim(name), dtype, dims));
    return name;
  }

  /** Declares `value` as a graph output named `name` (an Identity is inserted when they differ). */
  output(value: string, name: string, dtype: DType, dims: readonly Dim[]): void {
    if (value !== name) this.node('Identity', [value], [name]);
    this.outputs.push(valueInfo(name, dtype, dims));
  }

  /** A weight: stored in the side file when large (written now, not kept), inline otherwise. */
  initializer(hint: string, dtype: DType, dims: readonly number[], data: TensorData): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (data.byteLength !== count * DTYPE_BYTES[dtype]) {
      throw new Error(`initializer ${hint}: ${data.byteLength} bytes for ${dtype}[${dims.join(', ')}]`);
    }
    const name = this.claim(this.uniqueName(hint));
    const tensor: TensorProto = { name, dataType: DTYPE_TO_ONNX[dtype], dims: [...dims] };
    const writer = this.options.externalData;
    if (writer !== undefined && data.byteLength >= (this.options.externalThreshold ?? 1024)) {
      const loc = writer.append(data);
      this.externalBytes += loc.length;
      tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      tensor.externalData = [
        { key: 'location', value: loc.location },
        { key: 'offset', value: String(loc.offset) },
        { key: 'length', value: String(loc.length) },
      ];
    } else {
      tensor.rawData = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    }
    this.initializers.push(tensor);
    return name;
  }

  /** Small int64 constants (shapes, axes), always inline. */
  constInt64(hint: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.initializer(hint, 'int64', dims, BigInt64Array.from(values.map((v) => BigInt(v))));
  }

  /** A scalar or small float constant in the given float dtype, always inline. */
  constFloat(hint: string, dtype: 'float32' | 'float16', values: Float32Array | Uint16Array, dims: readonly number[]): string {
    return this.initializer(hint, dtype, dims, values);
  }

  /**
   * Adds one node. `outputs` is a count (names are made from the op name) or explicit names;
   * an empty string in `inputs` is an omitted optional input.
   */
  node(opType: string, inputs: readonly string[], outputs: number | readonly string[], attrs: Record<string, AttrValue> = {}, domain = ''): string[] {
    if (domain === MS_DOMAIN) this.usesMsDomain = true;
    const base = this.uniqueName(`/${opType}`);
    const outNames =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, (_, i) => this.claim(this.uniqueName(`${base}_out${i}`)))
        : outputs.map((o) => (o === '' ? '' : this.claim(o)));
    this.nodes.push({
      name: base,
      opType,
      domain,
      input: [...inputs],
      output: outNames,
      attribute: Object.entries(attrs).map(([k, v]) => attributeProto(k, v)),
    });
    return outNames;
  }

  /** Shorthand for a one-output node. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, domain = ''): string {
    return this.node(opType, inputs, 1, attrs, domain)[0]!;
  }

  /** Bytes written to the external-data file by this graph. */
  get externalDataBytes(): number {
    return this.externalBytes;
  }

  toModelProto() {
    const opsetImport = [{ domain: '', version: ONNX_OPSET }];
    if (this.usesMsDomain) opsetImport.push({ domain: MS_DOMAIN, version: MS_OPSET });
    return onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'apollo-desktop',
      opsetImport,
      graph: {
        name: this.options.name,
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
        initializer: this.initializers,
      },
    });
  }

  encode(): Uint8Array {
    return onnx.ModelProto.encode(this.toModelProto()).finish();
  }

  /**
   * Writes the model file and, unless `keepExternalDataOpen` (several graphs sharing one side file),
   * closes the side file; model and side file must stay in the same folder.
   */
  save(modelPath: string, options: { keepExternalDataOpen?: boolean } = {}): void {
    writeFileSync(modelPath, this.encode());
    if (options.keepExternalDataOpen !== true) this.options.externalData?.close();
  }
}
