// Hash router and keyboard shortcuts. Each view module exports
// `render(root, params)` and may return a cleanup function.
import './theme.js';
import './modal.js';
import './offline.js';
import { $, h } from './dom.js';
import { clearAlerts } from './api.js';
import { refreshSession } from './session.js';
import { go } from './router.js';
import * as dashboard from './views/dashboard.js';
import * as help from './views/help.js';
import * as about from './views/about.js';
import * as search from './views/search.js';
import * as establishment from './views/establishment.js';
import * as account from './views/account.js';
import * as journal from './views/journal.js';
import * as settings from './views/settings.js';
import * as connexion from './views/connexion.js';
import * as bulk from './views/bulk.js';

const routes = {
  'tableau-de-bord': dashboard,
  recherche: search,
  etablissement: establishment,
  compte: account,
  'envoi-groupe': bulk,
  journal,
  parametres: settings,
  connexion,
  aide: help,
  'a-propos': about,
};

let cleanup = null;


async function route() {
  const [name, ...rest] = (location.hash.replace(/^#\/?/, '') || 'tableau-de-bord').split('/');
  const view = routes[name] || dashboard;
  const params = rest.map(decodeURIComponent);
  if (typeof cleanup === 'function') cleanup();
  cleanup = null;
  clearAlerts();
  const nav = { compte: 'recherche', etablissement: 'recherche' }[name] || name;
  for (const a of document.querySelectorAll('.fr-nav__link')) {
    if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  // A fresh element per visit: a slow screen that finishes after the agent moved on
  // writes into a detached node, never over the new screen.
  const root = h('div', { dataset: { view: name } });
  $('#view').replaceChildren(root);
  // Each screen opens at its top, whatever the previous one was scrolled to.
  window.scrollTo(0, 0);
  cleanup = await view.render(root, params);
}

window.addEventListener('hashchange', route);

// `/` or Ctrl+K: straight to the search field, from anywhere but a text field.
document.addEventListener('keydown', (e) => {
  const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement?.tagName || '');
  if ((e.key === 'k' && (e.ctrlKey || e.metaKey)) || (e.key === '/' && !typing)) {
    e.preventDefault();
    if (!location.hash.startsWith('#/recherche')) go('#/recherche');
    else $('#search-text')?.focus();
  }
});

export async function start() {
  const s = await refreshSession();
  // Nothing open (central database configured, or the local file failed): ask first.
  if (!s.connected && !location.hash.startsWith('#/aide') && !location.hash.startsWith('#/a-propos')) location.hash = '#/connexion';
  await route();
  document.body.dataset.ready = 'true';
}

start();
