// Offline review: the « Hors connexion » notice, the copy's age, « Synchroniser
// maintenant » with its progress bar, and every write control disabled while the
// central database does not answer. The core decides; this only shows it.
import { h, $, when } from './dom.js';
import { call, channel } from './api.js';

// The controls that change something. The core refuses writes offline anyway;
// disabling them says so before the agent tries.
const WRITE_CONTROLS = [
  '#send-link', '#toggle-enabled', '#bulk-send', '#bulk-retry', '#bulk-preview-btn',
  '[data-action="make-principal"]', '[data-action="detach"]', '#establishment-add',
  '#add-this-address', '#open-add', '#add-submit',
].join(', ');

const POLL_MS = 3000;
let last = null;
let manual = false;
let backOnlineUntil = 0;

function bar() {
  let box = $('#offline-bar');
  if (box) return box;
  box = h('div', { id: 'offline-bar', class: 'fr-mb-2w', hidden: true });
  $('#contenu').prepend(box);
  return box;
}

function progressLine(p) {
  if (!p || p.kind !== 'full' || !p.total) return null;
  return h('progress', { id: 'offline-progress', max: String(p.total), value: String(p.done), class: 'fr-mt-1w' });
}

function render(s, progress) {
  const box = bar();
  if (!s.available) { box.hidden = true; return; }
  box.hidden = false;
  const sync = h('button', {
    class: 'fr-btn fr-btn--sm fr-btn--secondary fr-icon-refresh-line fr-btn--icon-left',
    type: 'button', id: 'offline-sync', disabled: !s.online || manual || !!s.syncing,
    onclick: syncNow,
  }, 'Synchroniser maintenant');
  const parts = [];
  if (!s.online) {
    parts.push(h('div', { class: 'fr-alert fr-alert--warning fr-alert--sm', id: 'offline-notice', role: 'status' },
      h('p', { class: 'fr-text--bold fr-mb-0' }, s.notice || 'Hors connexion'),
      h('p', {}, 'Consultation seulement : aucune modification n’est possible tant que la base centrale ne répond pas.')));
  } else if (Date.now() < backOnlineUntil) {
    parts.push(h('div', { class: 'fr-alert fr-alert--success fr-alert--sm', id: 'online-again', role: 'status' },
      h('p', {}, 'Connexion rétablie : la base centrale répond de nouveau.')));
  }
  const synced = s.copy_synced_at
    ? `Copie hors connexion du ${when(s.copy_synced_at)}`
    : 'Aucune copie hors connexion pour l’instant';
  parts.push(h('p', { class: 'fr-text--sm fr-mb-0', id: 'offline-copy-age' }, synced, ' ', sync));
  const p = progressLine(progress || s.syncing);
  if (p) parts.push(p);
  if (s.last_error && s.online) parts.push(h('p', { class: 'fr-error-text' }, s.last_error));
  box.replaceChildren(...parts);
  document.body.dataset.offline = s.online ? 'false' : 'true';
  disableWrites(!s.online);
}

function disableWrites(off) {
  for (const el of document.querySelectorAll(WRITE_CONTROLS)) {
    if (off) {
      if (!el.disabled) { el.disabled = true; el.dataset.offlineDisabled = 'true'; }
    } else if (el.dataset.offlineDisabled) {
      el.disabled = false;
      delete el.dataset.offlineDisabled;
    }
  }
}

async function syncNow() {
  manual = true;
  try {
    const s = await call('offline_status');
    render(s);
    await call('snapshot_sync', { onProgress: channel((p) => render(s, p)) });
  } catch (e) {
    bar().append(h('p', { class: 'fr-error-text' }, e.message));
  } finally {
    manual = false;
    poll();
  }
}

async function poll() {
  try {
    const s = await call('offline_status');
    if (last && !last.online && s.online) backOnlineUntil = Date.now() + 15000;
    last = s;
    render(s);
  } catch (_) { /* the next poll tries again */ }
}

// Views render after the poll: disable their write controls as they appear.
new MutationObserver(() => {
  if (document.body.dataset.offline === 'true') disableWrites(true);
}).observe(document.body, { childList: true, subtree: true });

setInterval(poll, POLL_MS);
poll();
