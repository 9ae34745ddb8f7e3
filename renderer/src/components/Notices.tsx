// Messages from the host (engine restarted, context trimmed, errors), dismissible.
import { useAppStore } from '../stores/app-store';
import { useModelsStore } from '../stores/models-store';

const STYLE = {
  info: 'bg-sky-50 text-sky-800 dark:bg-sky-950 dark:text-sky-200',
  warning: 'bg-amber-50 text-amber-800 dark:bg-amber-950 dark:text-amber-200',
  error: 'bg-red-50 text-red-800 dark:bg-red-950 dark:text-red-200',
} as const;

export function Notices() {
  const notices = useAppStore((s) => s.notices);
  const dismiss = useAppStore((s) => s.dismiss);
  const connection = useAppStore((s) => s.connection);
  const demo = connection.status === 'ready' && connection.info.demo === true;
  const noModel = connection.status === 'ready' && connection.info.modelReady === false;
  const openModels = useModelsStore((s) => s.setOpen);
  const lost = connection.status === 'error' ? connection : null;
  if (notices.length === 0 && !demo && !noModel && lost === null) return null;
  return (
    <div className="flex flex-col gap-1 px-4 pt-2" role="status">
      {lost !== null && (
        <div data-testid="connection-lost" data-restarted={lost.restarted === true ? 'true' : 'false'} className={`rounded-md px-3 py-2 text-sm font-medium ${STYLE.error}`}>
          {lost.message}
        </div>
      )}
      {demo && (
        <div data-testid="demo-notice" className={`rounded-md px-3 py-2 text-sm ${STYLE.warning}`}>
          Demo mode: a tiny model with random weights answers, so its answers are random text. Everything else (clips, encoding, chat, time links) works as with a real model.
        </div>
      )}
      {noModel && !demo && (
        <div data-testid="no-model-notice" className={`rounded-md px-3 py-2 text-sm ${STYLE.info}`}>
          No model is installed yet: you can open videos and see their clips, but answers need a model.{' '}
          <button type="button" data-testid="choose-model" onClick={() => openModels(true)} className="font-medium underline">
            Choose and download a model
          </button>
          .
        </div>
      )}
      {notices.map((n) => (
        <div key={n.id} data-testid="notice" className={`flex items-start justify-between gap-3 rounded-md px-3 py-2 text-sm ${STYLE[n.level]}`}>
          <span>{n.message}</span>
          <button type="button" aria-label="Dismiss" onClick={() => dismiss(n.id)} className="opacity-60 hover:opacity-100">
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
