import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createApolloApi } from './api/apollo-api';
import { setApi } from './stores/api-instance';
import { useAppStore } from './stores/app-store';
import { dispatchAppEvent } from './stores/event-dispatch';
import { useSettingsStore } from './stores/settings-store';
import { useVideoStore } from './stores/video-store';
import './styles.css';

const rootElement = document.getElementById('root');
if (rootElement === null) throw new Error('index.html has no #root element');
const api = createApolloApi();
setApi(api);
api.subscribe(dispatchAppEvent, (up) => {
  if (up) void useAppStore.getState().connect();
  else useAppStore.getState().lost();
});
void useAppStore.getState().connect();
void useSettingsStore.getState().load();
// Reopen the most recent video of this run (web mode restores it after a reload).
void api.listVideos().then((videos) => {
  const last = videos[0];
  if (last !== undefined && useVideoStore.getState().video === null) void useVideoStore.getState().openVideo(last);
}, () => {});
createRoot(rootElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
