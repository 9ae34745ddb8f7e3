import { EmptyState } from './components/EmptyState';
import { StatusBar } from './components/StatusBar';

export function App() {
  return (
    <div className="flex h-full flex-col">
      <header className="flex items-center gap-2 border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
        <span className="text-lg font-semibold tracking-tight">Apollo</span>
        <span className="text-sm text-zinc-500">chat with your videos, offline</span>
      </header>
      <main className="flex flex-1 items-center justify-center p-6">
        <EmptyState />
      </main>
      <StatusBar />
    </div>
  );
}
