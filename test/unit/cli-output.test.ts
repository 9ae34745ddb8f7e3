// What `apollo-chat` prints for a person (issue 15 item 10): on a terminal the answer starts on its
// own line, never after the progress bar's ETA; no run prints the Vulkan loader's "Found no
// drivers!" from the WebGPU probe where there is no Vulkan driver; `doctor` reads as sentences,
// never raw JSON.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { vulkanDriverInstalled } from '../../electron/engine/llm/execution-device.js';
import { makeTinyCheckpoint } from '../../electron/engine/model/tiny-checkpoint.js';
import { cliBin, makeTempDir } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

describe('apollo-chat output for a person', () => {
  let dir: string;
  let videoPath: string;
  let modelDir: string;

  beforeAll(async () => {
    dir = makeTempDir('cli-output');
    modelDir = join(dir, 'tiny');
    await makeTinyCheckpoint(modelDir, { seed: 5 });
    videoPath = join(dir, 'clip.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=256x144:rate=25:duration=4', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', videoPath]);
  });

  it('starts the answer on its own line after the progress bar, on a terminal', async () => {
    const args = ['ask', videoPath, 'What is shown?', '--model', modelDir, '--device', 'cpu', '--precision', 'fp32', '--greedy', '--max-new-tokens', '6'];
    const env = { ...process.env, APOLLO_CACHE_DIR: join(dir, 'cache') };
    const json = await runCli([...args, '--json', '--no-progress'], { env, timeoutMs: 180_000 });
    expect(json.code).toBe(0);
    const answer = (JSON.parse(json.stdout) as { turns: Array<{ answer: string }> }).turns[0]!.answer;
    const head = answer.trim().slice(0, 6);
    expect(head.length).toBeGreaterThan(0);
    // `script` gives the command a pseudo-terminal: the live bar (stderr) and the answer (stdout) share it.
    const command = [process.execPath, cliBin, ...args].map(shellQuote).join(' ');
    const tty = execFileSync('script', ['-qefc', command, '/dev/null'], { env: { ...env, COLUMNS: '120' }, encoding: 'utf8', timeout: 180_000 });
    expect(tty).toMatch(/ETA/);
    const lines = stripAnsi(tty).split(/\r?\n/);
    const line = lines.find((l) => l.includes(head));
    expect(line).toBeDefined();
    // What the terminal shows on that line: the text after its last carriage return.
    const shown = line!.slice(line!.lastIndexOf('\r') + 1);
    expect(shown.startsWith(head)).toBe(true);
  });

  it('checks for a Vulkan driver before trying WebGPU, and doctor prints no loader noise', async () => {
    const empty = makeTempDir('no-vulkan');
    const noVulkan = { XDG_DATA_DIRS: join(empty, 'share'), XDG_CONFIG_DIRS: join(empty, 'etc'), XDG_DATA_HOME: join(empty, 'home') };
    // /etc/vulkan/icd.d is always looked at; this machine's decides the doctor check below.
    const machineHasDriver = vulkanDriverInstalled({});
    expect(vulkanDriverInstalled({ ...noVulkan, VK_ICD_FILENAMES: '/x/icd.json' })).toBe(true);
    mkdirSync(join(empty, 'share', 'vulkan', 'icd.d'), { recursive: true });
    writeFileSync(join(empty, 'share', 'vulkan', 'icd.d', 'gpu_icd.json'), '{}');
    expect(vulkanDriverInstalled(noVulkan, join(empty, 'home'))).toBe(true);
    const r = await runCli(['doctor']);
    expect(r.code).toBe(0);
    if (!machineHasDriver) {
      expect(r.stderr).not.toContain('vkCreateInstance');
      expect(r.stdout).toContain('webgpu found no Vulkan driver');
    }
  });

  it('doctor speaks in lines a person reads, not JSON', async () => {
    const r = await runCli(['doctor']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[{}]|"\w+":/);
    expect(r.stdout).toMatch(/^ffmpeg\s+\S/m);
    expect(r.stdout).toMatch(/^Device\s+(CPU|CUDA|WEBGPU|DML)$/m);
  });
});
