import type { Viewer } from './types.ts';

/**
 * The viewer token of this tab for one playback id. sessionStorage: it lasts while the tab does
 * (a reload keeps the chat identity) and is not shared with other tabs or left behind on the device.
 */
const key = (playbackId: string) => `framehouse.viewer.${playbackId}`;

export function savedViewer(playbackId: string): Viewer | null {
  try {
    const raw = sessionStorage.getItem(key(playbackId));
    if (!raw) return null;
    const v = JSON.parse(raw) as Viewer;
    if (!v.viewer_token || Date.parse(v.expires_at) <= Date.now()) {
      sessionStorage.removeItem(key(playbackId));
      return null;
    }
    return v;
  } catch {
    return null; // storage blocked (private mode, sandboxed iframe): join again each visit
  }
}

export function saveViewer(playbackId: string, viewer: Viewer | null): void {
  try {
    if (viewer) sessionStorage.setItem(key(playbackId), JSON.stringify(viewer));
    else sessionStorage.removeItem(key(playbackId));
  } catch {
    // storage blocked: the viewer stays joined for this page only
  }
}
