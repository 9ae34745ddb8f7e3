// Bottom line: which host serves the app and whether it answers.
import { useAppStore } from '../stores/app-store';

export function StatusBar() {
  const connection = useAppStore((s) => s.connection);
  const text =
    connection.status === 'ready'
      ? `Connected (${connection.info.host} mode, v${connection.info.version})`
      : connection.status === 'error'
        ? `Not connected: ${connection.message}`
        : 'Connecting…';
  return (
    <footer data-testid="status-bar" data-status={connection.status} className="border-t border-zinc-200 px-4 py-2 text-xs text-zinc-500 dark:border-zinc-800">
      {text}
    </footer>
  );
}
