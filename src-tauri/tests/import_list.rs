//! « Envoi groupé » from the agent's own file: a CSV saved by Excel on French
//! Windows (Windows-1252, `;`, a row of titles, a broken address, a row without any,
//! a repeated address). The core reads it, the list fills with the good addresses,
//! each row left out is named with its line, and the preview then counts the list.
//! Nothing is sent or written before the agent confirms.

mod support;

use base64::Engine;
use support::{AppEnv, Driver, Session, SmtpServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fenêtre réelle sous Xvfb : lancer scripts/e2e"]
async fn an_excel_file_fills_the_bulk_list_and_reports_the_rows_left_out() {
    let _one = support::exclusive().await;
    let mut env = AppEnv::new("import-liste");
    let smtp = SmtpServer::start("import-liste");
    smtp.configure(&mut env);
    let store = support::open_store(&env.sqlite_url()).await;
    support::add_establishment(&store, "0750655E", "Lycée Louis-le-Grand", "Paris", "Paris").await;
    support::add_account(
        &store,
        "helene.durand@ac-paris.fr",
        "0750655E",
        true,
        "Hélène Durand",
    )
    .await;
    support::add_account(
        &store,
        "andre.martin@ac-paris.fr",
        "0750655E",
        false,
        "André Martin",
    )
    .await;

    // What Excel writes for « CSV (séparateur : point-virgule) »: Windows-1252.
    let mut file: Vec<u8> = b"Nom;Pr\xE9nom;Adresse\r\n".to_vec();
    file.extend_from_slice(b"Durand;H\xE9l\xE8ne;helene.durand@ac-paris.fr\r\n");
    file.extend_from_slice(b"Martin;Andr\xE9;andre.martin@ac-paris.fr\r\n");
    file.extend_from_slice(b"Petit;L\xE9a;lea.petit@ac-paris\r\n");
    file.extend_from_slice(b"Inconnu;Paul;paul.inconnu@ac-paris.fr\r\n");
    file.extend_from_slice(b"Sans adresse;;\r\n");
    file.extend_from_slice(b"Durand;H\xE9l\xE8ne;Helene.Durand@ac-paris.fr\r\n");

    let driver = Driver::start(&env);
    let mut s = Session::start(&driver, "import-liste").await;
    s.go("#/envoi-groupe").await;
    s.wait_for("#bulk-file-choose").await;
    // The file chooser is GTK's own window; the test hands the file to the page's
    // file field as the chooser would.
    s.exec(
        "const bytes = Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0));
         const input = document.querySelector('#bulk-file');
         const files = new DataTransfer();
         files.items.add(new File([bytes], 'liste-session.csv', { type: 'text/csv' }));
         input.files = files.files;
         input.dispatchEvent(new Event('change'));",
        vec![serde_json::json!(
            base64::engine::general_purpose::STANDARD.encode(&file)
        )],
    )
    .await;
    let report = s.wait_text("#bulk-file-summary p", |t| !t.is_empty()).await;
    assert_eq!(
        report,
        "3 adresses lues dans « liste-session.csv » (encodage Windows-1252, séparateur « ; », première ligne lue comme titres, 1 adresse en double ignorée) ; 2 lignes écartées :"
    );
    let rows = s
        .exec(
            "return [...document.querySelectorAll('#bulk-file-summary li')].map(li => li.textContent)",
            vec![],
        )
        .await;
    assert_eq!(
        rows,
        serde_json::json!([
            "ligne 4 : Le domaine de l'adresse e-mail « lea.petit@ac-paris » est incorrect (exemple attendu : nom@ac-paris.fr).",
            "ligne 6 : aucune adresse dans cette ligne"
        ])
    );
    assert_eq!(s.text_of("#bulk-file-name").await, "liste-session.csv");
    assert_eq!(s.text_of("#bulk-file-choose").await, "Choisir un fichier…");
    let list = s
        .exec("return document.querySelector('#bulk-list').value", vec![])
        .await;
    assert_eq!(
        list,
        "helene.durand@ac-paris.fr\nandre.martin@ac-paris.fr\npaul.inconnu@ac-paris.fr"
    );
    s.shot("fichier-lu").await;

    // The preview counts the list: the unknown address is set aside, with why.
    s.click("#bulk-preview-btn").await;
    let preview = s.wait_text("#bulk-preview-counts", |t| !t.is_empty()).await;
    assert_eq!(preview, "2 liens à envoyer, 1 adresse écartée.");
    let skipped = s.text_of("#bulk-preview li").await;
    assert!(
        skipped.starts_with("paul.inconnu@ac-paris.fr : "),
        "{skipped}"
    );
    s.shot("previsualisation").await;
    assert_eq!(smtp.count(), 0, "rien n'est envoyé avant la confirmation");
    let links = support::count(&store, "SELECT COUNT(*) FROM link_requests").await;
    assert_eq!(links, 0, "rien n'est écrit avant la confirmation");
    s.end().await;
}
