//! Shared set-up for CLI tests: a sandbox on loopback and an isolated config dir.
// Each test binary uses a different part of these helpers.
#![allow(dead_code)]

pub mod desk;
pub mod fake;
pub mod listener;

use halo_sandbox::{Sandbox, SandboxConfig};
use std::path::{Path, PathBuf};

pub const CLIENT_ID: &str = "halo-sandbox-client";
pub const SECRET: &str = "halo-sandbox-secret";
pub const USER: &str = "agent@sandbox.local";
pub const PASSWORD: &str = "sandbox-password";

/// The `halo` binary with `config` as its config dir, no keyring, no colour and no inherited
/// HALO_* variable.
pub fn halo_process(config: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("halo"));
    for (k, _) in std::env::vars() {
        if k.starts_with("HALO_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    cmd.env("HALO_CONFIG_DIR", config)
        .env("HALO_KEYRING", "off")
        .env("NO_COLOR", "1");
    cmd
}

/// A sandbox (on its own runtime) and a temporary config dir. Fields drop in order.
pub struct World {
    pub sandbox: Sandbox,
    pub dir: tempfile::TempDir,
    pub rt: tokio::runtime::Runtime,
}

impl World {
    pub fn new() -> World {
        World::with(SandboxConfig::default())
    }

    /// A sandbox with a stored profile (`halo connect` done).
    pub fn connected() -> World {
        let w = World::new();
        w.connect().assert().success();
        w
    }

    pub fn with(config: SandboxConfig) -> World {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let sandbox = rt.block_on(Sandbox::start(config)).unwrap();
        World {
            sandbox,
            dir: tempfile::tempdir().unwrap(),
            rt,
        }
    }

    pub fn url(&self) -> String {
        self.sandbox.url()
    }

    pub fn config_dir(&self) -> &Path {
        self.dir.path()
    }

    /// `halo` with an isolated config dir, no keyring and no inherited HALO_* variables.
    pub fn halo(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.process())
    }

    /// [`World::halo`] as a plain process command (to spawn and act on while it runs).
    pub fn process(&self) -> std::process::Command {
        halo_process(self.config_dir())
    }

    /// `halo connect` with the sandbox's client credentials, secret on stdin.
    pub fn connect(&self) -> assert_cmd::Command {
        let mut cmd = self.halo();
        cmd.args([
            "connect",
            "--url",
            &self.url(),
            "--client-id",
            CLIENT_ID,
            "--client-secret-stdin",
        ])
        .write_stdin(format!("{SECRET}\n"));
        cmd
    }

    /// Every file below the config dir.
    pub fn files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.push(p);
                }
            }
        }
        let mut out = Vec::new();
        walk(self.config_dir(), &mut out);
        out
    }
}

/// Unix mode bits of a file.
#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The ids in an NDJSON file, checking each appears once.
pub fn ids(path: &Path) -> std::collections::HashSet<i64> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut ids = std::collections::HashSet::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            ids.insert(v["id"].as_i64().unwrap()),
            "id {} twice",
            v["id"]
        );
    }
    ids
}

/// Every live document of a table's resource as the sandbox stores it, by the mirror's key.
/// (`dir/sandbox` is the sandbox's data directory.)
pub fn sandbox_documents(
    dir: &Path,
    table: &'static halo_mirror::Table,
) -> std::collections::BTreeMap<halo_mirror::Key, serde_json::Value> {
    let db = rusqlite::Connection::open_with_flags(
        dir.join("sandbox").join("sandbox.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut stmt = db
        .prepare("SELECT doc FROM objects WHERE resource = ?1 AND deleted = 0")
        .unwrap();
    let docs = stmt
        .query_map([table.resource.path], |r| r.get::<_, String>(0))
        .unwrap();
    let mut out = std::collections::BTreeMap::new();
    for doc in docs {
        let doc: serde_json::Value = serde_json::from_str(&doc.unwrap()).unwrap();
        let key = table.key_of(&doc).expect("every sandbox row has a key");
        assert!(out.insert(key, doc).is_none(), "a key twice in the sandbox");
    }
    out
}

/// Asserts the mirror's `name` table holds exactly the sandbox's documents; how many.
pub async fn assert_table_equal(dir: &Path, mirror: &halo_mirror::Mirror, name: &str) -> usize {
    let table = halo_mirror::table(name).unwrap();
    let want = sandbox_documents(dir, table);
    let got = mirror.documents(table).await.unwrap();
    let missing: Vec<_> = want
        .keys()
        .filter(|k| !got.contains_key(k))
        .take(5)
        .collect();
    let extra: Vec<_> = got
        .keys()
        .filter(|k| !want.contains_key(k))
        .take(5)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{name}: missing {missing:?}, not in the sandbox {extra:?}"
    );
    for (k, doc) in &want {
        assert_eq!(&got[k], doc, "{name} {k:?} differs");
    }
    want.len()
}
