// scripts/ui-assets: which DSFR rules the desktop app keeps (those whose classes,
// ids and elements appear in its pages and scripts).
module.exports = {
  css: ['ui/vendor/dsfr/dsfr.min.css'],
  content: ['ui/index.html', 'ui/js/**/*.js'],
  safelist: {
    // Built from a variable: `fr-alert--${type}` (info, success, warning, error).
    standard: [/^fr-alert--/],
  },
};
