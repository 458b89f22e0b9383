// The only door to the core: Tauri's invoke, with the app's one error shape
// ({code, message}, message in French) turned into DSFR alerts.
import { h, clear, $ } from './dom.js';

const tauri = window.__TAURI__;

export async function call(command, args = {}) {
  try {
    return await tauri.core.invoke(command, args);
  } catch (e) {
    throw normalise(e);
  }
}

export function channel(onMessage) {
  const ch = new tauri.core.Channel();
  ch.onmessage = onMessage;
  return ch;
}

function normalise(e) {
  if (e && typeof e === 'object' && 'message' in e && 'code' in e) return e;
  // A command the window may not call, or a bug in the shell: still French, never raw.
  return { code: 'internal', message: 'Une erreur inattendue est survenue. Réessayez ; si elle persiste, contactez l’assistance.' };
}

export function alertBox(type, title, message) {
  return h('div', { class: `fr-alert fr-alert--${type} fr-alert--sm fr-mb-2w`, role: type === 'error' ? 'alert' : 'status' },
    title ? h('h3', { class: 'fr-alert__title' }, title) : null,
    h('p', {}, message));
}

// Shows the error at the top of the page (or in `target`).
export function showError(err, target) {
  const box = target || $('#alerts');
  clear(box).appendChild(alertBox('error', 'Erreur', err.message || String(err)));
  if (!target) box.scrollIntoView({ block: 'nearest' });
}

export function showSuccess(message, target) {
  const box = target || $('#alerts');
  clear(box).appendChild(alertBox('success', null, message));
}

export function clearAlerts() {
  clear($('#alerts'));
}
