// Recherche: results as you type over accounts or establishments, with filters,
// sortable columns, a virtualised list and keyboard navigation.
import { h, clear, num, statusBadge, roleLabel, debounce } from '../dom.js';
import { call, showError, clearAlerts } from '../api.js';
import { VirtualList } from '../vlist.js';
import { openAddDialog } from '../add-dialog.js';
import { go } from '../router.js';

// Kept across screens: coming back from an account finds the same search.
const saved = { text: '', kind: 'accounts', status: '', academy: '', role: '', withoutPrincipal: false, neverInitialised: false, sort: null };
let seq = 0;

const COLUMNS = {
  accounts: [
    { key: 'email', label: 'Adresse', sort: 'email' },
    { key: 'name', label: 'Nom' },
    { key: 'status', label: 'Statut', sort: 'status' },
    { key: 'role', label: 'Rôle' },
    { key: 'establishment', label: 'Établissement' },
    { key: 'city', label: 'Ville' },
    { key: 'academy', label: 'Académie' },
  ],
  establishments: [
    { key: 'uai', label: 'UAI', sort: 'uai' },
    { key: 'name', label: 'Nom', sort: 'name' },
    { key: 'city', label: 'Ville', sort: 'city' },
    { key: 'academy', label: 'Académie', sort: 'academy' },
    { key: 'accounts', label: 'Adresses' },
    { key: 'principal', label: 'Compte principal' },
  ],
};

function cells(kind, r) {
  if (kind === 'accounts') {
    const more = r.establishments > 1 ? ` (+${r.establishments - 1})` : '';
    return [
      r.email,
      r.display_name || '—',
      statusBadge(r.status),
      roleLabel(r.role),
      r.uai ? `${r.uai} — ${r.establishment_name}${more}` : 'non rattachée',
      r.city || '—',
      r.academy || '—',
    ];
  }
  return [r.uai, r.name, r.city || '—', r.academy || '—', num(r.accounts), r.principal || 'aucun'];
}

export function query(overrides = {}) {
  return {
    text: saved.text,
    kind: saved.kind,
    status: saved.kind === 'accounts' && saved.status ? saved.status : null,
    academy: saved.academy.trim() || null,
    role: saved.kind === 'accounts' && saved.role ? saved.role : null,
    without_principal: saved.withoutPrincipal,
    never_initialised: saved.kind === 'accounts' && saved.neverInitialised,
    sort: saved.sort?.key || (saved.kind === 'accounts' ? 'email' : 'uai'),
    descending: !!saved.sort?.descending,
    offset: 0,
    limit: 200,
    ...overrides,
  };
}

function select(id, label, options, value) {
  return h('div', { class: 'fr-select-group' },
    h('label', { class: 'fr-label', for: id }, label),
    h('select', { class: 'fr-select', id }, options.map(([v, l]) => h('option', { value: v, selected: v === value }, l))));
}

function checkbox(id, label, checked) {
  return h('div', { class: 'fr-checkbox-group fr-checkbox-group--sm' },
    h('input', { type: 'checkbox', id, checked }),
    h('label', { class: 'fr-label', for: id }, label));
}

export function render(root) {
  const input = h('input', { class: 'fr-input', type: 'search', id: 'search-text', autocomplete: 'off', spellcheck: 'false', value: saved.text, placeholder: 'Adresse e-mail, UAI, nom d’établissement ou ville' });
  const count = h('p', { class: 'fr-mb-1w', id: 'results-count', 'aria-live': 'polite' });
  const empty = h('div', { id: 'results-empty', hidden: true });
  const enterHint = h('p', { class: 'fr-message fr-message--info fr-mb-1w', id: 'enter-hint', 'aria-live': 'polite', hidden: true });
  const filters = h('div', { class: 'siec-toolbar fr-mb-2w' });
  let list;

  const renderFilters = () => {
    clear(filters).append(
      select('search-kind', 'Rechercher', [['accounts', 'des adresses'], ['establishments', 'des établissements']], saved.kind),
      saved.kind === 'accounts' ? select('filter-status', 'Statut', [['', 'Tous'], ['pending', 'En attente'], ['active', 'Actif'], ['disabled', 'Désactivé']], saved.status) : null,
      saved.kind === 'accounts' ? select('filter-role', 'Rôle', [['', 'Tous'], ['principal', 'Principal'], ['member', 'Membre']], saved.role) : null,
      h('div', { class: 'fr-input-group' },
        h('label', { class: 'fr-label', for: 'filter-academy' }, 'Académie'),
        h('input', { class: 'fr-input', id: 'filter-academy', value: saved.academy, autocomplete: 'off' })),
      h('fieldset', { class: 'fr-fieldset fr-mb-0' },
        checkbox('filter-without-principal', 'Établissement sans compte principal', saved.withoutPrincipal),
        saved.kind === 'accounts' ? checkbox('filter-never-initialised', 'Mot de passe jamais initialisé', saved.neverInitialised) : null),
    );
  };

  const makeList = () => {
    list = new VirtualList({
      columns: COLUMNS[saved.kind],
      colsClass: `siec-cols-${saved.kind}`,
      label: saved.kind === 'accounts' ? 'Adresses trouvées' : 'Établissements trouvés',
      fetchPage: async (offset, limit) => {
        const page = await call('search', { query: query({ offset, limit, skip_count: true }), seq: null });
        return page.rows;
      },
      renderCells: (r) => cells(saved.kind, r),
      onOpen: (r) => go(saved.kind === 'accounts' ? `#/compte/${encodeURIComponent(r.email)}` : `#/etablissement/${r.uai}`),
      onSort: (sort) => { saved.sort = sort; run(); },
    });
    list.sort = saved.sort;
    list.renderHead();
    return list;
  };
  const listBox = h('div', {}, makeList().el);

  // The filters in force, said in one line with a way to drop them all: a search
  // that finds nobody because of a forgotten filter is seen at once.
  const activeFilters = h('p', { class: 'fr-text--sm fr-mb-1w', id: 'active-filters', hidden: true });
  const showActiveFilters = () => {
    const parts = [];
    if (saved.academy.trim()) parts.push(`académie ${saved.academy.trim()}`);
    if (saved.kind === 'accounts' && saved.status) parts.push(`statut ${{ pending: 'en attente', active: 'actif', disabled: 'désactivé' }[saved.status]}`);
    if (saved.kind === 'accounts' && saved.role) parts.push(`rôle ${saved.role === 'principal' ? 'principal' : 'membre'}`);
    if (saved.withoutPrincipal) parts.push('établissement sans compte principal');
    if (saved.kind === 'accounts' && saved.neverInitialised) parts.push('mot de passe jamais initialisé');
    activeFilters.hidden = parts.length === 0;
    if (!parts.length) return clear(activeFilters);
    clear(activeFilters).append(`Filtres : ${parts.join(', ')} — `,
      h('button', { class: 'fr-link fr-text--sm', type: 'button', id: 'clear-filters', onclick: () => {
        Object.assign(saved, { status: '', academy: '', role: '', withoutPrincipal: false, neverInitialised: false });
        renderFilters();
        run();
      } }, 'tout effacer'));
  };

  const showCount = (total, exact) => {
    const more = exact ? '' : 'plus de ';
    const noun = saved.kind === 'accounts' ? 'adresse' : 'établissement';
    count.textContent = total === 0 ? 'Aucun résultat.' : `${more}${num(total)} ${noun}${total > 1 ? 's' : ''}`;
    delete count.dataset.pending;
  };

  // The rows first, the total a moment later: counting a broad search costs more
  // than its first page, and the agent reads the rows, not the number.
  const run = async (startedAt = performance.now()) => {
    const mine = ++seq;
    showActiveFilters();
    const sentAt = performance.now();
    try {
      const q = query();
      const page = await call('search', { query: { ...q, skip_count: true }, seq: mine });
      if (page === null || mine !== seq) return; // a newer keystroke won
      clearAlerts();
      if (page.counted) {
        showCount(page.total, page.total_exact);
        // With a capped count the list still scrolls on: pages keep coming until empty.
        list.reset(page.total_exact ? page.total : Math.max(page.total, page.rows.length), page.rows, page.total_exact);
        showEmpty(page.total === 0);
      } else {
        count.dataset.pending = 'true';
        count.textContent = `${num(page.rows.length)} premiers résultats, décompte en cours…`;
        list.reset(page.rows.length, page.rows, false);
        list.grow(page.rows.length + 10 * page.rows.length);
        showEmpty(false);
      }
      list.el.dataset.seq = String(mine);
      list.el.dataset.text = saved.text;
      // Measured for the benchmark: from the keystroke (debounce included) and from
      // the moment the query left, to the rows on screen.
      list.el.dataset.latencyMs = String(Math.round(performance.now() - startedAt));
      list.el.dataset.queryMs = String(Math.round(performance.now() - sentAt));
      if (page.counted) return;
      const total = await call('search_count', { query: q, seq: mine });
      if (total === null || mine !== seq) return;
      showCount(total.total, total.total_exact);
      if (total.total_exact) list.grow(total.total, true);
      else list.grow(Math.max(list.total, total.total));
    } catch (err) {
      if (mine === seq) showError(err);
    }
  };

  const showEmpty = (isEmpty) => {
    empty.hidden = !isEmpty;
    // No empty grid taking the screen: the offer to add the address shows instead.
    listBox.hidden = isEmpty;
    clear(empty);
    if (!isEmpty) return;
    const text = saved.text.trim();
    const looksLikeEmail = text.includes('@');
    empty.append(h('div', { class: 'fr-alert fr-alert--info fr-mt-2w' },
      h('h3', { class: 'fr-alert__title' }, text ? `Aucun résultat pour « ${text} »` : 'Aucun résultat'),
      h('p', {}, looksLikeEmail ? 'Cette adresse n’est pas dans la base : vous pouvez l’ajouter et la rattacher à son établissement.' : 'Vérifiez l’orthographe ou élargissez les filtres.'),
      looksLikeEmail ? h('button', { class: 'fr-btn fr-btn--sm fr-icon-add-line fr-btn--icon-left fr-mt-1w', id: 'add-this-address', type: 'button', onclick: () => openAddDialog({ email: text }) }, 'Ajouter cette adresse') : null));
  };

  const typed = debounce((t0) => run(t0), 60);
  input.addEventListener('input', () => {
    saved.text = input.value;
    enterHint.hidden = true;
    typed(performance.now());
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      list.scroller.focus();
      list.select(0);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      openOnEnter();
    }
  });

  // Entrée in the field opens the row the text names whole (listed first by the
  // core), or the only row; among several rows none of which is the one typed it
  // opens nothing, so a caller is never confused with a neighbour.
  const openOnEnter = async () => {
    if (list.el.dataset.text !== saved.text) await run();
    const text = saved.text.trim();
    const first = list.rowAt(0);
    enterHint.hidden = true;
    if (!first) {
      if (text.includes('@') && list.total === 0) openAddDialog({ email: text });
      return;
    }
    const exact = saved.kind === 'accounts'
      ? first.email.toLowerCase() === text.toLowerCase()
      : first.uai === text.toUpperCase();
    if (exact || (list.total === 1 && list.exact)) {
      list.onOpen(first);
      return;
    }
    enterHint.textContent = text
      ? `Aucun résultat n’est exactement « ${text} » : choisissez la ligne avec les flèches, puis Entrée.`
      : 'Choisissez la ligne avec les flèches, puis Entrée.';
    enterHint.hidden = false;
  };
  filters.addEventListener('change', (e) => {
    const t = e.target;
    if (t.id === 'search-kind') {
      saved.kind = t.value;
      saved.sort = null;
      renderFilters();
      clear(listBox).append(makeList().el);
    } else if (t.id === 'filter-status') saved.status = t.value;
    else if (t.id === 'filter-role') saved.role = t.value;
    else if (t.id === 'filter-without-principal') saved.withoutPrincipal = t.checked;
    else if (t.id === 'filter-never-initialised') saved.neverInitialised = t.checked;
    else if (t.id === 'filter-academy') saved.academy = t.value;
    run();
  });
  filters.addEventListener('input', debounce((e) => {
    if (e.target.id === 'filter-academy') { saved.academy = e.target.value; run(); }
  }, 250));

  renderFilters();
  root.append(
    h('div', { class: 'siec-toolbar fr-mb-2w' },
      h('h1', { class: 'fr-mb-0 siec-grow' }, 'Recherche'),
      h('button', { class: 'fr-btn fr-btn--secondary fr-icon-add-line fr-btn--icon-left', type: 'button', id: 'open-add', onclick: () => openAddDialog({ email: saved.text.includes('@') ? saved.text.trim() : '' }) }, 'Ajouter une adresse'),
      h('a', { class: 'fr-btn fr-btn--tertiary fr-icon-mail-line fr-btn--icon-left', href: '#/envoi-groupe/recherche', id: 'bulk-from-search' }, 'Envoyer des liens à ces adresses')),
    h('div', { class: 'fr-search-bar fr-search-bar--lg fr-mb-2w', role: 'search' },
      h('label', { class: 'fr-label', for: 'search-text' }, 'Rechercher'),
      input),
    h('p', { class: 'fr-hint-text fr-mb-2w' }, 'Raccourcis : « / » ou Ctrl+K pour revenir ici, flèches pour parcourir, Entrée pour ouvrir.'),
    filters, activeFilters, count, enterHint, listBox, empty);
  input.focus();
  run();
}
