// Tableau de bord: the state of the accounts and of the mail, plus a UAI checker
// for callers who read their code aloud.
import { h, clear, num, when } from '../dom.js';
import { call, showError } from '../api.js';
import { mailerNotice } from '../mailer.js';

export async function render(root) {
  root.append(h('h1', {}, 'Tableau de bord'));
  const body = h('div', { id: 'dashboard', 'aria-busy': 'true' },
    h('p', { class: 'fr-text--sm siec-muted' }, 'Chargement des chiffres…'));
  root.append(body, uaiCard());
  // Counting a large base takes a moment: the screen (menu, search, UAI checker)
  // is usable at once and the figures arrive when ready.
  fill(body);
}

async function fill(body) {
  let d;
  try {
    d = await call('dashboard');
  } catch (err) {
    body.replaceChildren();
    showError(err);
    return;
  }
  body.replaceChildren();
  body.removeAttribute('aria-busy');
  mailerNotice(body);
  const tile = (id, label, value, href, extra) => h('div', { class: 'fr-col-12 fr-col-md-3' },
    h('div', { class: 'fr-card fr-card--no-arrow fr-p-2w', id },
      h('p', { class: 'fr-mb-1v' }, label),
      h('p', { class: 'siec-stat', dataset: { value: String(value) } }, num(value)),
      extra || null,
      href ? h('a', { class: 'fr-link fr-text--sm', href }, 'Voir la liste') : null));
  const totals = d.days.reduce((t, x) => ({ sent: t.sent + x.sent, used: t.used + x.used, expired: t.expired + x.expired, failed: t.failed + x.failed }), { sent: 0, used: 0, expired: 0, failed: 0 });
  const o = d.outbox;
  const stuck = o.oldest_waiting_at && Date.now() - o.oldest_waiting_at > 15 * 60 * 1000;
  // Red while the relay refuses what came after its last accepted message.
  const health = o.relay_failing ? 'error' : o.failed > 0 || stuck ? 'warning' : 'success';
  body.append(
    h('div', { class: 'fr-grid-row fr-grid-row--gutters' },
      tile('stat-active', 'Comptes actifs', d.accounts.active),
      tile('stat-pending', 'En attente d’initialisation', d.accounts.pending),
      tile('stat-disabled', 'Désactivés', d.accounts.disabled),
      tile('stat-no-principal', 'Établissements sans compte principal', d.establishments_without_principal, '#/recherche', h('p', { class: 'fr-text--xs fr-mb-1v' }, `sur ${num(d.establishments)} établissements`))),
    h('h2', { class: 'fr-mt-4w fr-h4' }, 'Liens des 30 derniers jours'),
    h('ul', { class: 'siec-legend' },
      h('li', { class: 's-sent' }, `envoyés (${num(totals.sent)})`),
      h('li', { class: 's-used' }, `utilisés (${num(totals.used)})`),
      h('li', { class: 's-expired' }, `expirés (${num(totals.expired)})`),
      h('li', { class: 's-failed' }, `en échec (${num(totals.failed)})`)),
    chart(d.days),
    h('h2', { class: 'fr-mt-4w fr-h4' }, 'Envoi des messages'),
    h('div', { class: `fr-alert fr-alert--${health} fr-alert--sm`, id: 'outbox-health' },
      h('p', {}, `${num(o.queued)} en attente, ${num(o.sending)} en cours, ${num(o.failed)} en échec ; ${num(o.sent_last_24h)} envoyés ces dernières 24 heures.`
        + (o.oldest_waiting_at ? ` Plus ancien message en attente : ${when(o.oldest_waiting_at)}.` : '')
        + (o.last_error ? ` Dernière erreur : ${o.last_error}` : ''))));
}

// Grouped bars drawn in SVG: no chart library, nothing outside the app's own files.
function chart(days) {
  const NS = 'http://www.w3.org/2000/svg';
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const W = 1100, H = 220, left = 40, bottom = 30, top = 10;
  const series = ['sent', 'used', 'expired', 'failed'];
  const max = Math.max(1, ...days.flatMap((d) => series.map((s) => d[s])));
  const step = (W - left) / days.length;
  const bar = Math.max(1, (step - 4) / series.length);
  const svg = el('svg', { class: 'siec-chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Liens envoyés, utilisés, expirés et en échec par jour sur 30 jours', id: 'links-chart' });
  const y = (v) => H - bottom - (v / max) * (H - bottom - top);
  svg.append(el('line', { class: 'axis', x1: left, x2: W, y1: H - bottom, y2: H - bottom }));
  svg.append(el('text', { x: 0, y: top + 10 }, String(max)));
  svg.append(el('text', { x: 0, y: H - bottom }, '0'));
  days.forEach((d, i) => {
    const x0 = left + i * step + 2;
    series.forEach((s, j) => {
      if (!d[s]) return;
      const r = el('rect', { class: `s-${s}`, x: x0 + j * bar, y: y(d[s]), width: bar, height: H - bottom - y(d[s]) });
      r.append(el('title', {}, `${d.day} : ${d[s]} ${({ sent: 'envoyés', used: 'utilisés', expired: 'expirés', failed: 'en échec' })[s]}`));
      svg.append(r);
    });
    if (i % 5 === 0 || i === days.length - 1) {
      const [, m, dd] = d.day.split('-');
      svg.append(el('text', { x: x0, y: H - 10 }, `${dd}/${m}`));
    }
  });
  return svg;
}

function uaiCard() {
  const input = h('input', { class: 'fr-input', id: 'uai-check-input', type: 'text', autocomplete: 'off', 'aria-describedby': 'uai-check-message' });
  const message = h('p', { id: 'uai-check-message', hidden: true });
  const group = h('div', { class: 'fr-input-group', id: 'uai-check-group' },
    h('label', { class: 'fr-label', for: 'uai-check-input' }, 'Vérifier un code UAI',
      h('span', { class: 'fr-hint-text' }, 'Sept chiffres et une lettre clé, par exemple 0750655E')),
    input, message);
  const form = h('form', { class: 'fr-mt-4w', id: 'uai-check-form', novalidate: true },
    group,
    h('button', { class: 'fr-btn fr-btn--secondary', type: 'submit', id: 'uai-check-submit' }, 'Vérifier'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    group.classList.remove('fr-input-group--error', 'fr-input-group--valid');
    input.classList.remove('fr-input--error', 'fr-input--valid');
    try {
      const r = await call('uai_check', { uai: input.value });
      group.classList.add('fr-input-group--valid');
      input.classList.add('fr-input--valid');
      message.className = 'fr-valid-text';
      clear(message).append(`Le code ${r.uai} est correct.`);
    } catch (err) {
      group.classList.add('fr-input-group--error');
      input.classList.add('fr-input--error');
      message.className = 'fr-error-text';
      clear(message).append(err.message);
    }
    message.hidden = false;
  });
  return h('section', { class: 'fr-card fr-card--no-arrow fr-p-3w fr-mt-6w', 'aria-label': 'Vérifier un code UAI' }, form);
}
