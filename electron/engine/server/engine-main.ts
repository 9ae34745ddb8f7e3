// Entry of the engine process (dist/engine.mjs): a plain Node child in the CLI, web mode and tests,
// or an Electron utilityProcess in the app.
import type { EngineReply } from '../../shared/engine-protocol.js';
import { engineMethods } from './engine-methods.js';
import { serveEngine, type EngineTransport } from './engine-server.js';

function parentTransport(): EngineTransport | undefined {
  // Electron's utilityProcess exposes process.parentPort; a Node child has process.send.
  const parentPort = (process as unknown as { parentPort?: { on(e: 'message', l: (m: { data: unknown }) => void): void; postMessage(m: unknown): void } }).parentPort;
  if (parentPort !== undefined) {
    return { send: (m: EngineReply) => parentPort.postMessage(m), onMessage: (l) => parentPort.on('message', (e) => l(e.data)), exit: (c) => process.exit(c) };
  }
  if (typeof process.send === 'function') {
    const send = process.send.bind(process);
    return { send: (m: EngineReply) => void send(m), onMessage: (l) => process.on('message', l), exit: (c) => process.exit(c) };
  }
  return undefined;
}

const transport = parentTransport();
if (transport === undefined) {
  process.stderr.write('The engine must be started by Apollo (as a child process), not directly.\n');
  process.exit(2);
}
// The parent going away (crash, kill) must not leave an orphaned engine holding GPU memory.
process.on('disconnect', () => process.exit(0));
serveEngine(transport, engineMethods());
