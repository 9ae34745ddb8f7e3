// Bottom line: host connection, device (with the reason for any fallback) and precision.
import { useAppStore } from '../stores/app-store';

export function DeviceBadge() {
  const device = useAppStore((s) => s.device);
  if (device === null) return null;
  const name = { cuda: 'CUDA', webgpu: 'WebGPU', dml: 'DirectML', cpu: 'CPU' }[device.device];
  return (
    <span data-testid="device-badge" title={device.fallbackReason ?? `Running on ${name}`} className={`rounded-full px-2 py-0.5 text-xs font-medium ${device.fallbackReason ? 'bg-amber-100 text-amber-800 dark:bg-amber-900 dark:text-amber-100' : 'bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100'}`}>
      {name} · {device.precision}
      {device.fallbackReason ? ' (fallback)' : ''}
    </span>
  );
}

export function StatusBar() {
  const connection = useAppStore((s) => s.connection);
  const device = useAppStore((s) => s.device);
  const text =
    connection.status === 'ready'
      ? `Connected (${connection.info.host} mode, v${connection.info.version})`
      : connection.status === 'error'
        ? `Not connected: ${connection.message}`
        : 'Connecting…';
  return (
    <footer data-testid="status-bar" data-status={connection.status} className="flex items-center justify-between gap-4 border-t border-zinc-200 px-4 py-1.5 text-xs text-zinc-500 dark:border-zinc-800">
      <span className="shrink-0">{text}</span>
      {device?.fallbackReason && (
        <span className="min-w-0 truncate" title={device.fallbackReason}>
          {device.fallbackReason}
        </span>
      )}
    </footer>
  );
}
