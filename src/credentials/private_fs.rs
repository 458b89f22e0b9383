//! Files and folders that hold personal data or live tokens (the data folder, the
//! embedded base, the `.eml` outbox): readable by their owner only. On systems
//! without Unix permissions the user's profile folder already protects them.

use std::path::Path;

/// Creates `dir` (and its parents) if needed, then makes it 0700.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Writes `bytes` to a new file readable by its owner only (0600 from its
/// creation, not after).
pub async fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await?;
    tokio::io::AsyncWriteExt::write_all(&mut file, bytes).await?;
    tokio::io::AsyncWriteExt::flush(&mut file).await?;
    Ok(())
}

/// Makes an existing file (or creates an empty one) 0600: the embedded base
/// before SQLite opens it, so its journal files inherit the mode.
pub fn private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[tokio::test]
    async fn owner_only() {
        let root = std::env::temp_dir().join(format!("siec-priv-{}", uuid::Uuid::new_v4()));
        let dir = root.join("data");
        private_dir(&dir).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        let f = dir.join("m.eml");
        write_private(&f, b"x").await.unwrap();
        assert_eq!(mode(&f), 0o600);
        let db = dir.join("b.sqlite");
        std::fs::write(&db, b"").unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        private_file(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
