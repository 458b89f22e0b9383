// Navigation shared by the views: they go through here, never through main.js,
// so that no view imports the module that imports every view.
export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}
