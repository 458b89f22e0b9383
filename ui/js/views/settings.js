// Paramètres: SMTP relay, portal, link lifetime, sender, agent name; test mail;
// « Oublier mes identifiants ».
import { h, clear } from '../dom.js';
import { call, showError, showSuccess } from '../api.js';

// [key, label, hint, input attributes or the choices of a list]
const FIELDS = [
  ['smtp.host', 'Relais SMTP', 'Vide : les messages sont écrits dans un dossier (base locale, essai).'],
  ['smtp.port', 'Port SMTP', null, { type: 'number', min: '1', max: '65535', inputmode: 'numeric' }],
  ['smtp.tls', 'Chiffrement SMTP', null, [
    ['starttls', 'STARTTLS (port 587 en général)'],
    ['tls', 'TLS dès la connexion (port 465 en général)'],
    ['none', 'Aucun : seulement pour un relais sur ce poste'],
  ]],
  ['smtp.user', 'Identifiant SMTP', 'Le mot de passe est gardé dans le trousseau du système.'],
  ['portal.url', 'Adresse du portail', null, { type: 'url' }],
  ['portal.link_lifetime_minutes', 'Durée de validité des liens (minutes)', null, { type: 'number', min: '1', inputmode: 'numeric' }],
  ['mail.sender', 'Expéditeur', null],
  ['agent.name', 'Nom de l’agent (base locale)', 'Inscrit au journal pour chaque opération.'],
];

function field(id, key, value, spec) {
  if (Array.isArray(spec)) {
    const known = spec.some(([v]) => v === value);
    // A value the list does not know (written by hand in the file) stays shown as it is,
    // so that saving does not change it behind the agent's back.
    const choices = known ? spec : [[value, value], ...spec];
    return h('select', { class: 'fr-select', id, name: key },
      choices.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
  }
  return h('input', { class: 'fr-input', id, name: key, value, autocomplete: 'off', ...(spec || {}) });
}

const SOURCE = { default: 'valeur par défaut', machine: 'fichier de la machine', file: 'fichier de configuration', env: 'variable d’environnement', flag: 'option de la ligne de commande', edited: 'modifié ici' };

// The core names a refused value by its key (« smtp.port : … »), as in the file:
// here the message goes under the field, which it names by its label. Nothing is saved.
function showFieldError(form, err) {
  const hit = FIELDS.find(([key]) => (err.message || '').startsWith(`${key} :`));
  if (!hit) return false;
  const [key, label] = hit;
  const control = form.querySelector(`[name="${key}"]`);
  const group = control.parentElement;
  const id = `${control.id}-error`;
  group.classList.add(control.tagName === 'SELECT' ? 'fr-select-group--error' : 'fr-input-group--error');
  group.append(h('p', { class: 'fr-error-text', id }, `${label} : ${err.message.slice(key.length + 2).trim()}`));
  control.setAttribute('aria-describedby', id);
  showError({ message: `Paramètres non enregistrés : corrigez « ${label} ».` });
  group.scrollIntoView({ block: 'center' });
  control.focus({ preventScroll: true });
  return true;
}

// A key the machine's file locks is shown, greyed, and cannot be changed.
const LOCKED = 'fixé par votre service informatique';

function origin(v) {
  return v.locked ? LOCKED : SOURCE[v.source.kind] || '';
}

function hintText(hint, origin) {
  return [hint, origin && `(${origin})`].filter(Boolean).join(' ');
}

// After a save, each field says again where its value now comes from.
function showOrigins(form, view) {
  for (const v of view.values) {
    const span = form.querySelector(`[name="${v.key}"]`)?.parentElement.querySelector('.fr-hint-text');
    if (span) span.textContent = hintText(span.dataset.hint, origin(v));
  }
}

function clearFieldError(form) {
  for (const p of form.querySelectorAll('.fr-error-text')) p.remove();
  for (const g of form.querySelectorAll('.fr-input-group--error, .fr-select-group--error')) {
    g.classList.remove('fr-input-group--error', 'fr-select-group--error');
    g.querySelector('[aria-describedby]')?.removeAttribute('aria-describedby');
  }
}

export async function render(root) {
  let view;
  try {
    view = await call('settings_get');
  } catch (err) {
    showError(err);
    return;
  }
  const values = Object.fromEntries(view.values.map((v) => [v.key, v]));
  const form = h('form', { id: 'settings-form', novalidate: true },
    FIELDS.map(([key, label, hint, spec]) => {
      const id = `set-${key.replace(/[._]/g, '-')}`;
      const v = values[key];
      const from = v ? origin(v) : '';
      const select = Array.isArray(spec);
      const control = field(id, key, v ? v.value : '', spec);
      if (v && v.locked) control.disabled = true;
      const locked = Boolean(v && v.locked);
      const group = select
        ? (locked ? 'fr-select-group fr-select-group--disabled' : 'fr-select-group')
        : (locked ? 'fr-input-group fr-input-group--disabled' : 'fr-input-group');
      return h('div', { class: group, dataset: { locked: String(locked) } },
        h('label', { class: 'fr-label', for: id }, label, h('span', { class: 'fr-hint-text', dataset: { hint: hint || '' } }, hintText(hint, from))),
        control);
    }),
    h('ul', { class: 'fr-btns-group fr-btns-group--inline-md' },
      h('li', {}, h('button', { class: 'fr-btn', type: 'submit', id: 'settings-save' }, 'Enregistrer'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldError(form);
    const out = {};
    for (const input of form.querySelectorAll('[name]')) out[input.name] = input.value;
    try {
      showOrigins(form, await call('settings_save', { values: out }));
      showSuccess(`Paramètres enregistrés dans ${view.config_file}.`);
    } catch (err) {
      if (!showFieldError(form, err)) showError(err);
    }
  });

  const testTo = h('input', { class: 'fr-input', id: 'test-mail-to', type: 'email', autocomplete: 'off' });
  const testBox = h('div', { id: 'test-mail-result' });
  const test = h('form', { class: 'fr-mt-4w', id: 'test-mail-form', novalidate: true },
    h('h2', { class: 'fr-h4' }, 'Message d’essai'),
    h('div', { class: 'fr-input-group' }, h('label', { class: 'fr-label', for: 'test-mail-to' }, 'Envoyer un message d’essai à'), testTo),
    h('button', { class: 'fr-btn fr-btn--secondary', type: 'submit' }, 'Envoyer le message d’essai'), testBox);
  test.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const r = await call('test_mail', { to: testTo.value });
      showSuccess(r.message || 'Message d’essai envoyé.', clear(testBox));
    } catch (err) {
      showError(err, clear(testBox));
    }
    testBox.scrollIntoView({ block: 'nearest' });
  });

  const forgetBox = h('div', { id: 'forget-result' });
  const forget = h('div', { class: 'fr-mt-4w' },
    h('h2', { class: 'fr-h4' }, 'Identifiants'),
    h('p', {}, 'Retire du trousseau du système les mots de passe gardés pour la base centrale et le relais SMTP.'),
    h('button', { class: 'fr-btn fr-btn--tertiary fr-icon-delete-line fr-btn--icon-left', type: 'button', id: 'forget-credentials', onclick: async () => {
      try {
        const r = await call('forget_credentials');
        showSuccess(r.message || 'Identifiants oubliés.', clear(forgetBox));
      } catch (err) {
        showError(err, clear(forgetBox));
      }
    } }, 'Oublier mes identifiants'), forgetBox);

  // On the central database the links' portal, lifetime and sender are the
  // administrator's, shared by every desk and the mail service: shown, not edited.
  const shared = view.shared_links;
  const links = shared ? h('div', { class: 'fr-callout fr-mb-4w', id: 'shared-links' },
    h('h2', { class: 'fr-callout__title fr-h6' }, 'Liens envoyés depuis la base centrale'),
    h('p', { class: 'fr-callout__text fr-text--sm' },
      `Portail : ${shared.portal_url} · validité : ${shared.lifetime_minutes} minutes · expéditeur : ${shared.sender}. `
      + 'Ces réglages sont ceux de la base centrale ; seul un administrateur les modifie (« siec-accounts settings link »).')) : null;
  root.append(h('h1', {}, 'Paramètres'),
    h('p', { class: 'fr-text--sm' }, `Fichier : ${view.config_file} · données : ${view.data_dir}`),
    links, form, test, forget);
}
