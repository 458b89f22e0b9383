// Paramètres: SMTP relay, portal, link lifetime, sender, agent name; test mail;
// « Oublier mes identifiants ».
import { h, clear } from '../dom.js';
import { call, showError, showSuccess } from '../api.js';

const FIELDS = [
  ['smtp.host', 'Relais SMTP', 'Vide : les messages sont écrits dans un dossier (base locale, essai).'],
  ['smtp.port', 'Port SMTP', null],
  ['smtp.tls', 'Chiffrement SMTP', 'starttls, tls ou none (none : seulement sur la machine elle-même).'],
  ['smtp.user', 'Identifiant SMTP', 'Le mot de passe est gardé dans le trousseau du système.'],
  ['portal.url', 'Adresse du portail', null],
  ['portal.link_lifetime_minutes', 'Durée de validité des liens (minutes)', null],
  ['mail.sender', 'Expéditeur', null],
  ['agent.name', 'Nom de l’agent (base locale)', 'Inscrit au journal pour chaque opération.'],
];

const SOURCE = { default: 'valeur par défaut', file: 'fichier de configuration', env: 'variable d’environnement', flag: 'modifié ici' };

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
    FIELDS.map(([key, label, hint]) => {
      const id = `set-${key.replace(/[._]/g, '-')}`;
      const v = values[key];
      const origin = v ? SOURCE[v.source.kind] || '' : '';
      return h('div', { class: 'fr-input-group' },
        h('label', { class: 'fr-label', for: id }, label, h('span', { class: 'fr-hint-text' }, [hint, origin && `(${origin})`].filter(Boolean).join(' '))),
        h('input', { class: 'fr-input', id, name: key, value: v ? v.value : '', autocomplete: 'off' }));
    }),
    h('ul', { class: 'fr-btns-group fr-btns-group--inline-md' },
      h('li', {}, h('button', { class: 'fr-btn', type: 'submit', id: 'settings-save' }, 'Enregistrer'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const out = {};
    for (const input of form.querySelectorAll('input[name]')) out[input.name] = input.value;
    try {
      await call('settings_save', { values: out });
      showSuccess(`Paramètres enregistrés dans ${view.config_file}.`);
    } catch (err) {
      showError(err);
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

  root.append(h('h1', {}, 'Paramètres'),
    h('p', { class: 'fr-text--sm' }, `Fichier : ${view.config_file} · données : ${view.data_dir}`),
    form, test, forget);
}
