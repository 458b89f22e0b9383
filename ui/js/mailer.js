// On the central database, links leave only through the mail service: when some
// wait and it has not been seen for a few minutes, the page says so.
import { h } from './dom.js';
import { call } from './api.js';

export async function mailerNotice(target) {
  let absent = null;
  try {
    absent = await call('mailer_status');
  } catch (_) {
    return;
  }
  if (!absent || !target.isConnected) return;
  target.prepend(h('div', { class: 'fr-alert fr-alert--warning fr-alert--sm fr-mb-2w', id: 'mailer-absent', role: 'status' },
    h('p', {}, `${absent.message}.`)));
}
