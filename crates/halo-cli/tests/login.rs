//! `halo login` end to end: the binary waits on loopback while the test plays the browser
//! (the sign-in page, the consent, the redirect back); then what it stored, refreshes shared by
//! processes under rotation, and `halo logout`.

mod common;

use common::desk::Desk;
use common::{PASSWORD, USER, halo_process as halo};
use halo_sandbox::SandboxConfig;
use halo_sandbox::browser::Decision;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::Duration;

const NATIVE: &str = "halo-sandbox-native";

/// A running `halo login --no-browser ARGS` and the sign-in URL it printed.
struct Login {
    child: Child,
    url: String,
}

impl Login {
    fn start(desk: &Desk, args: &[&str]) -> Login {
        let mut cmd = halo(desk.dir.path());
        cmd.args(["login", "--url", &desk.sandbox.url(), "--no-browser"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut url = None;
        for _ in 0..5 {
            let mut line = String::new();
            err.read_line(&mut line).unwrap();
            if let Some(u) = line.trim().strip_prefix("http") {
                url = Some(format!("http{u}"));
                break;
            }
        }
        // The rest of standard error is read when the process ends.
        std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
        Login {
            child,
            url: url.expect("halo login printed no URL"),
        }
    }

    /// Its exit code and standard output.
    fn end(mut self) -> (i32, String) {
        let status = self.child.wait().unwrap();
        let mut out = String::new();
        std::io::Read::read_to_string(self.child.stdout.as_mut().unwrap(), &mut out).unwrap();
        (status.code().unwrap_or(-1), out)
    }
}

/// The browser's part: the sign-in page, the agent's name and password, the consent; the
/// redirect's `Location` (not followed).
async fn sign_in(url: &str, user: &str, password: &str) -> String {
    decide(url, user, password, Decision::Allow).await
}

/// [`sign_in`] with the consent's `decision`.
async fn decide(url: &str, user: &str, password: &str, decision: Decision) -> String {
    halo_sandbox::browser::sign_in(url, user, password, decision)
        .await
        .unwrap()
        .to_string()
}

/// Follows the redirect to halo's listener: the page it shows.
async fn deliver(location: &str) -> String {
    reqwest::get(location).await.unwrap().text().await.unwrap()
}

/// Signs in through `halo login ARGS` as the sandbox's agent, to the end.
async fn logged_in(desk: &Desk, args: &[&str]) -> String {
    let login = Login::start(desk, args);
    let location = sign_in(&login.url, USER, PASSWORD).await;
    assert!(location.starts_with("http://127.0.0.1:"), "{location}");
    let page = deliver(&location).await;
    assert!(page.contains("Signed in"), "{page}");
    let (code, out) = login.end();
    assert_eq!(code, 0, "{out}");
    out
}

fn token_requests(desk: &Desk, grant: &str) -> usize {
    desk.sandbox
        .journal()
        .iter()
        .filter(|e| e.path.eq_ignore_ascii_case("/auth/token"))
        .filter(|e| {
            e.form
                .as_ref()
                .is_some_and(|f| f.iter().any(|(k, v)| k == "grant_type" && v == grant))
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_sign_in_stores_a_profile_that_acts_as_the_agent() {
    let desk = Desk::new(20).await;
    let out = logged_in(&desk, &["--client-id", NATIVE]).await;
    assert!(
        out.contains("signed in to") && out.contains("Sandbox Agent"),
        "{out}"
    );
    assert!(out.contains("grant:     authorization_code"), "{out}");

    let whoami = desk.halo(&["whoami"]).await.ok().printed.out();
    assert!(whoami.contains("Sandbox Agent"), "{whoami}");
    // The refresh token is with the secrets (0600), not in the token cache or the config.
    let dir = desk.dir.path();
    let secrets = std::fs::read_to_string(dir.join("secrets.toml")).unwrap();
    assert!(secrets.contains("refresh_token"), "{secrets}");
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    assert!(
        config.contains("grant = \"authorization_code\""),
        "{config}"
    );
    let cache = std::fs::read_to_string(dir.join("tokens/default.json")).unwrap();
    assert!(!cache.contains("refresh_token"), "{cache}");
    #[cfg(unix)]
    assert_eq!(common::mode(&dir.join("secrets.toml")) & 0o777, 0o600);
    // The authorize request asked for what a native sign-in needs.
    let authorize = desk
        .sandbox
        .journal()
        .into_iter()
        .find(|e| e.method == "GET" && e.path.eq_ignore_ascii_case("/auth/authorize"))
        .unwrap();
    let q = authorize.query.unwrap_or_default();
    for part in [
        "code_challenge_method=S256",
        "response_type=code",
        "tenant=sandbox",
        "offline_access",
    ] {
        assert!(q.contains(part), "{part} not in {q}");
    }
    // Nothing in the journal shows the code or the verifier.
    for e in desk.sandbox.journal() {
        if let Some(form) = &e.form {
            for (k, v) in form {
                if ["code", "code_verifier", "refresh_token", "password"].contains(&k.as_str()) {
                    assert_eq!(v, "[redacted]", "{k}");
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_with_a_secret_signs_in_too() {
    let desk = Desk::new(20).await;
    let mut cmd = halo(desk.dir.path());
    cmd.args([
        "login",
        "--url",
        &desk.sandbox.url(),
        "--no-browser",
        "--client-id",
        common::CLIENT_ID,
        "--profile",
        "secret-app",
    ])
    .env("HALO_CLIENT_SECRET", common::SECRET)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let url = loop {
        let mut line = String::new();
        assert!(err.read_line(&mut line).unwrap() > 0, "no URL printed");
        if line.trim().starts_with("http") {
            break line.trim().to_string();
        }
    };
    let location = sign_in(&url, USER, PASSWORD).await;
    assert!(deliver(&location).await.contains("Signed in"));
    assert!(child.wait().unwrap().success());
    let exchange = desk
        .sandbox
        .journal()
        .into_iter()
        .find(|e| {
            e.form.as_ref().is_some_and(|f| {
                f.iter()
                    .any(|(k, v)| k == "grant_type" && v == "authorization_code")
            })
        })
        .unwrap();
    assert!(
        exchange
            .form
            .unwrap()
            .iter()
            .any(|(k, v)| k == "client_secret" && v == "[redacted]")
    );
    let whoami = desk
        .halo(&["whoami", "--profile", "secret-app"])
        .await
        .ok()
        .printed
        .out();
    assert!(whoami.contains("Sandbox Agent"), "{whoami}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_with_another_state_is_refused_and_nothing_is_stored() {
    let desk = Desk::new(20).await;
    let login = Login::start(&desk, &["--client-id", NATIVE]);
    let location = sign_in(&login.url, USER, PASSWORD).await;
    let mut forged = url::Url::parse(&location).unwrap();
    let pairs: Vec<(String, String)> = forged
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                "not-the-state".into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    forged.query_pairs_mut().clear().extend_pairs(pairs);
    let page = deliver(forged.as_str()).await;
    assert!(page.contains("did not complete"), "{page}");
    let (code, _) = login.end();
    assert_eq!(code, 3);
    assert!(!desk.dir.path().join("config.toml").exists());
    assert_eq!(token_requests(&desk, "authorization_code"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_consent_or_no_sign_in_in_time_ends_the_login() {
    let desk = Desk::new(20).await;
    let login = Login::start(&desk, &["--client-id", NATIVE]);
    let location = decide(&login.url, USER, PASSWORD, Decision::Deny).await;
    assert!(location.contains("error=access_denied"), "{location}");
    let page = deliver(&location).await;
    assert!(
        page.contains("did not complete") && page.contains("access_denied"),
        "{page}"
    );
    let (code, _) = login.end();
    assert_eq!(code, 3);

    let login = Login::start(&desk, &["--client-id", NATIVE, "--wait", "2s"]);
    let (code, _) = login.end();
    assert_eq!(code, 6, "timed out");
    assert!(!desk.dir.path().join("config.toml").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_processes_with_an_expired_token_share_one_refresh_under_rotation() {
    let desk = Desk::start(SandboxConfig {
        seed_tickets: 20,
        rotate_refresh_tokens: true,
        refresh_grace: Duration::ZERO,
        ..SandboxConfig::default()
    })
    .await;
    logged_in(&desk, &["--client-id", NATIVE]).await;
    // The cached access token has just expired.
    let cache = desk.dir.path().join("tokens/default.json");
    let mut token: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    token["expires_at"] = 0.into();
    std::fs::write(&cache, token.to_string()).unwrap();
    let before = std::fs::read_to_string(desk.dir.path().join("secrets.toml")).unwrap();
    desk.sandbox.clear_journal();
    let children: Vec<Child> = (0..5)
        .map(|_| {
            halo(desk.dir.path())
                .args(["whoami"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("Sandbox Agent"));
    }
    assert_eq!(token_requests(&desk, "refresh_token"), 1);
    // The rotated refresh token replaced the old one where secrets are kept.
    let after = std::fs::read_to_string(desk.dir.path().join("secrets.toml")).unwrap();
    assert_ne!(before, after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_refresh_token_says_to_log_in_again_and_logout_revokes() {
    let desk = Desk::new(20).await;
    logged_in(&desk, &["--client-id", NATIVE]).await;
    let out = desk.halo(&["logout"]).await.ok().printed.out();
    assert!(out.contains("revoked"), "{out}");
    let revoke = desk
        .sandbox
        .journal()
        .into_iter()
        .find(|e| e.path.eq_ignore_ascii_case("/auth/revoke"))
        .expect("a revocation request");
    assert_eq!(revoke.status, 200);

    // Signed in again, then the refresh token is revoked behind halo's back.
    logged_in(&desk, &["--client-id", NATIVE]).await;
    let secrets: toml::Value =
        toml::from_str(&std::fs::read_to_string(desk.dir.path().join("secrets.toml")).unwrap())
            .unwrap();
    let refresh = secrets["default"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let revoked = reqwest::Client::new()
        .post(format!("{}/auth/revoke?tenant=sandbox", desk.sandbox.url()))
        .form(&[("token", refresh.as_str()), ("client_id", NATIVE)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let cache = desk.dir.path().join("tokens/default.json");
    let mut token: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    token["expires_at"] = 0.into();
    std::fs::write(&cache, token.to_string()).unwrap();
    let ran = desk.halo(&["whoami"]).await;
    assert_eq!(ran.code, 3, "{}", ran.printed.err());
    assert!(
        ran.printed.err().contains("halo login"),
        "{}",
        ran.printed.err()
    );
}
