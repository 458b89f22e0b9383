// Hash router and keyboard shortcuts. Each view module exports
// `render(root, params)` and may return a cleanup function.
import { $, clear } from './dom.js';
import { clearAlerts } from './api.js';
import * as dashboard from './views/dashboard.js';
import * as help from './views/help.js';

const routes = {
  'tableau-de-bord': dashboard,
  aide: help,
};

export function registerRoute(name, module) {
  routes[name] = module;
}

let cleanup = null;

export function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

async function route() {
  const [name, ...rest] = (location.hash.replace(/^#\/?/, '') || 'tableau-de-bord').split('/');
  const view = routes[name] || dashboard;
  const params = rest.map(decodeURIComponent);
  if (typeof cleanup === 'function') cleanup();
  cleanup = null;
  clearAlerts();
  for (const a of document.querySelectorAll('.fr-nav__link')) {
    if (a.dataset.nav === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const root = clear($('#view'));
  root.dataset.view = name;
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
  for (const mod of await Promise.all(extraViews())) mod.register?.(registerRoute);
  await route();
  document.body.dataset.ready = 'true';
}

function extraViews() {
  return [];
}

start();
