// Routes the host's events to the stores that own the state they change.
import type { AppEvent } from '../../../electron/shared/app-api';
import { useAppStore } from './app-store';
import { useChatStore } from './chat-store';
import { useModelsStore } from './models-store';
import { useVideoStore } from './video-store';

export function dispatchAppEvent(event: AppEvent): void {
  switch (event.type) {
    case 'progress':
      if (event.scope === 'model') useModelsStore.getState().applyProgress(event.id, event.progress);
      else if (event.id === useVideoStore.getState().video?.id) useVideoStore.getState().setProgress(event.progress);
      return;
    case 'analysis':
      useVideoStore.getState().applyAnalysis(event.analysis);
      return;
    case 'turn':
      useChatStore.getState().applyTurn(event.videoId, event.turn);
      return;
    case 'turn-delta':
      useChatStore.getState().applyDelta(event.videoId, event.turnId, event.delta);
      return;
    case 'device':
      useAppStore.getState().setDevice(event.status);
      useVideoStore.getState().encodeSettled();
      return;
    case 'notice':
      useAppStore.getState().notify(event.level, event.message);
      if (event.level === 'error') useVideoStore.getState().encodeSettled();
      return;
    case 'open-video':
      void useVideoStore.getState().openVideo(event.video);
      return;
    case 'model-download':
      useModelsStore.getState().applyDownload(event.download);
      return;
    case 'models-changed':
      void useModelsStore.getState().load();
      void useAppStore.getState().connect();
      return;
    case 'menu':
      if (event.action === 'export-chat') void useChatStore.getState().exportMarkdown();
      return;
  }
}
