//! A throwaway PostgreSQL server that checks passwords (SCRAM-SHA-256) for every
//! login but `postgres`: the shared test server trusts everyone, which would hide
//! wrong-password and unknown-login answers. Started per test, stopped on drop.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

use siec_accounts::store::{Store, StoreOptions};

// Both support modules need it, alone or together in one test binary.
#[allow(clippy::duplicate_mod)]
#[path = "../support/group_roles.rs"]
mod group_roles;

pub struct ScramCluster {
    pub dir: PathBuf,
    pub port: u16,
    bin: PathBuf,
}

fn pg_bin() -> PathBuf {
    let out = Command::new("pg_config").arg("--bindir").output();
    if let Ok(o) = out {
        let p = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
        if p.join("initdb").exists() {
            return p;
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries (/usr/lib/postgresql/*/bin)")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort();
    found.pop().expect("initdb")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs a server binary, as `postgres` when we are root (the server refuses root).
fn run(bin: &std::path::Path, args: &[&str]) {
    let status = if is_root() {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(bin)
            .args(args)
            .output()
    } else {
        Command::new(bin).args(args).output()
    }
    .expect("server binary runs");
    assert!(
        status.status.success(),
        "{} {args:?}: {}{}",
        bin.display(),
        String::from_utf8_lossy(&status.stdout),
        String::from_utf8_lossy(&status.stderr)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl ScramCluster {
    pub fn start() -> Self {
        let bin = pg_bin();
        let dir = std::env::temp_dir().join(format!("siec-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            assert!(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .unwrap()
                .success());
        }
        let data = dir.join("data");
        run(
            &bin.join("initdb"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale",
                "C",
            ],
        );
        let hba = "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n";
        std::fs::write(data.join("pg_hba.conf"), hba).unwrap();
        let cluster = Self {
            dir,
            port: free_port(),
            bin,
        };
        cluster.start_again();
        cluster
    }

    /// Starts the server on its data folder and port (again, after `stop`).
    pub fn start_again(&self) {
        let data = self.dir.join("data");
        let opts = format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c password_encryption=scram-sha-256", self.port, self.dir.display());
        run(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-o",
                &opts,
                "-l",
                self.dir.join("server.log").to_str().unwrap(),
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }

    /// Stops the server the way an outage would look to clients: connections refused.
    pub fn stop(&self) {
        let data = self.dir.join("data");
        run(
            &self.bin.join("pg_ctl"),
            &["-D", data.to_str().unwrap(), "-m", "fast", "-w", "stop"],
        );
    }

    pub fn url(&self, user: &str, db: &str) -> String {
        format!("postgres://{user}@127.0.0.1:{}/{db}", self.port)
    }

    /// A migrated database, and the superuser's store on it.
    pub async fn database(&self) -> (String, Store) {
        let name = format!("siec_{}", uuid::Uuid::new_v4().simple());
        let admin = Store::connect(&self.url("postgres", "postgres"), StoreOptions::default())
            .await
            .unwrap();
        group_roles::ensure_group_roles(&admin).await;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(admin.pool())
            .await
            .unwrap();
        admin.close().await;
        let store = Store::connect(&self.url("postgres", &name), StoreOptions::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        (name, store)
    }

    /// What the server wrote in its log (statements, errors).
    pub fn server_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for ScramCluster {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let pg_ctl = self.bin.join("pg_ctl");
        let args = ["-D", data.to_str().unwrap(), "-m", "immediate", "stop"];
        let _ = if is_root() {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&pg_ctl)
                .args(args)
                .output()
        } else {
            Command::new(&pg_ctl).args(args).output()
        };
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
