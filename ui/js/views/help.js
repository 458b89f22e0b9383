// The connection guide's steps, worded so an agent can read them out to a caller.
import { h } from '../dom.js';

export function render(root) {
  root.append(
    h('h1', {}, 'Aide à la connexion'),
    h('p', { class: 'fr-text--lead' }, 'Les étapes du guide DPECothèque, à lire à la personne au téléphone.'),
    h('div', { class: 'fr-callout fr-mb-4w' },
      h('h2', { class: 'fr-callout__title' }, 'Accès à l’application'),
      h('p', { class: 'fr-callout__text' },
        'DPECothèque s’ouvre à l’adresse dpecothèque.siec.education.fr. Le bouton « Se connecter » mène au portail d’authentification du SIEC, où l’on se connecte avec son adresse e-mail et son mot de passe.')),
    h('h2', {}, 'Première connexion'),
    h('ol', {},
      h('li', {}, 'Sur le portail, cliquez sur « Initialisez votre mot de passe » (rubrique « C’est votre première connexion ? »).'),
      h('li', {}, 'Saisissez votre adresse e-mail et cliquez sur « Envoyer ».'),
      h('li', {}, 'Un message arrive de « SIEC - Maison des examens <ne-pas-repondre@siec.education.fr> », objet « Portail d’authentification - Réinitialisation de mot de passe ». Pensez à regarder dans les indésirables.'),
      h('li', {}, 'Cliquez sur le lien du message. Attention : il expire au bout d’une heure.'),
      h('li', {}, 'Choisissez votre mot de passe, confirmez-le, puis cliquez sur « Réinitialiser le mot de passe ».')),
    h('div', { class: 'fr-alert fr-alert--info fr-mb-4w' },
      h('h3', { class: 'fr-alert__title' }, 'Adresse non reconnue ?'),
      h('p', {}, 'L’adresse doit d’abord être enregistrée. Soit le compte principal de l’établissement l’ajoute et l’associe à son établissement, soit un agent du SIEC le fait depuis cette application (Recherche, puis « Ajouter une adresse »).')),
    h('h2', {}, 'Mot de passe oublié'),
    h('ol', {},
      h('li', {}, 'Sur le portail, cliquez sur « Mot de passe oublié ? » (ou sur « Initialisez votre mot de passe »).'),
      h('li', {}, 'Saisissez votre adresse e-mail et cliquez sur « Envoyer ».'),
      h('li', {}, 'Ouvrez le message reçu et cliquez sur le lien, valable une heure.'),
      h('li', {}, 'Saisissez le nouveau mot de passe deux fois, puis cliquez sur « Réinitialiser le mot de passe ».')),
    h('h2', {}, 'Les règles du mot de passe'),
    h('div', { class: 'fr-highlight fr-mb-4w', id: 'password-rules' },
      h('p', {}, 'Le mot de passe doit avoir :'),
      h('ul', {},
        h('li', {}, 'au moins 12 caractères ;'),
        h('li', {}, 'au moins 1 lettre MAJUSCULE ;'),
        h('li', {}, 'au moins 1 lettre minuscule ;'),
        h('li', {}, 'au moins 1 chiffre ;'),
        h('li', {}, 'au moins un de ces caractères spéciaux : $ @ % * + - _ !')),
      h('p', {}, 'La confirmation doit être identique. Le mot de passe doit respecter strictement ces indications.')),
  );
}
