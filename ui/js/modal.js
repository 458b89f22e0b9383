// The DSFR's dialogs on the platform's <dialog>: showModal() gives the focus trap,
// the inert page behind and Échap; this adds the DSFR's opened state, the buttons
// that name a dialog in aria-controls, and the click on the dimmed area around it.
// The DSFR's own script (115 Ko, watching every change of the page to find its
// components) is not loaded for three dialogs and a theme switch.
const OPENED = 'fr-modal--opened';

export function openModal(dialog) {
  if (dialog.open) return;
  dialog.showModal();
  dialog.classList.add(OPENED);
}

/** Closes the dialog; its `close` event follows, whatever closed it. */
export function closeModal(dialog) {
  if (dialog.open) dialog.close();
}

for (const dialog of document.querySelectorAll('dialog.fr-modal')) {
  dialog.addEventListener('close', () => dialog.classList.remove(OPENED));
}

document.addEventListener('click', (e) => {
  const control = e.target.closest('[aria-controls]');
  const target = control && document.getElementById(control.getAttribute('aria-controls'));
  if (target instanceof HTMLDialogElement) {
    e.preventDefault();
    if (target.open) closeModal(target);
    else openModal(target);
    return;
  }
  const dialog = e.target.closest('dialog.fr-modal');
  if (dialog && dialog.open && !e.target.closest('.fr-modal__body')) closeModal(dialog);
});
