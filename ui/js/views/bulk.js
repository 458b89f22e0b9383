// Envoi groupé: a selection (an establishment, the current search, a pasted or
// imported list),
// a preview with the skipped addresses, confirmation, a progress bar fed by the
// core's progress events, cancel, and a summary with a retry of the failures.
import { h, clear, num } from '../dom.js';
import { call, channel, showError } from '../api.js';
import { query as searchQuery } from './search.js';
import { confirmDialog } from '../confirm.js';
import { mailerNotice } from '../mailer.js';

// « 1 lien », « 2 liens »: the count with the noun in the number it takes.
const pl = (n, one, many) => `${num(n)} ${n > 1 ? many : one}`;

export async function render(root, [source, value]) {
  const out = h('div', { id: 'bulk-out', class: 'fr-mt-3w' });
  const list = h('textarea', { class: 'fr-input', id: 'bulk-list', rows: '5', placeholder: 'une adresse par ligne' });
  // An agent's own file (CSV from Excel, or a text file): the core reads it, the
  // addresses fill the list above, and the rows left out are listed with their line.
  // The engine's own file button speaks the desk's language, not necessarily French:
  // a DSFR button opens the chooser instead, and says which file was read.
  const file = h('input', { type: 'file', id: 'bulk-file', accept: '.csv,.txt,text/csv,text/plain', hidden: true });
  const fileName = h('span', { class: 'fr-ml-2w', id: 'bulk-file-name' }, 'Aucun fichier choisi');
  const choose = h('button', { class: 'fr-btn fr-btn--secondary fr-btn--sm fr-icon-upload-2-line fr-btn--icon-left', type: 'button', id: 'bulk-file-choose', 'aria-describedby': 'bulk-file-hint', onclick: () => file.click() }, 'Choisir un fichier…');
  const fileReport = h('div', { id: 'bulk-file-report' });
  file.addEventListener('change', async () => {
    const f = file.files[0];
    clear(fileReport);
    fileName.textContent = f ? f.name : 'Aucun fichier choisi';
    if (!f) return;
    // Refused before reading: a huge file would only fill the memory.
    if (f.size > 20 * 1024 * 1024) {
      showError({ message: `Le fichier « ${f.name.slice(0, 80)} » fait plus de 20 Mo : ce n’est pas une liste d’adresses.` }, fileReport);
      return;
    }
    let r;
    try {
      r = await call('bulk_read_list', { name: f.name, bytes: Array.from(new Uint8Array(await f.arrayBuffer())) });
    } catch (err) {
      showError(err, fileReport);
      return;
    }
    list.value = r.emails.join('\n');
    const notes = [`encodage ${r.encoding}`, `séparateur « ${r.delimiter} »`];
    if (r.header) notes.push('première ligne lue comme titres');
    if (r.duplicates) notes.push(pl(r.duplicates, 'adresse en double ignorée', 'adresses en double ignorées'));
    const head = `${pl(r.emails.length, 'adresse lue', 'adresses lues')} dans « ${f.name} » (${notes.join(', ')})`;
    fileReport.append(h('div', { class: `fr-alert fr-alert--sm fr-alert--${r.rejected.length ? 'warning' : 'info'} fr-mb-3w`, id: 'bulk-file-summary', dataset: { read: String(r.emails.length), rejected: String(r.rejected.length) } },
      h('p', {}, r.rejected.length ? `${head} ; ${pl(r.rejected.length, 'ligne écartée', 'lignes écartées')} :` : `${head}.`),
      r.rejected.length ? h('ul', {}, r.rejected.slice(0, 50).map((x) => h('li', {}, `ligne ${x.line} : ${x.message}`)),
        r.rejected.length > 50 ? h('li', {}, `… et ${num(r.rejected.length - 50)} autres`) : null) : null));
  });
  const purpose = h('select', { class: 'fr-select', id: 'bulk-purpose' },
    h('option', { value: 'auto' }, 'Selon le compte : initialisation sans mot de passe, réinitialisation sinon'),
    h('option', { value: 'init' }, 'Initialisation (première connexion)'),
    h('option', { value: 'reset' }, 'Réinitialisation (mot de passe oublié)'));
  const selection = () => {
    if (source === 'etablissement') return { kind: 'establishment', uai: value };
    if (source === 'recherche') return { kind: 'search', query: searchQuery({ offset: 0 }) };
    return { kind: 'list', emails: list.value.split(/[\s,;]+/).filter(Boolean) };
  };
  const what = source === 'etablissement' ? `toutes les adresses de l’établissement ${value}`
    : source === 'recherche' ? 'les adresses de la recherche en cours' : 'une liste d’adresses';

  const preview = async () => {
    clear(out);
    let p;
    try {
      p = await call('bulk_preview', { selection: selection() });
    } catch (err) {
      showError(err);
      return;
    }
    out.append(
      h('div', { class: 'fr-callout', id: 'bulk-preview' },
        h('p', { class: 'fr-callout__text', id: 'bulk-preview-counts', dataset: { eligible: String(p.eligible), skipped: String(p.skipped.length) } }, `${num(p.eligible)} lien${p.eligible > 1 ? 's' : ''} à envoyer, ${num(p.skipped.length)} adresse${p.skipped.length > 1 ? 's' : ''} écartée${p.skipped.length > 1 ? 's' : ''}.`),
        p.skipped.length ? h('ul', {}, p.skipped.slice(0, 20).map((s) => h('li', {}, `${s.email} : ${s.reason}`))) : null,
        h('button', { class: 'fr-btn fr-mt-2w', type: 'button', id: 'bulk-send', disabled: p.eligible === 0, onclick: () => send(p.eligible) }, 'Envoyer les liens')));
    // Below a long list or a file's report the counts would be out of sight.
    out.scrollIntoView({ block: 'nearest' });
  };

  const send = async (eligible, retry = null) => {
    const ok = await confirmDialog({ title: 'Confirmer l’envoi groupé', text: `${num(eligible)} lien${eligible > 1 ? 's' : ''} vont être envoyés. Chaque lien expire au bout de la durée réglée dans les paramètres.`, ok: 'Envoyer' });
    if (!ok) return;
    const bar = h('progress', { class: 'siec-progress', id: 'bulk-progress', max: String(eligible), value: '0', 'aria-labelledby': 'bulk-progress-label' });
    const label = h('p', { id: 'bulk-progress-label', 'aria-live': 'polite' }, 'Préparation…');
    const cancel = h('button', { class: 'fr-btn fr-btn--secondary fr-mt-2w', type: 'button', id: 'bulk-cancel', onclick: () => call('bulk_cancel').catch(showError) }, 'Annuler l’envoi');
    clear(out).append(h('div', { id: 'bulk-running' }, label, bar, cancel));
    const seen = [];
    const progress = channel((p) => {
      bar.max = Math.max(p.total, 1);
      bar.value = p.done;
      seen.push(p.done);
      bar.dataset.updates = String(seen.length);
      bar.dataset.seen = seen.join(',');
      label.textContent = `${num(p.done)} sur ${num(p.total)} envoyé${p.done > 1 ? 's' : ''} — ${num(p.failed)} en échec, ${num(p.skipped)} écarté${p.skipped > 1 ? 's' : ''}`;
    });
    try {
      const s = await call('bulk_send', { selection: retry || selection(), purpose: purpose.value, onProgress: progress });
      summary(s);
    } catch (err) {
      showError(err);
    }
  };

  // The core's summary: sent, still queued (relay away: the worker sends them
  // later by itself), failed with the relay's reason, skipped with why.
  const summary = (s) => {
    const parts = [pl(s.sent, 'lien envoyé', 'liens envoyés'), `${num(s.failed.length)} en échec`, pl(s.skipped.length, 'adresse écartée', 'adresses écartées')];
    if (s.queued) parts.push(`${num(s.queued)} en attente du relais (envoyés automatiquement dès son retour)`);
    const issues = (title, list) => list.length ? [h('p', { class: 'fr-mb-0' }, title), h('ul', {}, list.slice(0, 50).map((f) => h('li', {}, `${f.email} : ${f.reason}`)), list.length > 50 ? h('li', {}, `… et ${num(list.length - 50)} autres`) : null)] : [];
    // Green only when every link left: links waiting for the relay are work not done.
    const done = !s.failed.length && !s.cancelled && !s.queued;
    const title = s.cancelled ? 'Envoi annulé'
      : s.queued && !s.sent ? `Aucun lien n’est parti : ${num(s.queued)} en attente du relais`
        : s.queued ? `Envoi incomplet : ${num(s.queued)} lien${s.queued > 1 ? 's' : ''} en attente du relais` : 'Envoi terminé';
    clear(out).append(...[h('div', { class: `fr-alert fr-alert--${done ? 'success' : 'warning'}`, id: 'bulk-summary' },
      h('h3', { class: 'fr-alert__title' }, title),
      s.queued ? h('p', { id: 'bulk-summary-todo' }, 'Le relais SMTP n’accepte pas les messages pour l’instant. Les liens en attente partiront d’eux-mêmes dès son retour, tant que l’application reste ouverte ; vérifiez le relais dans Paramètres (« Envoyer un message d’essai ») ou prévenez l’assistance.') : null,
      h('p', { id: 'bulk-summary-counts', dataset: { sent: String(s.sent), queued: String(s.queued), failed: String(s.failed.length), skipped: String(s.skipped.length) } }, `${parts.join(', ')}.`),
      ...issues('En échec :', s.failed),
      ...issues('Écartées :', s.skipped)),
      s.failed.length ? h('button', { class: 'fr-btn fr-mt-2w', type: 'button', id: 'bulk-retry', onclick: () => send(s.failed.length, { kind: 'list', emails: s.failed.map((f) => f.email) }) }, 'Réessayer les envois en échec') : null,
      source === 'etablissement' ? h('p', { class: 'fr-mt-2w' }, h('a', { class: 'fr-link fr-icon-arrow-left-line fr-link--icon-left', href: `#/etablissement/${value}` }, `Retour à l’établissement ${value}`)) : null].filter(Boolean));
  };

  mailerNotice(root);
  root.append(...[h('h1', {}, 'Envoi groupé'),
    h('p', { class: 'fr-text--lead' }, `Sélection : ${what}.`),
    source ? null : h('div', { class: 'fr-input-group' }, h('label', { class: 'fr-label', for: 'bulk-list' }, 'Adresses (une par ligne, ou séparées par des virgules)'), list),
    source ? null : h('div', { class: 'fr-mb-3w' },
      h('p', { class: 'fr-label fr-mb-1v' }, 'Ou importer un fichier',
        h('span', { class: 'fr-hint-text', id: 'bulk-file-hint' }, 'CSV enregistré par Excel (séparateur « ; » ou « , ») ou texte, une adresse par ligne. Les adresses remplacent la liste ci-dessus.')),
      choose, fileName, file),
    source ? null : fileReport,
    h('div', { class: 'fr-select-group' }, h('label', { class: 'fr-label', for: 'bulk-purpose' }, 'Type de lien'), purpose),
    h('button', { class: 'fr-btn fr-btn--secondary', type: 'button', id: 'bulk-preview-btn', onclick: preview }, 'Prévisualiser'),
    out].filter(Boolean));
}
