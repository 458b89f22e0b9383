// Connexion: the embedded local file, or the central PostgreSQL with the agent's
// own login. Messages (wrong password, unreachable server, newer schema) are the core's.
import { h } from '../dom.js';
import { call, showError, showSuccess } from '../api.js';
import { refreshSession } from '../session.js';
import { go } from '../router.js';

export async function render(root) {
  const s = await call('session_status');
  const c = s.configured;
  const radio = (value, label, hint, checked) => h('div', { class: 'fr-fieldset__element' }, h('div', { class: 'fr-radio-group' },
    h('input', { type: 'radio', id: `db-${value}`, name: 'db-kind', value, checked }),
    h('label', { class: 'fr-label', for: `db-${value}` }, label, h('span', { class: 'fr-hint-text' }, hint))));
  const input = (id, label, value, type = 'text', extra = {}) => h('div', { class: 'fr-input-group' },
    h('label', { class: 'fr-label', for: id }, label),
    h('input', { class: 'fr-input', id, type, value: value ?? '', autocomplete: 'off', ...extra }));
  const central = h('div', { id: 'central-fields' },
    input('pg-host', 'Serveur', c.kind === 'postgres' ? c.host : ''),
    input('pg-port', 'Port', c.port || 5432, 'number'),
    input('pg-name', 'Base', c.kind === 'postgres' ? c.name : 'siec'),
    input('pg-login', 'Identifiant', c.kind === 'postgres' ? c.login : ''),
    input('pg-password', 'Mot de passe', '', 'password', { autocomplete: 'current-password', placeholder: 'vide : mot de passe gardé dans le trousseau' }),
    h('div', { class: 'fr-checkbox-group fr-mb-2w' },
      h('input', { type: 'checkbox', id: 'pg-remember' }),
      h('label', { class: 'fr-label', for: 'pg-remember' }, 'Se souvenir', h('span', { class: 'fr-hint-text' }, 'Le mot de passe sera gardé dans le trousseau du système, jamais dans un fichier.'))));
  const form = h('form', { id: 'connect-form', novalidate: true },
    h('fieldset', { class: 'fr-fieldset' },
      h('legend', { class: 'fr-fieldset__legend' }, 'Base de données'),
      radio('sqlite', 'Base locale (fichier intégré)', 'Pour l’essai et la formation, sans serveur.', c.kind !== 'postgres'),
      radio('postgres', 'Base centrale (PostgreSQL)', 'Avec votre identifiant personnel.', c.kind === 'postgres')),
    central,
    h('button', { class: 'fr-btn', type: 'submit', id: 'connect-submit' }, 'Se connecter'));
  const sync = () => { central.hidden = form.querySelector('#db-postgres').checked === false; };
  form.addEventListener('change', sync);
  sync();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = (id) => form.querySelector(`#${id}`).value;
    const request = form.querySelector('#db-postgres').checked
      ? { kind: 'postgres', host: v('pg-host'), port: Number(v('pg-port')) || null, name: v('pg-name'), login: v('pg-login'), password: v('pg-password'), remember: form.querySelector('#pg-remember').checked }
      : { kind: 'sqlite' };
    try {
      const st = await call('connect', { request });
      await refreshSession();
      if (st.read_only) showError({ message: 'Base ouverte en lecture seule : son schéma est plus récent que cette application. Installez la dernière version de Comptes SIEC.' });
      else { go('#/tableau-de-bord'); showSuccess(`Connecté à ${st.database}.`); }
    } catch (err) {
      showError(err);
    }
  });
  root.append(h('h1', {}, 'Connexion'),
    s.connected ? h('p', { id: 'connected-to' }, `Base ouverte : ${s.database} (agent ${s.agent}).`) : h('p', {}, 'Aucune base ouverte.'),
    form);
  if (s.startup_error) showError(s.startup_error);
}
