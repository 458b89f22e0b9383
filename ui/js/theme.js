// Light, dark or the system's theme, as the DSFR's display settings do: the choice
// is kept under the DSFR's own key and applied as `data-fr-theme`, which is what
// its stylesheet reads.
const KEY = 'scheme';
const SCHEMES = ['light', 'dark', 'system'];
const systemDark = window.matchMedia('(prefers-color-scheme: dark)');
const root = document.documentElement;

function stored() {
  try {
    const scheme = localStorage.getItem(KEY);
    if (SCHEMES.includes(scheme)) return scheme;
  } catch {
    // Storage refused: the page's own default applies.
  }
  return SCHEMES.includes(root.dataset.frScheme) ? root.dataset.frScheme : 'system';
}

function apply(scheme) {
  root.dataset.frScheme = scheme;
  root.dataset.frTheme = scheme === 'system' ? (systemDark.matches ? 'dark' : 'light') : scheme;
}

apply(stored());
systemDark.addEventListener('change', () => apply(root.dataset.frScheme));
for (const radio of document.querySelectorAll('input[name="fr-radios-theme"]')) {
  radio.checked = radio.value === root.dataset.frScheme;
  radio.addEventListener('change', () => {
    if (!radio.checked) return;
    try {
      localStorage.setItem(KEY, radio.value);
    } catch {
      // Not kept for the next start, still applied now.
    }
    apply(radio.value);
  });
}
