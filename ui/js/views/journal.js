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
  revoked_links: ['liens annulés'],
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

// The operations an agent can look for, in the core's words (audit::action_label).
const OPERATIONS = [
  ['', 'Toutes'],
  ['account.add', 'adresse ajoutée'],
  ['account.attach', 'adresse rattachée'],
  ['account.detach', 'adresse détachée'],
  ['account.edit', 'compte modifié'],
  ['account.principal', 'compte principal désigné'],
  ['account.disable', 'compte désactivé'],
  ['account.enable', 'compte réactivé'],
  ['link.request', 'lien demandé'],
  ['link.retry', 'envoi groupé relancé'],
  ['link.redeem', 'mot de passe défini'],
  ['establishment.add', 'établissement ajouté'],
  ['establishment.edit', 'établissement modifié'],
];

const PAGE = 200;

export function render(root) {
  const out = h('div', { id: 'journal-results' });
  const input = (id, label, type = 'text', hint = null) => h('div', { class: 'fr-input-group' },
    h('label', { class: 'fr-label', for: id }, label, hint ? h('span', { class: 'fr-hint-text' }, hint) : null),
    h('input', { class: 'fr-input', id, type, autocomplete: 'off' }));
  const form = h('form', { class: 'siec-toolbar fr-mb-3w', id: 'journal-form' },
    input('journal-agent', 'Agent'),
    h('div', { class: 'fr-select-group' },
      h('label', { class: 'fr-label', for: 'journal-action' }, 'Opération'),
      h('select', { class: 'fr-select', id: 'journal-action' }, OPERATIONS.map(([v, l]) => h('option', { value: v }, l)))),
    input('journal-target', 'Cible', 'text', 'Adresse, ou UAI (ses adresses comprises)'),
    input('journal-since', 'Du', 'date'),
    input('journal-until', 'Au (inclus)', 'date'),
    h('button', { class: 'fr-btn', type: 'submit' }, 'Filtrer'));
  let entries = [];
  let filter = null;
  const more = h('button', { class: 'fr-btn fr-btn--secondary fr-mt-2w', type: 'button', id: 'journal-more', hidden: true }, `Afficher les ${PAGE} suivantes`);
  const show = (complete) => {
    const count = h('p', { id: 'journal-count' }, `${entries.length} opération${entries.length > 1 ? 's' : ''}${complete ? '' : ' (les plus récentes ; d’autres suivent)'}`);
    clear(out).append(count, auditTable(entries));
    more.hidden = complete;
  };
  const fetchPage = async () => {
    const rows = await call('audit_list', { filter: { ...filter, offset: entries.length, limit: PAGE + 1 } });
    entries = entries.concat(rows.slice(0, PAGE));
    show(rows.length <= PAGE);
  };
  const load = async () => {
    const v = (id) => form.querySelector(`#${id}`).value.trim();
    const day = (d, next) => {
      if (!d) return null;
      const t = new Date(`${d}T00:00:00`);
      if (next) t.setDate(t.getDate() + 1);
      return t.getTime();
    };
    filter = {
      agent: v('journal-agent') || null,
      action: v('journal-action') || null,
      target: v('journal-target') || null,
      since_ms: day(v('journal-since'), false),
      until_ms: day(v('journal-until'), true),
    };
    entries = [];
    try {
      await fetchPage();
    } catch (err) {
      showError(err);
    }
  };
  more.addEventListener('click', async () => {
    try {
      await fetchPage();
    } catch (err) {
      showError(err);
    }
  });
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  root.append(h('h1', {}, 'Journal'), form, out, more);
  load();
}
