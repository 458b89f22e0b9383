// À propos: the version, its build, the database and both schema numbers, the
// licence — what an agent reads out to the IT team.
import { h } from '../dom.js';
import { call, showError } from '../api.js';

const BACKEND = { postgres: 'PostgreSQL (base centrale)', sqlite: 'SQLite (base locale intégrée)' };
const STATE = {
  current: 'à jour',
  ahead: 'plus récent que l’application, compatible',
  too_old: 'trop récent : application en lecture seule, installez la mise à jour',
  behind: 'pas à jour : un administrateur doit lancer « siec-accounts migrate »',
};

function row(id, label, value) {
  return h('tr', {}, h('th', { scope: 'row' }, label), h('td', { id }, value));
}

export async function render(root) {
  let a;
  try {
    a = await call('about');
  } catch (err) {
    showError(err);
    return;
  }
  const db = a.database;
  root.append(
    h('h1', {}, 'À propos'),
    h('div', { class: 'fr-table fr-table--no-caption' },
      h('table', { id: 'about-table' },
        h('caption', {}, 'Comptes SIEC'),
        h('tbody', {},
          row('about-version', 'Version', a.version),
          row('about-build', 'Compilation', `commit ${a.commit} du ${a.build_date}`),
          row('about-app-schema', 'Schéma de l’application', String(a.app_schema)),
          row('about-db-schema', 'Schéma de la base', db ? `${db.schema} (${STATE[db.state.state] || db.state.state})` : 'aucune base ouverte'),
          row('about-backend', 'Base de données', db ? BACKEND[db.backend] || db.backend : '—'),
          row('about-location', 'Serveur ou fichier', db ? db.location : '—'),
          row('about-licence', 'Licence', `${a.licence} (Licence publique de l’Union européenne)`)))));
}
