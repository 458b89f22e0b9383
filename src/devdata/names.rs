pub const KINDS: &[&str] = &[
    "Lycée", "Lycée professionnel", "Lycée polyvalent", "Collège", "École élémentaire", "École maternelle",
    "École primaire", "Lycée agricole", "Centre d'examens", "GRETA",
];

pub const PEOPLE: &[&str] = &[
    "Jean Moulin", "Louis Pasteur", "Jules Ferry", "Victor Hugo", "Marie Curie", "Simone Veil", "Émile Zola",
    "Jean Jaurès", "Honoré de Balzac", "Albert Camus", "Louis-le-Grand", "Henri IV", "Condorcet", "Molière",
    "Jean de La Fontaine", "George Sand", "Colette", "Paul Éluard", "Frédéric Mistral", "Lamartine",
    "Jacques Prévert", "Antoine de Saint-Exupéry", "Pierre et Marie Curie", "Charles de Gaulle", "Françoise Dolto",
    "Olympe de Gouges", "Joséphine Baker", "Aimé Césaire", "Gustave Eiffel", "Camille Claudel", "René Descartes",
    "Blaise Pascal", "Édouard Herriot", "Léon Blum", "Jean-Baptiste Say", "Germaine Tillion", "Lucie Aubrac",
    "Marcel Pagnol", "Clément Ader", "Évariste Galois",
];

/// (city, academy)
pub const CITIES: &[(&str, &str)] = &[
    ("Paris", "Paris"), ("Créteil", "Créteil"), ("Versailles", "Versailles"), ("Nîmes", "Montpellier"),
    ("Montpellier", "Montpellier"), ("Béziers", "Montpellier"), ("Marseille", "Aix-Marseille"),
    ("Aix-en-Provence", "Aix-Marseille"), ("Nice", "Nice"), ("Toulon", "Nice"), ("Lyon", "Lyon"),
    ("Saint-Étienne", "Lyon"), ("Grenoble", "Grenoble"), ("Chambéry", "Grenoble"), ("Bordeaux", "Bordeaux"),
    ("Pau", "Bordeaux"), ("Toulouse", "Toulouse"), ("Albi", "Toulouse"), ("Nantes", "Nantes"), ("Angers", "Nantes"),
    ("Rennes", "Rennes"), ("Brest", "Rennes"), ("Lille", "Lille"), ("Valenciennes", "Lille"), ("Amiens", "Amiens"),
    ("Rouen", "Normandie"), ("Caen", "Normandie"), ("Orléans", "Orléans-Tours"), ("Tours", "Orléans-Tours"),
    ("Dijon", "Dijon"), ("Besançon", "Besançon"), ("Strasbourg", "Strasbourg"), ("Mulhouse", "Strasbourg"),
    ("Nancy", "Nancy-Metz"), ("Metz", "Nancy-Metz"), ("Reims", "Reims"), ("Limoges", "Limoges"),
    ("Clermont-Ferrand", "Clermont-Ferrand"), ("Poitiers", "Poitiers"), ("La Rochelle", "Poitiers"),
    ("Ajaccio", "Corse"), ("Fort-de-France", "Martinique"), ("Pointe-à-Pitre", "Guadeloupe"),
    ("Saint-Denis", "La Réunion"), ("Évry-Courcouronnes", "Versailles"), ("Fontainebleau", "Créteil"),
];

pub const FIRST: &[&str] = &[
    "Jeanne", "Élodie", "Hélène", "Chloé", "Zoé", "Léa", "Inès", "Maëlle", "Noémie", "Anaïs", "Cécile", "Solène",
    "Jérôme", "François", "Stéphane", "Frédéric", "Théo", "Loïc", "Gaël", "Benoît", "Joël", "Noël", "René",
    "Amélie", "Marie", "Sophie", "Nicolas", "Julien", "Thomas", "Camille",
];

pub const LAST: &[&str] = &[
    "Dupont", "Lefèvre", "Lemaître", "Bénard", "Gérard", "Müller", "Bouché", "Faure", "Giraud", "Mercier",
    "Rousseau", "Fontaine", "Chevalier", "Morel", "Girard", "André", "Lefebvre", "Garnier", "Perrin", "Clément",
    "Nicolas", "Guérin", "Boyer", "Roux", "Vincent", "Lambert", "Bonnet", "Francois", "Martinez", "Da Silva",
];
