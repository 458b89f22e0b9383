// Journal: who changed what and when, filtered by agent, target and date.
import { h, clear, tableBlock, when, roleLabel, statusLabel, purposeLabel } from '../dom.js';
import { call, showError } from '../api.js';

// The core records rows as they are stored; the journal names their fields in
// French and shows their values as the other screens do.
const FIELDS = {
  email: ['adresse'],
  display_name: ['nom affiché'],
  uai: ['UAI'],
  role: ['rôle', roleLabel],
  principal: ['compte principal'],
  by_principal: ['rattachée par le compte principal'],
  status: ['statut', statusLabel],
  name: ['nom'],
  city: ['ville'],
  academy: ['académie'],
  created_at: ['créé le', when],
  updated_at: ['modifié le', when],
  purpose: ['objet', purposeLabel],
  batch: ['envoi groupé'],
  requeued: ['remis en file'],
};

// The row's edit counter and the request's internal id mean nothing to a reader.
const HIDDEN = new Set(['version', 'request']);
// Said only when there is one (a link asked for outside a bulk send has no batch).
const OPTIONAL = new Set(['batch', 'by_principal']);

function shown(v) {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'boolean') return v ? 'oui' : 'non';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function summary(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value !== 'object') return String(value);
  const parts = Object.entries(value)
    .filter(([k, v]) => !HIDDEN.has(k) && !(OPTIONAL.has(k) && (v === null || v === undefined)))
    .map(([k, v]) => {
      const [label, format] = FIELDS[k] || [k];
      return `${label} : ${format && v !== null && v !== undefined ? format(v) : shown(v)}`;
    });
  return parts.length ? parts.join(' · ') : '—';
}

export function auditTable(entries) {
  if (!entries.length) return h('p', { class: 'audit-empty' }, 'Aucune opération enregistrée.');
  return tableBlock({ class: 'fr-table--sm fr-table--no-caption audit-table' },
    h('table', {},
      h('caption', {}, 'Journal des opérations'),
      h('thead', {}, h('tr', {}, ['Date', 'Agent', 'Opération', 'Cible', 'Avant', 'Après'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, entries.map((e) => h('tr', { dataset: { action: e.action } },
        h('td', {}, when(e.at)), h('td', {}, e.agent), h('td', {}, e.label || e.action),
        h('td', {}, e.target),
        // What changed can be long: it wraps, so the row reads without scrolling sideways.
        h('td', { class: 'fr-cell--multiline' }, summary(e.before)),
        h('td', { class: 'fr-cell--multiline' }, summary(e.after)))))));
}

export function render(root) {
  const out = h('div', { id: 'journal-results' });
  const input = (id, label, type = 'text', hint = null) => h('div', { class: 'fr-input-group' },
    h('label', { class: 'fr-label', for: id }, label, hint ? h('span', { class: 'fr-hint-text' }, hint) : null),
    h('input', { class: 'fr-input', id, type, autocomplete: 'off' }));
  const form = h('form', { class: 'siec-toolbar fr-mb-3w', id: 'journal-form' },
    input('journal-agent', 'Agent'),
    input('journal-target', 'Cible', 'text', 'Adresse ou UAI'),
    input('journal-since', 'Depuis le', 'date'),
    h('button', { class: 'fr-btn', type: 'submit' }, 'Filtrer'));
  const load = async () => {
    const v = (id) => form.querySelector(`#${id}`).value.trim();
    const since = v('journal-since');
    const filter = {
      agent: v('journal-agent') || null,
      target: v('journal-target') || null,
      since_ms: since ? new Date(`${since}T00:00:00`).getTime() : null,
      limit: 500,
    };
    try {
      const entries = await call('audit_list', { filter });
      clear(out).append(h('p', {}, `${entries.length} opération${entries.length > 1 ? 's' : ''}${entries.length === 500 ? ' (les 500 plus récentes)' : ''}`), auditTable(entries));
    } catch (err) {
      showError(err);
    }
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  root.append(h('h1', {}, 'Journal'), form, out);
  load();
}
