// The header's database label and the redirect to Connexion when nothing is open.
import { $ } from './dom.js';
import { call } from './api.js';

export async function refreshSession() {
  const s = await call('session_status');
  const label = $('#session-label');
  if (s.connected) {
    const where = s.backend === 'sqlite' ? 'base locale' : s.database.replace(/^postgres(ql)?:\/\//, '');
    label.textContent = `${s.agent} · ${where}${s.read_only ? ' (lecture seule)' : ''}`;
  } else {
    label.textContent = 'Non connecté';
  }
  return s;
}
