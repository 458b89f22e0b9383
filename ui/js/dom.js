// Tiny DOM builder: every text goes through textContent, so nothing a user typed
// or the database holds is ever parsed as HTML.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function $(sel, root = document) {
  return root.querySelector(sel);
}

// Written out rather than through Intl: the two formats below are all the window
// needs, and Intl brings ICU's formatting code and locale data into the page's
// process (3 MiB, docs/BENCHMARKS.md).
const pad = (n) => String(n).padStart(2, '0');

/** « 28/11/2026 14:05 », as fr-FR writes a short date and time. */
export function when(ms) {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(Number(ms));
  return `${pad(d.getDate())}/${pad(d.getMonth() + 1)}/${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** « 1 234 567 », thousands grouped by a narrow no-break space as in fr-FR. */
export function num(n) {
  return String(Math.trunc(Number(n || 0))).replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
}

const STATUS = {
  pending: ['en attente', 'fr-badge--new'],
  active: ['actif', 'fr-badge--success'],
  disabled: ['désactivé', 'fr-badge--error'],
};
export function statusLabel(status) {
  return (STATUS[status] || [status || '—'])[0];
}
export function statusBadge(status) {
  const [label, cls] = STATUS[status] || [status || '—', ''];
  return h('span', { class: `fr-badge fr-badge--sm fr-badge--no-icon ${cls}`, dataset: { status } }, label);
}

const PURPOSE = { init: 'initialisation', reset: 'réinitialisation' };
export function purposeLabel(purpose) {
  return PURPOSE[purpose] || purpose || '—';
}

const ROLE = { principal: 'principal', member: 'membre' };
export function roleLabel(role) {
  return ROLE[role] || '—';
}

const LINK = {
  queued: ['en file d’attente', 'fr-badge--info'],
  sending: ['en cours d’envoi', 'fr-badge--info'],
  sent: ['envoyé', 'fr-badge--success'],
  failed: ['échec', 'fr-badge--error'],
  used: ['utilisé', 'fr-badge--success'],
  expired: ['expiré', 'fr-badge--warning'],
  revoked: ['révoqué', 'fr-badge--warning'],
};
export function linkBadge(state) {
  const [label, cls] = LINK[state] || [state || '—', ''];
  return h('span', { class: `fr-badge fr-badge--sm fr-badge--no-icon ${cls}`, dataset: { state } }, label);
}

export function debounce(fn, ms) {
  let t;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

// DSFR 1.15 table markup around a <table>: full width, scrolls sideways if needed.
export function tableBlock(attrs, table) {
  const cls = `fr-table ${attrs.class || ''}`.trim();
  return h('div', { ...attrs, class: cls },
    h('div', { class: 'fr-table__wrapper' },
      h('div', { class: 'fr-table__container' },
        h('div', { class: 'fr-table__content' }, table))));
}
