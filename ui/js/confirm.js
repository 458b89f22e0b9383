// The shared confirmation dialog: resolves true on « Confirmer », false otherwise.
import { $ } from './dom.js';
import { openModal, closeModal } from './modal.js';

export function confirmDialog({ title, text, ok = 'Confirmer' }) {
  const modal = $('#modal-confirm');
  $('#modal-confirm-title').textContent = title;
  $('#modal-confirm-text').textContent = text;
  const button = $('#modal-confirm-ok');
  button.textContent = ok;
  return new Promise((resolve) => {
    let done = false;
    const finish = (v) => {
      if (done) return;
      done = true;
      button.removeEventListener('click', onOk);
      modal.removeEventListener('close', onClose);
      resolve(v);
    };
    const onOk = () => {
      finish(true);
      closeModal(modal);
    };
    const onClose = () => finish(false);
    button.addEventListener('click', onOk);
    modal.addEventListener('close', onClose);
    openModal(modal);
    // Entrée confirms, Échap cancels (the dialog's own).
    button.focus();
  });
}
