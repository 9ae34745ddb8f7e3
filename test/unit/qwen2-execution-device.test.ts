// Execution-provider choice: preference order, fallback reasons, explicit requests, and the real
// probe of the CPU provider.
import { describe, expect, it } from 'vitest';
import { devicePreference, probeDevice, selectDevice, type DeviceName } from '../../electron/engine/llm/execution-device.js';
import { ApolloError } from '../../electron/shared/errors.js';

const fakeProbe = (working: DeviceName[]) => (d: DeviceName) => Promise.resolve(working.includes(d) ? undefined : `${d} is missing`);

describe('selectDevice', () => {
  it.each([
    [['cuda', 'webgpu', 'cpu'], 'cuda', 'preferred'],
    [['webgpu', 'cpu'], 'webgpu', 'fallback: cuda is missing'],
    [['cpu'], 'cpu', 'fallback: cuda is missing; webgpu is missing'],
  ] as Array<[DeviceName[], DeviceName, string]>)('auto with %j picks %s (%s)', async (working, device, reason) => {
    if (process.platform === 'win32') return; // the Windows order includes dml, tested below
    const choice = await selectDevice('auto', fakeProbe(working));
    expect(choice).toEqual({ device, reason, executionProviders: [device] });
  });

  it('prefers DirectML before WebGPU on Windows only', () => {
    expect(devicePreference('win32')).toEqual(['cuda', 'dml', 'webgpu', 'cpu']);
    expect(devicePreference('linux')).toEqual(['cuda', 'webgpu', 'cpu']);
    expect(devicePreference('darwin')).toEqual(['cuda', 'webgpu', 'cpu']);
  });

  it('an explicit device is used as requested, or refused with DEVICE_UNAVAILABLE and the reason', async () => {
    expect(await selectDevice('webgpu', fakeProbe(['webgpu']))).toMatchObject({ device: 'webgpu', reason: 'requested' });
    const error = await selectDevice('cuda', fakeProbe(['cpu'])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApolloError);
    expect((error as ApolloError).code).toBe('DEVICE_UNAVAILABLE');
    expect((error as ApolloError).message).toContain('cuda is missing');
  });

  it('the CPU provider really starts here', async () => {
    expect(await probeDevice('cpu')).toBeUndefined();
    expect(await selectDevice('cpu')).toMatchObject({ device: 'cpu', reason: 'requested' });
  });
});
