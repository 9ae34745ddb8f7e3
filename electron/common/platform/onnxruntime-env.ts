// Side-effect entry, bundled as dist/onnxruntime-env.mjs and imported first by dist/cli.mjs and
// dist/engine.mjs (see onnxruntime-privacy.ts): runs before onnxruntime-node is loaded.
import { disableOnnxruntimeTelemetry } from './onnxruntime-privacy.js';

disableOnnxruntimeTelemetry();
