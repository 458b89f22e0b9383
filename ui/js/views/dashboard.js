// Tableau de bord: the state of the accounts and of the mail, plus a UAI checker
// for callers who read their code aloud.
import { h, clear } from '../dom.js';
import { call } from '../api.js';

export function render(root) {
  root.append(h('h1', {}, 'Tableau de bord'), uaiCard());
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
  return h('section', { class: 'fr-card fr-card--no-arrow fr-p-3w fr-mt-4w', 'aria-label': 'Vérifier un code UAI' }, form);
}
