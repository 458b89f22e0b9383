// Compte: status, establishments and roles, links, audit; send a link, disable or
// re-enable.
import { h, clear, tableBlock, when, statusBadge, roleLabel, linkBadge, purposeLabel } from '../dom.js';
import { call, showError, showSuccess } from '../api.js';
import { confirmDialog } from '../confirm.js';
import { mailerNotice } from '../mailer.js';
import { go } from '../router.js';
import { auditTable } from './journal.js';

export async function render(root, [email]) {
  let view;
  try {
    view = await call('account', { email });
  } catch (err) {
    root.append(h('h1', {}, 'Compte'));
    showError(err);
    return;
  }
  let history = null;
  try {
    history = await call('link_history', { email });
  } catch (_) {
    history = null;
  }
  const a = view.account;
  const rerender = async () => {
    clear(root);
    await render(root, [a.email]);
  };
  watch(root, a, history);

  const sendLink = async (purpose) => {
    // A link that left a moment ago is still valid: a new one would cancel it.
    // The history (newest first) is the fresher of the two: the worker may have
    // sent the link between the account's reading and the history's.
    const last = (history && history[0]) || view.last_link;
    if (last && last.state === 'sent' && last.expires_at && Number(last.expires_at) > Date.now()) {
      const ok = await confirmDialog({
        title: 'Un lien est déjà en cours',
        text: `Un lien valable jusqu’à ${hour(last.expires_at)} a déjà été envoyé le ${when(last.sent_at || last.requested_at || last.created_at)} : en envoyer un nouveau annule le premier.`,
        ok: 'Envoyer un nouveau lien',
      });
      if (!ok) return;
    }
    try {
      await call('send_link', { email: a.email, purpose });
      await rerender();
      showSuccess(purpose === 'init'
        ? `Le lien d’initialisation a été demandé pour ${a.email}.`
        : `Le lien de réinitialisation a été demandé pour ${a.email}.`);
    } catch (err) {
      showError(err);
    }
  };

  const toggle = async () => {
    const enabling = a.status === 'disabled';
    if (!enabling) {
      const ok = await confirmDialog({ title: 'Désactiver le compte', text: `${a.email} ne pourra plus se connecter ni recevoir de lien. Ses liens en cours seront annulés.`, ok: 'Désactiver' });
      if (!ok) return;
    }
    try {
      await call('set_enabled', { email: a.email, enabled: enabling, version: a.version });
      await rerender();
      showSuccess(enabling ? `Le compte ${a.email} est réactivé.` : `Le compte ${a.email} est désactivé.`);
    } catch (err) {
      showError(err);
    }
  };

  // Detaching the last establishment kills a live link: said before, done on confirmation.
  const detach = async (m) => {
    const newest = (history && history[0]) || view.last_link;
    const live = !!newest && LIVE.has(newest.state);
    const last = view.memberships.length === 1;
    const ok = await confirmDialog({
      title: 'Détacher l’adresse',
      text: `${a.email} ne sera plus rattachée à ${m.name} (${m.uai}).${live && last ? ' C’est son dernier établissement : le lien en cours sera annulé.' : ''}`,
      ok: 'Détacher',
    });
    if (!ok) return;
    try {
      await call('detach', { email: a.email, uai: m.uai, revoke: live && last });
      await rerender();
      showSuccess(`${a.email} est détachée de ${m.uai}.`);
    } catch (err) {
      showError(err);
    }
  };

  const attachForm = () => {
    const input = h('input', { class: 'fr-input', id: 'attach-uai', autocomplete: 'off', placeholder: 'Exemple : 0301674G' });
    const error = h('p', { class: 'fr-error-text', id: 'attach-uai-error', hidden: true });
    const group = h('div', { class: 'fr-input-group', id: 'attach-group' },
      h('label', { class: 'fr-label', for: 'attach-uai' }, 'Code UAI de l’établissement'), input, error);
    const submit = async (e) => {
      e.preventDefault();
      try {
        await call('attach', { email: a.email, uai: input.value.trim() });
        await rerender();
        showSuccess(`${a.email} est rattachée à ${input.value.trim().toUpperCase()}.`);
      } catch (err) {
        group.classList.add('fr-input-group--error');
        error.hidden = false;
        error.textContent = err.message;
        input.focus();
      }
    };
    const form = h('form', { class: 'siec-toolbar fr-mb-2w', id: 'attach-form', onsubmit: submit, onkeydown: (e) => { if (e.key === 'Escape') { e.preventDefault(); form.replaceWith(actions()); } } },
      group, h('button', { class: 'fr-btn', type: 'submit', id: 'attach-submit' }, 'Rattacher'),
      h('button', { class: 'fr-btn fr-btn--secondary', type: 'button', onclick: () => form.replaceWith(actions()) }, 'Annuler'));
    setTimeout(() => input.focus(), 0);
    return form;
  };

  const editForm = () => {
    const mail = h('input', { class: 'fr-input', id: 'edit-email', autocomplete: 'off', spellcheck: 'false', value: a.email });
    const name = h('input', { class: 'fr-input', id: 'edit-name', autocomplete: 'off', value: a.display_name || '' });
    const error = h('div', { id: 'edit-alert' });
    const submit = async (e) => {
      e.preventDefault();
      try {
        const v = await call('edit_account', { email: a.email, version: a.version, newEmail: mail.value, displayName: name.value });
        const now = v.account.email;
        if (now !== a.email) {
          sessionStorage.setItem('siec-just-edited', now);
          go(`#/compte/${encodeURIComponent(now)}`);
        } else {
          await rerender();
          showSuccess(`Le compte ${now} est corrigé.`);
        }
      } catch (err) {
        showError(err, error);
      }
    };
    const form = h('form', { class: 'fr-mb-2w', id: 'edit-form', onsubmit: submit, onkeydown: (e) => { if (e.key === 'Escape') { e.preventDefault(); form.replaceWith(actions()); } } },
      error,
      h('div', { class: 'fr-input-group' }, h('label', { class: 'fr-label', for: 'edit-email' }, 'Adresse e-mail',
        h('span', { class: 'fr-hint-text' }, 'Corriger l’adresse annule les liens envoyés à l’ancienne.')), mail),
      h('div', { class: 'fr-input-group' }, h('label', { class: 'fr-label', for: 'edit-name' }, 'Nom affiché'), name),
      h('ul', { class: 'fr-btns-group fr-btns-group--inline-md' },
        h('li', {}, h('button', { class: 'fr-btn', type: 'submit', id: 'edit-submit' }, 'Enregistrer')),
        h('li', {}, h('button', { class: 'fr-btn fr-btn--secondary', type: 'button', onclick: () => form.replaceWith(actions()) }, 'Annuler'))));
    setTimeout(() => mail.focus(), 0);
    return form;
  };

  const purpose = a.password_set_at ? 'reset' : 'init';
  mailerNotice(root);
  const actions = () => {
    const bar = h('ul', { class: 'fr-btns-group fr-btns-group--inline-md fr-btns-group--icon-left fr-mb-2w', id: 'account-actions' },
      a.status !== 'disabled' ? h('li', {}, h('button', { class: 'fr-btn fr-icon-mail-line', type: 'button', id: 'send-link', dataset: { purpose }, onclick: () => sendLink(purpose) },
        purpose === 'init' ? 'Envoyer le lien d’initialisation' : 'Envoyer un lien de réinitialisation')) : null,
      a.status !== 'disabled' ? h('li', {}, h('button', { class: 'fr-btn fr-btn--secondary fr-icon-building-line', type: 'button', id: 'open-attach', onclick: () => bar.replaceWith(attachForm()) }, 'Rattacher à un établissement')) : null,
      h('li', {}, h('button', { class: 'fr-btn fr-btn--secondary fr-icon-edit-line', type: 'button', id: 'open-edit', onclick: () => bar.replaceWith(editForm()) }, 'Corriger l’adresse ou le nom')),
      h('li', {}, h('button', { class: `fr-btn fr-btn--secondary ${a.status === 'disabled' ? 'fr-icon-refresh-line' : 'fr-icon-close-circle-line'}`, type: 'button', id: 'toggle-enabled', onclick: toggle },
        a.status === 'disabled' ? 'Réactiver le compte' : 'Désactiver le compte')));
    return bar;
  };
  root.append(
    h('nav', { class: 'fr-breadcrumb', 'aria-label': 'vous êtes ici :' },
      h('ol', { class: 'fr-breadcrumb__list' },
        h('li', {}, h('a', { class: 'fr-breadcrumb__link', href: '#/recherche' }, 'Recherche')),
        h('li', {}, h('a', { class: 'fr-breadcrumb__link', 'aria-current': 'page' }, a.email)))),
    h('h1', { id: 'account-title' }, a.email),
    h('p', { class: 'fr-text--lg' }, a.display_name || '', a.display_name ? ' · ' : '', 'Statut : ', h('span', { id: 'account-status' }, statusBadge(a.status))),
    h('p', { class: 'fr-text--sm' }, `Créé le ${when(a.created_at)} · mot de passe ${a.password_set_at ? `défini le ${when(a.password_set_at)}` : 'jamais initialisé'}`),
    actions(),
    tableBlock({ class: 'fr-table--sm', id: 'memberships-table' },
      h('table', {},
        h('caption', {}, 'Établissements'),
        h('thead', {}, h('tr', {}, ['UAI', 'Établissement', 'Ville', 'Académie', 'Rôle', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, view.memberships.length ? view.memberships.map((m) => h('tr', { dataset: { uai: m.uai } },
          h('td', {}, h('a', { href: `#/etablissement/${m.uai}` }, m.uai)),
          h('td', {}, m.name), h('td', {}, m.city || '—'), h('td', {}, m.academy || '—'),
          h('td', {}, m.role === 'principal' ? h('span', { class: 'fr-badge fr-badge--sm fr-badge--blue-france' }, 'principal') : roleLabel(m.role)),
          h('td', {}, h('button', { class: 'fr-btn fr-btn--sm fr-btn--tertiary', type: 'button', dataset: { action: 'detach' }, onclick: () => detach(m) }, 'Détacher')))) :
          h('tr', {}, h('td', { colspan: '6' }, 'Rattachée à aucun établissement.'))))),
    h('h2', { class: 'fr-mt-4w' }, 'Liens'),
    linksTable(history, view.last_link),
    h('h2', { class: 'fr-mt-4w' }, 'Journal du compte'),
    auditTable(view.audit));
  announce(a);
}

// After « Ajouter », a correction or an attachment: say it, and put the focus where
// the agent's next step is.
function announce(a) {
  const added = sessionStorage.getItem('siec-just-added');
  const edited = sessionStorage.getItem('siec-just-edited');
  const attached = sessionStorage.getItem('siec-just-attached');
  sessionStorage.removeItem('siec-just-added');
  sessionStorage.removeItem('siec-just-edited');
  sessionStorage.removeItem('siec-just-attached');
  if (added === a.email) {
    showSuccess(`L’adresse ${a.email} est ajoutée. Envoyez-lui maintenant son lien d’initialisation.`);
    document.getElementById('send-link')?.focus();
  } else if (edited === a.email) {
    showSuccess(`Le compte est corrigé : ${a.email}.`);
  } else if (attached && attached.startsWith(`${a.email} `)) {
    showSuccess(`${a.email} est rattachée à ${attached.split(' ')[1]}.`);
  }
}

function hour(ms) {
  const d = new Date(Number(ms));
  return `${d.getHours()} h ${String(d.getMinutes()).padStart(2, '0')}`;
}

// While a link is waiting for the outbox worker or lies unused in a mailbox, its
// state (and the account's) changes without the agent doing anything: look again
// every two seconds, and redraw when something moved. Stops when the page is left.
const POLL_MS = 2000;
const LIVE = new Set(['queued', 'sending', 'sent']);

function watch(root, account, history) {
  const gen = String(Number(root.dataset.gen || 0) + 1);
  root.dataset.gen = gen;
  if (!(history || []).some((l) => LIVE.has(l.state))) return;
  const before = JSON.stringify([account.status, account.version, history]);
  const tick = async () => {
    if (!root.isConnected || root.dataset.gen !== gen) return;
    try {
      const [v, hist] = await Promise.all([call('account', { email: account.email }), call('link_history', { email: account.email })]);
      if (!root.isConnected || root.dataset.gen !== gen) return;
      if (JSON.stringify([v.account.status, v.account.version, hist]) !== before) {
        clear(root);
        await render(root, [account.email]);
        return;
      }
    } catch (_) {
      // A passing failure (database busy): the next look will tell.
    }
    setTimeout(tick, POLL_MS);
  };
  setTimeout(tick, POLL_MS);
}

// The core's link history; before it loads, the account card's last link.
function linkRows(history, last) {
  if (history) return history;
  return last ? [{ ...last, requested_at: last.created_at, reason: last.detail }] : [];
}

function linksTable(history, last) {
  const rows = linkRows(history, last);
  if (!rows.length) return h('p', { id: 'links-empty' }, 'Aucun lien envoyé à cette adresse.');
  return tableBlock({ class: 'fr-table--sm', id: 'links-table' },
    h('table', {},
      h('caption', {}, 'Historique des liens'),
      h('thead', {}, h('tr', {}, ['Type', 'État', 'Demandé le', 'Envoyé le', 'Expire le', 'Détail'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.map((l) => h('tr', { dataset: { state: l.state } },
        h('td', {}, purposeLabel(l.purpose)),
        h('td', {}, linkBadge(l.state)),
        h('td', {}, when(l.requested_at)),
        h('td', {}, when(l.sent_at)),
        h('td', {}, when(l.expires_at)),
        h('td', {}, linkDetail(l)))))));
}

function linkDetail(l) {
  if (l.state === 'used') return `utilisé le ${when(l.used_at)}`;
  if (l.state === 'queued' && l.attempts > 0) return `${l.reason || 'relais indisponible'} — nouvel essai le ${when(l.next_attempt_at)}`;
  if (l.reason) return l.reason;
  if (l.requested_by) return `demandé par ${l.requested_by}`;
  return '';
}
