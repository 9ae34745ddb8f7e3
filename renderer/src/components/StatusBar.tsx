// Bottom line: host connection (kept true: see app-store), the model answering, and the device
// (with the reason for any fallback). The badge in the top bar shows the device and precision.
import { useAppStore } from '../stores/app-store';

const DEVICE_NAMES = { cuda: 'CUDA', webgpu: 'WebGPU', dml: 'DirectML', cpu: 'CPU' } as const;

export function DeviceBadge() {
  const device = useAppStore((s) => s.device);
  if (device === null) return null;
  const name = DEVICE_NAMES[device.device];
  return (
    <span data-testid="device-badge" title={device.fallbackReason ?? `Running on ${name}`} className={`shrink-0 rounded-full px-2 py-0.5 text-xs font-medium ${device.fallbackReason ? 'bg-amber-100 text-amber-800 dark:bg-amber-900 dark:text-amber-100' : 'bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100'}`}>
      {name} · {device.precision}
      {device.fallbackReason ? ' (fallback)' : ''}
    </span>
  );
}

export function StatusBar() {
  const connection = useAppStore((s) => s.connection);
  const device = useAppStore((s) => s.device);
  const ready = connection.status === 'ready';
  const model = ready ? (connection.info.demo ? 'demo model (random weights)' : connection.info.model) : undefined;
  return (
    <footer data-testid="status-bar" data-status={connection.status} className="flex items-center justify-between gap-4 border-t border-zinc-200 px-4 py-1.5 text-xs text-zinc-500 dark:border-zinc-800">
      <span className="flex min-w-0 flex-1 items-center gap-2">
        <span aria-hidden="true" className={`inline-block h-2 w-2 shrink-0 rounded-full ${ready ? 'bg-emerald-500' : connection.status === 'error' ? 'bg-red-500' : 'bg-amber-400'}`} />
        <span data-testid="connection" className={`${connection.status === 'error' ? 'min-w-0 truncate' : 'shrink-0'} ${connection.status === 'error' ? 'text-red-600 dark:text-red-400' : ''}`}>
          {ready ? `Connected (${connection.info.host} mode, v${connection.info.version})` : connection.status === 'error' ? `Not connected: ${connection.message}` : 'Connecting…'}
        </span>
        {ready && (
          <span data-testid="model-in-use" className="min-w-0 truncate">
            · {model !== undefined ? `Model: ${model}` : 'No model chosen'}
          </span>
        )}
      </span>
      {device?.fallbackReason && (
        <span data-testid="fallback-reason" className="hidden min-w-0 max-w-[45%] truncate lg:block" title={device.fallbackReason}>
          {device.fallbackReason}
        </span>
      )}
    </footer>
  );
}
