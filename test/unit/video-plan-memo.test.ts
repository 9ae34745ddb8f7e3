// The engine's plan memo: one planner run per (content key, settings), shared by concurrent
// requests; failures are not kept; a memoised video whose file is gone is refused.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApolloError } from '../../electron/shared/errors.js';
import type { PlannedVideo } from '../../electron/engine/video/plan-video.js';
import { DEFAULT_SAMPLING_SETTINGS } from '../../electron/engine/video/sampling-settings.js';
import { VideoPlanMemo } from '../../electron/engine/video/video-plan-memo.js';
import { makeTempDir } from '../helpers/paths.js';

function countingPlanner(fail: () => ApolloError | undefined = () => undefined) {
  const calls: string[] = [];
  const plan = async (path: string, settings: typeof DEFAULT_SAMPLING_SETTINGS): Promise<PlannedVideo> => {
    calls.push(path);
    await new Promise((r) => setTimeout(r, 5));
    const error = fail();
    if (error !== undefined) throw error;
    return { settings, videoText: path } as unknown as PlannedVideo;
  };
  return { calls, plan };
}

describe('video plan memo', () => {
  const dir = makeTempDir('plan-memo');
  const a = join(dir, 'a.mp4');
  const copy = join(dir, 'copy of a.mp4');
  writeFileSync(a, Buffer.alloc(4096, 1));
  writeFileSync(copy, Buffer.alloc(4096, 1));

  it('plans once per content key and settings, shared by concurrent and later requests and by a renamed copy', async () => {
    const planner = countingPlanner();
    const memo = new VideoPlanMemo({ plan: planner.plan });
    const s = DEFAULT_SAMPLING_SETTINGS;
    await Promise.all([memo.plan({ path: a, key: 'k1' }, s), memo.plan({ path: a, key: 'k1' }, s)]);
    await memo.plan({ path: copy, key: 'k1' }, { ...s });
    expect(planner.calls).toEqual([a]);
    await memo.plan({ path: a, key: 'k1' }, { ...s, clipSamplingRatio: 0.5 });
    await memo.plan({ path: a, key: 'k2' }, s);
    expect(planner.calls).toHaveLength(3);
  });

  it('does not keep a failure, and refuses a memoised video whose file is gone', async () => {
    let failures = 1;
    const planner = countingPlanner(() => (failures-- > 0 ? new ApolloError('NOT_A_VIDEO', 'not a video') : undefined));
    const memo = new VideoPlanMemo({ plan: planner.plan });
    await expect(memo.plan({ path: a, key: 'k' }, DEFAULT_SAMPLING_SETTINGS)).rejects.toMatchObject({ code: 'NOT_A_VIDEO' });
    await memo.plan({ path: a, key: 'k' }, DEFAULT_SAMPLING_SETTINGS);
    expect(planner.calls).toHaveLength(2);
    const gone = join(dir, 'gone.mp4');
    writeFileSync(gone, Buffer.alloc(4096, 1));
    await memo.plan({ path: gone, key: 'k' }, DEFAULT_SAMPLING_SETTINGS);
    rmSync(gone);
    await expect(memo.plan({ path: gone, key: 'k' }, DEFAULT_SAMPLING_SETTINGS)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });

  it('keeps at most its capacity, dropping the least recently used', async () => {
    const planner = countingPlanner();
    const memo = new VideoPlanMemo({ plan: planner.plan, capacity: 2 });
    for (const key of ['k1', 'k2', 'k1', 'k3', 'k1', 'k2']) await memo.plan({ path: a, key }, DEFAULT_SAMPLING_SETTINGS);
    // k1, k2, (k1 hit), k3 evicts k2, (k1 hit), k2 again
    expect(planner.calls).toHaveLength(4);
  });
});
