// onnxruntime-node (1.30) ships Microsoft's 1DS telemetry: when the library creates its environment
// (the first session), it writes events (model and graph names, the producer, execution providers,
// OS, a device id) into `~/.cache/Microsoft/DeveloperTools/.onnxruntime/` and a long-running
// process uploads them to mobile.events.data.microsoft.com. `ORT_DISABLE_TELEMETRY=1` turns both
// off. onnxruntime's C API switch (`DisableTelemetryEvents`) is not exposed by onnxruntime-node
// (its binding exports InferenceSession, listSupportedBackends and initOrtOnce; `ort.env` has no
// telemetry flag), so the environment variable is the switch, set in every process that can load
// the library before it loads:
// - the CLI and the engine bundles import `onnxruntime-env.mjs` first (scripts/build-node.mjs adds
//   it to their banner; an ES module's imports run before its body, so setting it in the bundle's
//   own code would come after onnxruntime-node had loaded);
// - the engine child (Node fork or Electron utilityProcess) gets it in its environment at start
//   (`engineProcessEnv`), whatever its parent's environment says.

/** Environment that keeps onnxruntime from collecting or sending anything. */
export const ONNXRUNTIME_PRIVACY_ENV: Readonly<Record<string, string>> = Object.freeze({ ORT_DISABLE_TELEMETRY: '1' });

/** Sets the variables in this process (Node's `process.env` writes through to the C environment). */
export function disableOnnxruntimeTelemetry(env: NodeJS.ProcessEnv = process.env): void {
  Object.assign(env, ONNXRUNTIME_PRIVACY_ENV);
}
