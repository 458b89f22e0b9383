// Établissement: its addresses with the principal marked; add an address, transfer
// the principal role (confirmation naming both), detach, send links to all.
import { h, clear, tableBlock, when, statusBadge, roleLabel, linkBadge } from '../dom.js';
import { call, showError, showSuccess } from '../api.js';
import { openAddDialog } from '../add-dialog.js';
import { confirmDialog } from '../confirm.js';
import { auditTable } from './journal.js';

export async function render(root, [uai]) {
  let view;
  try {
    view = await call('establishment', { uai });
  } catch (err) {
    root.append(h('h1', {}, 'Établissement'));
    showError(err);
    return;
  }
  const e = view.establishment;
  const principal = view.members.find((m) => m.role === 'principal');

  const makePrincipal = async (m) => {
    const text = principal
      ? `${m.email} deviendra le compte principal de ${e.name} (${e.uai}) à la place de ${principal.email}, qui restera rattaché comme membre.`
      : `${m.email} deviendra le compte principal de ${e.name} (${e.uai}), qui n’en a pas aujourd’hui.`;
    if (!(await confirmDialog({ title: 'Changer de compte principal', text, ok: 'Changer le compte principal' }))) return;
    try {
      const change = await call('make_principal', { email: m.email, uai: e.uai });
      await rerender();
      showSuccess(change.previous
        ? `${change.new} est maintenant le compte principal (à la place de ${change.previous}).`
        : `${change.new} est maintenant le compte principal.`);
      await offerInitLink(m);
    } catch (err) {
      showError(err);
    }
  };

  // A new principal that never set its password and has no link on its way gets
  // the offer of one, so the establishment is not left without a way in.
  const offerInitLink = async (m) => {
    const live = m.last_link && ['queued', 'sending', 'sent'].includes(m.last_link.state);
    if (m.status !== 'pending' || live) return;
    const ok = await confirmDialog({
      title: 'Envoyer le lien d’initialisation ?',
      text: `${m.email} n’a pas encore de mot de passe ni de lien en cours. Lui envoyer maintenant son lien d’initialisation ?`,
      ok: 'Envoyer le lien',
    });
    if (!ok) return;
    try {
      await call('send_link', { email: m.email, purpose: 'init' });
      await rerender();
      showSuccess(`Le lien d’initialisation a été demandé pour ${m.email}.`);
    } catch (err) {
      showError(err);
    }
  };

  const detach = async (m) => {
    const ok = await confirmDialog({ title: 'Détacher une adresse', text: `${m.email} ne sera plus rattachée à ${e.name} (${e.uai}).`, ok: 'Détacher' });
    if (!ok) return;
    try {
      await call('detach', { email: m.email, uai: e.uai });
      await rerender();
      showSuccess(`${m.email} a été détachée de ${e.uai}.`);
    } catch (err) {
      showError(err);
    }
  };

  const rerender = async () => {
    clear(root);
    await render(root, [uai]);
  };

  const rows = view.members.map((m) => h('tr', { dataset: { email: m.email, role: m.role } },
    h('td', {}, h('a', { href: `#/compte/${encodeURIComponent(m.email)}` }, m.email)),
    h('td', {}, m.display_name || '—'),
    h('td', {}, m.role === 'principal' ? h('span', { class: 'fr-badge fr-badge--sm fr-badge--blue-france', id: 'principal-badge' }, 'principal') : roleLabel(m.role)),
    h('td', {}, statusBadge(m.status)),
    h('td', {}, m.last_link ? [linkBadge(m.last_link.state), ` ${when(m.last_link.created_at)}`] : '—'),
    // Right-aligned, so « Détacher » sits at the same place on every row.
    h('td', {}, h('ul', { class: 'fr-btns-group fr-btns-group--sm fr-btns-group--inline fr-btns-group--right' },
      m.role !== 'principal' ? h('li', {}, h('button', { class: 'fr-btn fr-btn--sm fr-btn--secondary', type: 'button', dataset: { action: 'make-principal' }, onclick: () => makePrincipal(m) }, 'Rendre principal')) : null,
      h('li', {}, h('button', { class: 'fr-btn fr-btn--sm fr-btn--tertiary', type: 'button', dataset: { action: 'detach' }, onclick: () => detach(m) }, 'Détacher'))))));

  root.append(
    h('nav', { class: 'fr-breadcrumb', 'aria-label': 'vous êtes ici :' },
      h('ol', { class: 'fr-breadcrumb__list' },
        h('li', {}, h('a', { class: 'fr-breadcrumb__link', href: '#/recherche' }, 'Recherche')),
        h('li', {}, h('a', { class: 'fr-breadcrumb__link', 'aria-current': 'page' }, e.uai)))),
    h('h1', { id: 'establishment-title' }, e.name),
    h('p', { class: 'fr-text--lg' }, h('strong', {}, e.uai), ` · ${e.city || 'ville inconnue'} · académie ${e.academy || 'inconnue'}`),
    h('p', { id: 'principal-line' }, 'Compte principal : ', principal ? h('strong', { id: 'principal-email' }, principal.email) : h('span', { class: 'fr-badge fr-badge--warning fr-badge--sm' }, 'aucun')),
    h('ul', { class: 'fr-btns-group fr-btns-group--inline-md fr-btns-group--icon-left fr-mb-2w' },
      h('li', {}, h('button', { class: 'fr-btn fr-icon-add-line', type: 'button', id: 'establishment-add', onclick: () => openAddDialog({ uai: e.uai }) }, 'Ajouter une adresse')),
      h('li', {}, h('a', { class: 'fr-btn fr-btn--secondary fr-icon-mail-line', href: `#/envoi-groupe/etablissement/${e.uai}`, id: 'establishment-bulk' }, 'Envoyer les liens à toutes les adresses'))),
    tableBlock({ class: 'fr-table--sm', id: 'members-table' },
      h('table', {},
        h('caption', {}, `Adresses rattachées (${view.members.length})`),
        h('thead', {}, h('tr', {}, ['Adresse', 'Nom', 'Rôle', 'Statut', 'Dernier lien', 'Actions'].map((t) => h('th', { scope: 'col', class: t === 'Actions' ? 'siec-cell--end' : null }, t)))),
        h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: '6' }, 'Aucune adresse rattachée.'))))),
    h('h2', { class: 'fr-mt-4w' }, 'Journal de l’établissement'),
    auditTable(view.audit));
}
