import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

describe('apollo-chat conventions', () => {
  it('--help lists the subcommands and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: apollo-chat/);
    for (const sub of ['serve', 'doctor']) expect(r.stdout).toContain(sub);
  });

  it('an unknown subcommand is a usage error: exit 2, one sentence with its code, no stack', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error \[USAGE\]: Unknown command 'frobnicate'\./);
    expect(r.stderr).not.toMatch(/\bat .*\.(m?js|ts):\d+/);
  });

  it('a bad option value is a usage error naming the option', async () => {
    const r = await runCli(['serve', '--port', '99999']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--port must be an integer from 0 to 65535/);
  });

  it('--json puts one machine-readable document on stdout, errors included', async () => {
    const ok = await runCli(['doctor', '--json']);
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout) as { ffmpeg: { ffmpeg: string }; native: { backend: string } };
    expect(report.ffmpeg.ffmpeg).toMatch(/ffmpeg/);
    expect(['native', 'typescript']).toContain(report.native.backend);

    const bad = await runCli(['serve', '--port', 'x', '--json']);
    expect(bad.code).toBe(2);
    expect((JSON.parse(bad.stdout) as { error: { code: string } }).error.code).toBe('USAGE');
  });

  it('doctor reports a missing ffmpeg with its code instead of failing', async () => {
    const env = { APOLLO_FFMPEG_PATH: '/nonexistent/ffmpeg' };
    const plain = await runCli(['doctor', '--json'], { env });
    // doctor reports a missing ffmpeg inside its report rather than failing
    expect(plain.code).toBe(0);
    expect((JSON.parse(plain.stdout) as { ffmpeg: { error: { code: string } } }).ffmpeg.error.code).toBe('FFMPEG_NOT_FOUND');
  });

  it('the version prints and exits 0', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
