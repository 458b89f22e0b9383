// « Ajouter une adresse »: inline validation with the core's own messages, the
// establishment chosen by UAI or by name, optional principal role.
import { h, clear, $, debounce } from './dom.js';
import { call, showError, alertBox } from './api.js';
import { openModal, closeModal } from './modal.js';
import { go } from './main.js';

let wired = false;

function field(name) {
  return {
    group: $(`#add-${name}-group`),
    input: $(`#add-${name}`),
    error: $(`#add-${name}-error`),
  };
}

function setError(name, message) {
  const f = field(name);
  f.group.classList.toggle('fr-input-group--error', !!message);
  f.input.classList.toggle('fr-input--error', !!message);
  f.error.hidden = !message;
  f.error.textContent = message || '';
}

async function checkEmail() {
  const { input } = field('email');
  if (!input.value.trim()) return setError('email', null);
  try {
    await call('email_check', { email: input.value });
    setError('email', null);
  } catch (err) {
    setError('email', err.message);
  }
}

// The establishment field takes a UAI or a name: suggestions come from the search,
// a value that looks like a UAI is checked (key letter included) as the agent types.
async function checkUai() {
  const { input } = field('uai');
  const found = $('#add-uai-found');
  found.hidden = true;
  const code = extractUai(input.value);
  if (!code) return setError('uai', null);
  try {
    const r = await call('uai_check', { uai: code });
    setError('uai', null);
    const page = await call('establishment_suggest', { text: r.uai });
    const match = page.rows.find((e) => e.uai === r.uai);
    found.hidden = false;
    found.textContent = match ? `${match.uai} — ${match.name} (${match.city})` : `Aucun établissement ${r.uai} dans la base.`;
    found.className = match ? 'fr-valid-text' : 'fr-info-text';
  } catch (err) {
    setError('uai', err.message);
  }
}

function extractUai(value) {
  const v = value.trim();
  const m = v.match(/^([0-9]{7}[A-Za-z]?)\b/);
  if (m) return m[1];
  return /^[0-9]/.test(v) ? v : null;
}

const suggest = debounce(async () => {
  const { input } = field('uai');
  const list = $('#add-uai-list');
  const text = input.value.trim();
  if (text.length < 2) return;
  try {
    const page = await call('establishment_suggest', { text });
    clear(list).append(...page.rows.map((e) => h('option', { value: `${e.uai} — ${e.name}` }, `${e.city}`)));
  } catch (_) {
    // Suggestions are a help; the submit reports real problems.
  }
}, 150);

function wire() {
  if (wired) return;
  wired = true;
  field('email').input.addEventListener('blur', checkEmail);
  field('email').input.addEventListener('input', () => setError('email', null));
  field('uai').input.addEventListener('input', () => { setError('uai', null); suggest(); });
  field('uai').input.addEventListener('change', checkUai);
  field('uai').input.addEventListener('blur', checkUai);
  $('#form-add').addEventListener('submit', submit);
}

async function submit(e) {
  e.preventDefault();
  const alert = clear($('#add-alert'));
  const button = $('#add-submit');
  const form = {
    email: field('email').input.value,
    uai: extractUai(field('uai').input.value) || field('uai').input.value,
    principal: $('#add-principal').checked,
    display_name: field('name').input.value,
  };
  button.disabled = true;
  try {
    const r = await call('add_account', { form });
    if (r.outcome === 'refused') {
      setError('email', r.fields.email);
      setError('uai', r.fields.uai);
      (r.fields.email ? field('email') : field('uai')).input.focus();
      return;
    }
    closeModal($('#modal-add'));
    go(`#/compte/${encodeURIComponent(r.account.account.email)}`);
  } catch (err) {
    showError(err, alert);
  } finally {
    button.disabled = false;
  }
}

export function openAddDialog({ email = '', uai = '', principal = false } = {}) {
  wire();
  $('#form-add').reset();
  clear($('#add-alert'));
  setError('email', null);
  setError('uai', null);
  $('#add-uai-found').hidden = true;
  field('email').input.value = email;
  field('uai').input.value = uai;
  $('#add-principal').checked = principal;
  openModal($('#modal-add'));
  setTimeout(() => (email ? field('uai') : field('email')).input.focus(), 50);
  if (uai) checkUai();
}

export { alertBox };
