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

// Below the DSFR's large breakpoint (the app's 960 px minimum included) the header's
// menu collapses behind its « Menu » button: opened and closed here, and closed
// by a choice in it or by Échap.
const menu = document.getElementById('modal-menu');

function setMenu(open) {
  menu.classList.toggle(OPENED, open);
  for (const b of document.querySelectorAll('[aria-controls="modal-menu"]')) b.dataset.frOpened = String(open);
  if (open) menu.querySelector('.fr-btn--close')?.focus();
}

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && menu?.classList.contains(OPENED)) {
    setMenu(false);
    document.getElementById('button-menu')?.focus();
  }
});

document.addEventListener('click', (e) => {
  const control = e.target.closest('[aria-controls]');
  if (menu && control?.getAttribute('aria-controls') === 'modal-menu') {
    e.preventDefault();
    setMenu(!menu.classList.contains(OPENED));
    return;
  }
  if (menu?.classList.contains(OPENED) && menu.contains(e.target) && e.target.closest('a, button')) setMenu(false);
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
