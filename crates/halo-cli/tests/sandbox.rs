//! `halo sandbox` as a user runs it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[cfg(feature = "sandbox")]
#[test]
fn the_sandbox_command_serves_until_killed() {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("halo"))
        .args([
            "sandbox",
            "--seed-tickets",
            "25",
            "--rate-limit",
            "300/300s",
            "--data",
        ])
        .arg(data.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .strip_prefix("listening on ")
        .expect(&first)
        .to_string();
    let rest: Vec<String> = lines.by_ref().take(4).map(|l| l.unwrap()).collect();
    assert!(
        rest[0].contains("25 tickets") && rest[0].contains("sandbox.db"),
        "{rest:?}"
    );
    assert!(
        rest.iter().any(|l| l.contains("300 requests per 300 s")),
        "{rest:?}"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async {
        reqwest::get(format!("{url}/api/authinfo"))
            .await
            .map(|r| r.status().as_u16())
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(status.unwrap(), 200);
    assert!(data.path().join("sandbox.db").exists());
}

#[cfg(feature = "sandbox")]
#[test]
fn bad_sandbox_flags_exit_2() {
    for args in [
        vec!["sandbox", "--fail-rate", "2"],
        vec!["sandbox", "--rate-limit", "lots"],
        vec!["sandbox", "--webhook", "ftp://x"],
        vec!["sandbox", "--user", "nopassword"],
    ] {
        let out = assert_cmd::Command::cargo_bin("halo")
            .unwrap()
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_build_without_the_sandbox_feature_carries_no_sandbox() {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let tree = std::process::Command::new(env!("CARGO"))
        .args([
            "tree",
            "-p",
            "halo-cli",
            "--no-default-features",
            "-e",
            "normal",
        ])
        .args(["--offline", "--prefix", "none"])
        .current_dir(&workspace)
        .output()
        .unwrap();
    assert!(
        tree.status.success(),
        "{}",
        String::from_utf8_lossy(&tree.stderr)
    );
    let tree = String::from_utf8_lossy(&tree.stdout);
    assert!(tree.lines().any(|l| l.starts_with("halopsa ")), "{tree}");
    // SQLite and axum stay: the mirror (`halo sync`) and the webhook receiver (`halo webhook
    // listen`) are part of every build.
    assert!(
        !tree.lines().any(|l| l.starts_with("halo-sandbox ")),
        "halo-sandbox in:\n{tree}"
    );
}
