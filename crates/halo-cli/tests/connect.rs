//! `halo connect`, profiles, `halo auth status` and `halo logout` against the sandbox.

mod common;

use common::*;
use halo_sandbox::SandboxConfig;
use predicates::prelude::*;

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn connect_then_auth_status_makes_exactly_one_token_request() {
    let w = World::new();
    w.connect()
        .assert()
        .success()
        .stdout(predicate::str::contains("acting as: API Agent"))
        .stdout(predicate::str::contains("stored as profile 'default'"));
    w.halo()
        .args(["auth", "status"])
        .assert()
        .success()
        .stdout(predicate::str::contains("profile 'default'"))
        .stdout(predicate::str::contains("acting as: API Agent"));
    let stats = w.sandbox.stats();
    assert_eq!(stats.token_requests, 1, "{:?}", w.sandbox.journal());
    let config = std::fs::read_to_string(w.config_dir().join("config.toml")).unwrap();
    assert!(!config.contains(SECRET), "{config}");
    assert!(config.contains("current_profile = \"default\""), "{config}");
}

#[test]
fn secrets_appear_in_no_output_and_only_in_the_0600_secret_files() {
    let w = World::new();
    let mut outputs = Vec::new();
    let out = w.connect().arg("-vvv").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    outputs.push(out);
    let out = w
        .halo()
        .args([
            "connect",
            "--profile",
            "agent",
            "--url",
            &w.url(),
            "--client-id",
            CLIENT_ID,
        ])
        .args([
            "--username",
            USER,
            "--password-stdin",
            "--scopes",
            "all,offline_access",
            "-vvv",
        ])
        .write_stdin(PASSWORD)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    outputs.push(out);
    // A call through each profile, at trace level for every crate (HTTP stack included).
    w.sandbox.revoke_tokens();
    for profile in ["default", "agent"] {
        let out = w
            .halo()
            .args(["auth", "status", "--profile", profile])
            .env("RUST_LOG", "trace")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        outputs.push(out);
    }
    let all_output: String = outputs
        .iter()
        .map(|o| format!("{}{}", stdout(o), stderr(o)))
        .collect();
    assert!(
        all_output.contains("authorization: [redacted]"),
        "trace logging was on"
    );
    assert!(all_output.contains("token request"), "trace logging was on");

    let token_files: Vec<_> = w
        .files()
        .into_iter()
        .filter(|p| p.parent().unwrap().ends_with("tokens"))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(token_files.len(), 2);
    let mut secrets = vec![SECRET.to_string(), PASSWORD.to_string()];
    for f in &token_files {
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
        secrets.push(v["access_token"].as_str().unwrap().to_string());
        if let Some(r) = v["refresh_token"].as_str() {
            secrets.push(r.to_string());
        }
    }
    for s in &secrets {
        assert!(
            !all_output.contains(s.as_str()),
            "a secret reached the output"
        );
    }
    for f in w.files() {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        let secret_file = f.ends_with("secrets.toml") || token_files.contains(&f);
        #[cfg(unix)]
        assert_eq!(mode(&f), 0o600, "{}", f.display());
        if !secret_file {
            for s in &secrets {
                assert!(!text.contains(s.as_str()), "a secret is in {}", f.display());
            }
        }
    }
    let stored = std::fs::read_to_string(w.config_dir().join("secrets.toml")).unwrap();
    assert!(stored.contains(SECRET) && stored.contains(PASSWORD));
}

#[test]
fn wrong_secret_exits_3_with_one_line_and_stores_nothing() {
    let w = World::new();
    let out = w
        .halo()
        .args([
            "connect",
            "--url",
            &w.url(),
            "--client-id",
            CLIENT_ID,
            "--client-secret-stdin",
        ])
        .write_stdin("wrong-secret")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("client ID or client secret was rejected"),
        "{err}"
    );
    assert!(w.files().is_empty(), "nothing stored: {:?}", w.files());
}

#[test]
fn unknown_tenant_exits_3() {
    let w = World::new();
    let out = w.connect().args(["--tenant", "acme"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("tenant 'acme' was not accepted"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_html_reply_exits_3_with_a_readable_message() {
    let w = World::new();
    let url = w.rt.block_on(async {
        use axum::http::StatusCode;
        let app = axum::Router::new().fallback(|| async {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::response::Html(
                    "<!DOCTYPE html><html><body><h1>Service Unavailable</h1></body></html>",
                ),
            )
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    });
    let out = w
        .halo()
        .args([
            "connect",
            "--url",
            &url,
            "--client-id",
            "x",
            "--client-secret-stdin",
            "--max-retries",
            "1",
        ])
        .write_stdin("y")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains("HTML page") && err.contains("Service Unavailable"),
        "{err}"
    );
    assert!(!err.contains('<'), "{err}");
}

#[test]
fn a_secret_on_argv_warns() {
    let w = World::new();
    w.halo()
        .args([
            "connect",
            "--url",
            &w.url(),
            "--client-id",
            CLIENT_ID,
            "--client-secret",
            SECRET,
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("visible to other users"));
}

#[test]
fn password_grant_from_environment_variables() {
    let w = World::new();
    w.halo()
        .args([
            "connect",
            "--url",
            &w.url(),
            "--client-id",
            CLIENT_ID,
            "--username",
            USER,
        ])
        .env("HALO_PASSWORD", PASSWORD)
        .assert()
        .success()
        .stdout(predicate::str::contains("grant:     password"))
        .stdout(predicate::str::contains("Sandbox Agent"));
}

#[test]
fn environment_only_connection_needs_no_profile_and_caches_its_token() {
    let w = World::new();
    for _ in 0..2 {
        w.halo()
            .args(["auth", "status"])
            .env("HALO_URL", w.url())
            .env("HALO_CLIENT_ID", CLIENT_ID)
            .env("HALO_CLIENT_SECRET", SECRET)
            .env("HALO_SCOPES", "read:tickets edit:tickets")
            .env("HALO_TENANT", "sandbox")
            .assert()
            .success()
            .stdout(predicate::str::contains("HALO_URL"))
            .stdout(predicate::str::contains(
                "scope:     read:tickets edit:tickets",
            ));
    }
    assert_eq!(w.sandbox.stats().token_requests, 1);
    assert!(!w.config_dir().join("config.toml").exists());
}

#[test]
fn profiles_list_use_show_remove_and_logout() {
    let w = World::new();
    w.connect().assert().success();
    w.connect()
        .args(["--profile", "second", "--header", "X-Trace: on"])
        .assert()
        .success();
    let listed = w.halo().args(["profile", "list"]).output().unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let current: Vec<(&str, bool)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r["current"] == true))
        .collect();
    assert_eq!(
        current,
        [("default", false), ("second", true)],
        "piped: JSON"
    );
    w.halo()
        .args(["profile", "use", "default"])
        .assert()
        .success();
    w.halo()
        .args(["profile", "show", "second"])
        .assert()
        .success()
        .stdout(predicate::str::contains("header:       X-Trace: on"))
        .stdout(predicate::str::contains("secrets.toml"))
        .stdout(predicate::str::contains(SECRET).not());
    w.halo()
        .args(["profile", "use", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("profiles: default, second"));
    w.halo()
        .args(["logout", "--profile", "second"])
        .assert()
        .success();
    assert!(!w.config_dir().join("tokens/second.json").exists());
    w.halo()
        .args(["auth", "status", "--profile", "second"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("no client secret is stored"));
    w.halo()
        .args(["profile", "remove", "second"])
        .assert()
        .success();
    let secrets = std::fs::read_to_string(w.config_dir().join("secrets.toml")).unwrap();
    assert!(!secrets.contains("second"), "{secrets}");
    w.halo()
        .args(["profile", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("second").not());
}

#[test]
fn no_store_tests_without_storing() {
    let w = World::new();
    w.connect()
        .arg("--no-store")
        .assert()
        .success()
        .stdout(predicate::str::contains("not stored"));
    assert!(w.files().is_empty());
}

#[test]
fn plain_http_to_a_remote_host_is_refused_before_any_request() {
    let w = World::new();
    w.halo()
        .args([
            "connect",
            "--url",
            "http://halo.example.com",
            "--client-id",
            "x",
            "--client-secret-stdin",
        ])
        .write_stdin("y")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("refusing plain http://"));
}

#[test]
fn bad_flags_and_bad_config_exit_2_and_lose_nothing() {
    let w = World::new();
    w.halo().args(["connect", "--bogus"]).assert().code(2);
    w.halo()
        .args(["auth", "status"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("halo connect"));
    let path = w.config_dir().join("config.toml");
    std::fs::write(&path, "this is = = not toml").unwrap();
    w.connect()
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a valid halo config"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "this is = = not toml"
    );
}

#[test]
fn a_sandbox_without_tenant_works_like_self_hosted() {
    let w = World::with(SandboxConfig {
        tenant: None,
        ..SandboxConfig::default()
    });
    w.connect()
        .assert()
        .success()
        .stdout(predicate::str::contains("tenant:    (none)"));
}
