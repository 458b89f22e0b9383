// « Ajouter une adresse »: inline validation with the core's own messages, the
// establishment chosen by UAI or by name from a suggestion list of our own (a
// <datalist> shows nothing in WebKitGTK), optional principal role. An address
// already in the base is offered to open, or to attach to the establishment.
import { h, clear, $, debounce } from './dom.js';
import { call, showError, alertBox } from './api.js';
import { openModal, closeModal } from './modal.js';
import { go } from './router.js';

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

// The suggestion list: a listbox under the field, driven from the field itself
// (arrows move, Entrée chooses, Échap closes) or with the mouse.
let options = [];
let active = -1;

function listbox() {
  return $('#add-uai-list');
}

function showOptions(rows) {
  options = rows;
  active = rows.length ? 0 : -1;
  const list = listbox();
  const input = field('uai').input;
  clear(list).append(...rows.map((e, i) => h('li', {
    role: 'option', id: `add-uai-option-${i}`, class: 'siec-suggest__option', dataset: { uai: e.uai },
    'aria-selected': i === active ? 'true' : 'false',
    onmousedown: (ev) => { ev.preventDefault(); choose(i); },
  }, h('strong', {}, e.uai), ` — ${e.name}`, e.city ? h('span', { class: 'siec-suggest__city' }, `, ${e.city}`) : null)));
  list.hidden = rows.length === 0;
  input.setAttribute('aria-expanded', rows.length ? 'true' : 'false');
  markActive();
}

function markActive() {
  const input = field('uai').input;
  listbox().querySelectorAll('[role=option]').forEach((li, i) => li.setAttribute('aria-selected', i === active ? 'true' : 'false'));
  if (active >= 0) input.setAttribute('aria-activedescendant', `add-uai-option-${active}`);
  else input.removeAttribute('aria-activedescendant');
}

function hideOptions() {
  options = [];
  active = -1;
  listbox().hidden = true;
  field('uai').input.setAttribute('aria-expanded', 'false');
  field('uai').input.removeAttribute('aria-activedescendant');
}

function choose(i) {
  const e = options[i];
  if (!e) return;
  field('uai').input.value = `${e.uai} — ${e.name}`;
  hideOptions();
  checkUai();
}

const suggest = debounce(async () => {
  const { input } = field('uai');
  const text = input.value.trim();
  if (text.length < 2) return hideOptions();
  try {
    const page = await call('establishment_suggest', { text });
    if (input.value.trim() === text) showOptions(page.rows);
  } catch (_) {
    // Suggestions are a help; the submit reports real problems.
  }
}, 150);

function onUaiKey(e) {
  if (listbox().hidden || !options.length) return;
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault();
    active = (active + (e.key === 'ArrowDown' ? 1 : -1) + options.length) % options.length;
    markActive();
  } else if (e.key === 'Enter') {
    e.preventDefault();
    choose(Math.max(0, active));
  } else if (e.key === 'Escape') {
    // Closes the list, not the dialog.
    e.preventDefault();
    e.stopPropagation();
    hideOptions();
  }
}

function wire() {
  if (wired) return;
  wired = true;
  field('email').input.addEventListener('blur', checkEmail);
  field('email').input.addEventListener('input', () => setError('email', null));
  field('uai').input.addEventListener('input', () => { setError('uai', null); $('#add-uai-found').hidden = true; suggest(); });
  field('uai').input.addEventListener('keydown', onUaiKey);
  field('uai').input.addEventListener('blur', () => { hideOptions(); checkUai(); });
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
      if (!r.fields.email && r.candidates.length) showOptions(r.candidates);
      return;
    }
    if (r.outcome === 'exists') {
      alert.append(existsAlert(r));
      $('#add-attach')?.focus();
      return;
    }
    closeModal($('#modal-add'));
    const added = r.account.account.email;
    sessionStorage.setItem('siec-just-added', added);
    go(`#/compte/${encodeURIComponent(added)}`);
  } catch (err) {
    showError(err, alert);
  } finally {
    button.disabled = false;
  }
}

// « L’adresse … existe déjà »: open its account, or attach it to the establishment
// asked for (someone who moved school keeps their address).
function existsAlert(r) {
  const open = () => { closeModal($('#modal-add')); go(`#/compte/${encodeURIComponent(r.email)}`); };
  const attach = async () => {
    try {
      await call('attach', { email: r.email, uai: r.uai });
      closeModal($('#modal-add'));
      sessionStorage.setItem('siec-just-attached', `${r.email} ${r.uai}`);
      go(`#/compte/${encodeURIComponent(r.email)}`);
    } catch (err) {
      showError(err, clear($('#add-alert')));
    }
  };
  return h('div', { class: 'fr-alert fr-alert--info fr-alert--sm fr-mb-2w', id: 'add-exists', role: 'status' },
    h('h3', { class: 'fr-alert__title' }, `L’adresse ${r.email} existe déjà`),
    h('p', {}, r.attached
      ? `Elle est déjà rattachée à ${r.uai}.`
      : `Elle n’est pas rattachée à ${r.uai} : vous pouvez l’y rattacher en plus de ses établissements actuels.`),
    h('ul', { class: 'fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm fr-mt-1w' },
      r.attached ? null : h('li', {}, h('button', { class: 'fr-btn fr-btn--sm', type: 'button', id: 'add-attach', onclick: attach }, `Rattacher à ${r.uai}`)),
      h('li', {}, h('button', { class: 'fr-btn fr-btn--sm fr-btn--secondary', type: 'button', id: 'add-open-existing', onclick: open }, 'Ouvrir le compte'))));
}

export function openAddDialog({ email = '', uai = '', principal = false } = {}) {
  wire();
  $('#form-add').reset();
  clear($('#add-alert'));
  setError('email', null);
  setError('uai', null);
  $('#add-uai-found').hidden = true;
  hideOptions();
  field('email').input.value = email;
  field('uai').input.value = uai;
  $('#add-principal').checked = principal;
  openModal($('#modal-add'));
  setTimeout(() => (email ? field('uai') : field('email')).input.focus(), 50);
  if (uai) checkUai();
}

export { alertBox };
