// The library: videos opened before, with their cache state and chats; reopen one (with one of its
// chats, or a new one), or remove it (its chats and cached data; the file stays).
import { create } from 'zustand';
import type { LibraryVideo } from '../../../electron/shared/app-api';
import { errorMessage, getApi } from './api-instance';
import { useChatStore } from './chat-store';
import { useVideoStore } from './video-store';

interface LibraryStore {
  open: boolean;
  videos: LibraryVideo[] | null;
  error: string | null;
  setOpen(open: boolean): void;
  load(): Promise<void>;
  /** Opens a library video; `chat` picks one of its chats, or 'new' starts another. */
  reopen(id: string, chat?: string | 'new'): Promise<void>;
  remove(id: string): Promise<boolean>;
}

export const useLibraryStore = create<LibraryStore>((set, get) => ({
  open: false,
  videos: null,
  error: null,
  setOpen(open) {
    set({ open, error: null });
    if (open) void get().load();
  },
  async load() {
    try {
      set({ videos: await getApi().listLibrary(), error: null });
    } catch (error) {
      set({ error: errorMessage(error) });
    }
  },
  async reopen(id, chat) {
    try {
      const video = await getApi().openLibraryVideo(id);
      set({ open: false, error: null });
      // The chat switch waits for the video's chat to load (openVideo starts that at once).
      const opening = useVideoStore.getState().openVideo(video);
      if (chat !== undefined) await useChatStore.getState().switchChat(chat === 'new' ? undefined : chat);
      await opening;
    } catch (error) {
      set({ error: errorMessage(error) });
    }
  },
  async remove(id) {
    const listed = get().videos?.find((v) => v.id === id)?.video;
    try {
      await getApi().removeLibraryVideo(id);
    } catch (error) {
      set({ error: errorMessage(error) });
      return false;
    }
    if (listed !== undefined && useVideoStore.getState().video?.id === listed.id) useVideoStore.getState().close();
    await get().load();
    return true;
  },
}));
