// onnxruntime sessions over the three prepared vision graphs, behind a small runner interface the
// encoder pipeline drives (and tests count tower runs through).
import * as ort from 'onnxruntime-node';
import { ApolloError } from '../../shared/errors.js';
import { CONNECTOR_INTERNVIDEO_INPUT, CONNECTOR_OUTPUT, CONNECTOR_SIGLIP_INPUT } from './connector-graph.js';
import { INTERNVIDEO_INPUT, INTERNVIDEO_OUTPUT } from './internvideo-graph.js';
import { SIGLIP_INPUT, SIGLIP_OUTPUT } from './siglip-graph.js';
import type { VisionGraphPaths } from './vision-prepare-artifact.js';
import { internVideoGridFrames, internVideoGridSide, siglipGridSide, type VisionShapes } from './vision-shapes.js';

export interface VisionRunner {
  /** frames × (ch, S, S) → frames × (G, G, C1). */
  siglip(pixels: Float32Array, frames: number): Promise<Float32Array>;
  /** clips × (ch, F, S, S) → clips × (F/U, G2, G2, C2). */
  internVideo(pixels: Float32Array, clips: number): Promise<Float32Array>;
  /** Both towers' features of `clips` clips → clips × (numLatents, textHidden). */
  connector(siglip: Float32Array, internVideo: Float32Array, clips: number): Promise<Float32Array>;
  /** How many times each part ran (cache tests assert zero). */
  readonly runs: { siglip: number; internVideo: number; connector: number };
  release(): Promise<void>;
}

export interface VisionSessionOptions {
  executionProviders?: ort.InferenceSession.ExecutionProviderConfig[];
  intraOpNumThreads?: number;
}

/** What a runner throws when a session fails (the runtime's error kept as the cause). */
export function runError(part: string, error: unknown): ApolloError {
  if (error instanceof ApolloError) return error;
  const text = error instanceof Error ? error.message : String(error);
  return new ApolloError('INTERNAL', `The ${part} model failed to run (${text.split('\n')[0]}); run again with --debug and report the output.`, { cause: error });
}

/** Sessions over the graphs at `paths` (a prepared folder's, see visionGraphPaths). */
export async function openVisionSessions(paths: VisionGraphPaths, shapes: VisionShapes, options: VisionSessionOptions = {}): Promise<VisionRunner> {
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: options.executionProviders ?? ['cpu'],
    ...(options.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: options.intraOpNumThreads }),
    graphOptimizationLevel: 'all',
  };
  const open = async (file: string) => {
    try {
      return await ort.InferenceSession.create(file, sessionOptions);
    } catch (error) {
      throw new ApolloError('PREPARED_MODEL_INVALID', `The vision model ${file} could not be loaded (${(error as Error).message.split('\n')[0]}); run \`apollo-chat prepare MODEL_DIR --force\` to rebuild it.`, { cause: error });
    }
  };
  const sig = await open(paths.siglip);
  const iv = await open(paths.internVideo);
  const con = await open(paths.connector);
  const s = shapes.siglip;
  const v = shapes.internVideo;
  const G = siglipGridSide(s);
  const G2 = internVideoGridSide(v);
  const T2 = internVideoGridFrames(v);
  const runs = { siglip: 0, internVideo: 0, connector: 0 };
  const tensor = (data: Float32Array, dims: number[]) => new ort.Tensor('float32', data, dims);
  return {
    runs,
    async siglip(pixels, frames) {
      runs.siglip++;
      try {
        const out = await sig.run({ [SIGLIP_INPUT]: tensor(pixels, [frames, s.numChannels, s.imageSize, s.imageSize]) });
        return out[SIGLIP_OUTPUT]!.data as Float32Array;
      } catch (error) {
        throw runError('SigLIP', error);
      }
    },
    async internVideo(pixels, clips) {
      runs.internVideo++;
      try {
        const out = await iv.run({ [INTERNVIDEO_INPUT]: tensor(pixels, [clips, v.numChannels, v.numFrames, v.imageSize, v.imageSize]) });
        return out[INTERNVIDEO_OUTPUT]!.data as Float32Array;
      } catch (error) {
        throw runError('InternVideo2', error);
      }
    },
    async connector(siglip, internVideo, clips) {
      runs.connector++;
      try {
        const out = await con.run({
          [CONNECTOR_SIGLIP_INPUT]: tensor(siglip, [clips, shapes.fusion.frames, G, G, s.hiddenSize]),
          [CONNECTOR_INTERNVIDEO_INPUT]: tensor(internVideo, [clips, T2, G2, G2, v.hiddenSize]),
        });
        return out[CONNECTOR_OUTPUT]!.data as Float32Array;
      } catch (error) {
        throw runError('connector', error);
      }
    },
    async release() {
      await Promise.all([sig.release(), iv.release(), con.release()]);
    },
  };
}
