//! `halo webhook`: the receiver as a process (it serves until a signal), senders on
//! loopback, and `halo webhook events` / `replay` reading the journal it wrote.

mod common;

use common::listener::{Listener, halo};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Waits until `/metrics` shows nothing pending and `done` handled (polling: the handler runs
/// on its own; no time is asserted).
async fn settled(listener: &Listener, http: &reqwest::Client, done: f64) {
    for _ in 0..6000 {
        if listener.metric(http, "halo_webhook_pending_events").await == 0.0
            && listener
                .metric(http, "halo_webhook_handler_successes_total")
                .await
                >= done
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("events still pending");
}

/// `halo webhook events -o json` on `journal`.
fn events(dir: &Path, journal: &Path, extra: &[&str]) -> Vec<Value> {
    let out = halo(dir)
        .args(["webhook", "events", "-o", "json", "--journal"])
        .arg(journal)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    let pair = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {pair}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_deliveries_are_not_journaled_and_a_duplicate_is_kept_once() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.sqlite");
    let out = dir.path().join("events");
    let listener = Listener::start(
        dir.path(),
        &[
            "--path",
            "/hooks/s3cret",
            "--basic-user",
            "halo",
            "--max-body",
            "1KB",
            "--journal",
            journal.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &[("HALO_WEBHOOK_PASSWORD", "pa55")],
    );
    assert!(
        !listener.intro.join("\n").contains("s3cret"),
        "{:?}",
        listener.intro
    );
    let http = reqwest::Client::new();
    let hook = format!("{}/hooks/s3cret", listener.url);
    let good = basic("halo", "pa55");
    let event = json!({
        "id": "0f6c2d1e", "webhook_id": "a1b2", "event": "ticket status changed",
        "object_id": 1234, "timestamp": "2026-01-15T09:30:12.1234567Z",
        "ticket": {"id": 1234, "status_id": 9}
    });
    let send = |url: String, auth: Option<String>, body: Vec<u8>| {
        let mut request = http.post(url).body(body);
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let body = serde_json::to_vec(&event).unwrap();
    let refused = [
        (hook.clone(), None, body.clone(), 401),
        (
            hook.clone(),
            Some(basic("halo", "wrong")),
            body.clone(),
            401,
        ),
        (
            hook.clone(),
            Some(basic("other", "pa55")),
            body.clone(),
            401,
        ),
        (
            format!("{}/hooks/guess", listener.url),
            Some(good.clone()),
            body.clone(),
            404,
        ),
        (hook.clone(), Some(good.clone()), vec![b' '; 2048], 413),
        (hook.clone(), Some(good.clone()), b"not json".to_vec(), 400),
        (hook.clone(), Some(good.clone()), b"[1, 2]".to_vec(), 400),
    ];
    for (url, auth, body, want) in refused {
        assert_eq!(send(url.clone(), auth, body).await, want, "{url}");
    }
    assert_eq!(
        send(hook.clone(), Some(good.clone()), body.clone()).await,
        200
    );
    // The same delivery again, and the same occurrence under a new id: acknowledged, kept once.
    assert_eq!(
        send(hook.clone(), Some(good.clone()), body.clone()).await,
        200
    );
    let mut renamed = event.clone();
    renamed["id"] = json!("9d9d9d9d");
    let renamed = serde_json::to_vec(&renamed).unwrap();
    assert_eq!(send(hook.clone(), Some(good.clone()), renamed).await, 200);
    settled(&listener, &http, 1.0).await;
    assert_eq!(
        listener.metric(&http, "halo_webhook_received_total").await,
        1.0
    );
    assert_eq!(
        listener
            .metric(&http, "halo_webhook_duplicates_total")
            .await,
        2.0
    );
    for (reason, n) in [
        ("unauthorized", 3.0),
        ("not_found", 1.0),
        ("too_large", 1.0),
        ("not_json", 2.0),
    ] {
        let name = format!("halo_webhook_rejected_total{{reason=\"{reason}\"}}");
        assert_eq!(listener.metric(&http, &name).await, n, "{reason}");
    }
    let journaled = events(dir.path(), &journal, &[]);
    assert_eq!(journaled.len(), 1, "{journaled:?}");
    assert_eq!(journaled[0]["id"], "0f6c2d1e");
    assert_eq!(journaled[0]["status"], "done");
    assert_eq!(journaled[0]["payload"], event);
    let file = out.join(format!(
        "{:012}.json",
        journaled[0]["seq"].as_i64().unwrap()
    ));
    let written: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    assert_eq!(written, event);
    #[cfg(unix)]
    {
        let (status, lines) = listener.terminate();
        let last = lines.last().cloned().unwrap_or_default();
        assert!(status.success(), "{status:?}");
        assert!(
            last.starts_with("stopped: 3 deliveries acknowledged (1 new events, 2 duplicates), 7 refused; 1 handled"),
            "{last}"
        );
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exec_failing_three_times_is_dead_and_replay_runs_it_once_fixed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.sqlite");
    let script = dir.path().join("on-event");
    // Fails until a file named `fixed` is beside it; then appends the event to `handled`.
    std::fs::write(
        &script,
        "#!/bin/sh\nhere=$(dirname \"$0\")\nif [ ! -f \"$here/fixed\" ]; then echo 'no database' >&2; exit 1; fi\ncat >> \"$here/handled\"\necho >> \"$here/handled\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let listener = Listener::start(
        dir.path(),
        &[
            "--journal",
            journal.to_str().unwrap(),
            "--exec",
            script.to_str().unwrap(),
            "--max-attempts",
            "3",
            "--retry-delay",
            "1ms",
        ],
        &[],
    );
    let body = r#"{"id":"ev-1","event":"ticket updated","object_id":77}"#;
    let http = reqwest::Client::new();
    let status = http
        .post(format!("{}/", listener.url))
        .body(body)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    listener.wait_for_line("attempt 1 failed: exit 1: no database; retrying");
    listener.wait_for_line("attempt 2 failed");
    let dead = listener.wait_for_line("dead after 3 attempts");
    assert!(
        dead.starts_with("event 1 (object 77): dead after 3 attempts: exit 1: no database"),
        "{dead}"
    );
    let (status, _) = listener.terminate();
    assert!(status.success());

    let dead = events(dir.path(), &journal, &["--status", "dead"]);
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0]["attempts"], 3);
    assert_eq!(dead[0]["last_error"], "exit 1: no database");
    assert!(!dir.path().join("handled").exists());

    std::fs::write(dir.path().join("fixed"), "").unwrap();
    let replay = halo(dir.path())
        .args(["webhook", "replay", "--dead", "--journal"])
        .arg(&journal)
        .arg("--exec")
        .arg(&script)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&replay.stderr);
    assert!(replay.status.success(), "{said}");
    assert!(
        said.contains("replayed 1 event: 1 handled, 0 dead"),
        "{said}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("handled")).unwrap(),
        format!("{body}\n")
    );
    assert!(events(dir.path(), &journal, &["--status", "dead"]).is_empty());
    let done = events(dir.path(), &journal, &["--status", "done"]);
    assert_eq!((done.len(), &done[0]["attempts"]), (1, &json!(1)));
    // Nothing dead is left to replay.
    let again = halo(dir.path())
        .args(["webhook", "replay", "--dead", "--journal"])
        .arg(&journal)
        .arg("--exec")
        .arg(&script)
        .output()
        .unwrap();
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("no events to replay"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("handled"))
            .unwrap()
            .lines()
            .count(),
        1
    );
}

/// The ids in the event files of `dir` (each file whole JSON; temporary files skipped).
fn handled_ids(dir: &Path) -> Vec<String> {
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let v: Value = serde_json::from_slice(&std::fs::read(entry.path()).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_delivery_survives_a_sigkill_and_is_handled() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    const SENDERS: usize = 32;
    const DELIVERIES: usize = 2000;
    const KILL_AT: usize = 1000;
    let dir = tempfile::tempdir().unwrap();
    let journal: PathBuf = dir.path().join("journal.sqlite");
    let out = dir.path().join("events");
    let args = [
        "--journal",
        journal.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let listener = Arc::new(Mutex::new(Listener::start(dir.path(), &args, &[])));
    let hook = format!("{}/", listener.lock().unwrap().url);
    let acked = Arc::new(Mutex::new(Vec::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let http = reqwest::Client::new();
    let senders = (0..SENDERS).map(|s| {
        let (http, hook, acked, count, listener) = (
            http.clone(),
            hook.clone(),
            acked.clone(),
            count.clone(),
            listener.clone(),
        );
        tokio::spawn(async move {
            for n in (s..DELIVERIES).step_by(SENDERS) {
                let body =
                    json!({"id": format!("d{n}"), "event": "ticket updated", "object_id": n % 50});
                let answer = http.post(&hook).json(&body).send().await;
                if answer.is_ok_and(|r| r.status().is_success()) {
                    acked.lock().unwrap().push(format!("d{n}"));
                    if count.fetch_add(1, Ordering::SeqCst) + 1 == KILL_AT {
                        // SIGKILL: no chance to flush or to finish anything.
                        listener.lock().unwrap().child.kill().unwrap();
                    }
                }
            }
        })
    });
    for sender in futures::future::join_all(senders).await {
        sender.unwrap();
    }
    let acked: HashSet<String> = acked.lock().unwrap().iter().cloned().collect();
    assert!(
        acked.len() >= KILL_AT && acked.len() < DELIVERIES,
        "{}",
        acked.len()
    );
    drop(listener);

    let journaled = events(dir.path(), &journal, &[]);
    let ids: HashSet<String> = journaled
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        acked.is_subset(&ids),
        "acknowledged but not journaled: {:?}",
        acked.difference(&ids).take(5).collect::<Vec<_>>()
    );
    assert_eq!(ids.len(), journaled.len());

    // A restart hands every unfinished event over again.
    let pending = journaled
        .iter()
        .filter(|e| e["status"] == "pending")
        .count();
    let again = Listener::start(dir.path(), &args, &[]);
    assert!(
        again.intro[3].contains(&format!("({pending} unfinished event")),
        "{:?}",
        again.intro
    );
    let http = reqwest::Client::new();
    settled(&again, &http, pending as f64).await;
    let after = events(dir.path(), &journal, &[]);
    assert!(after.iter().all(|e| e["status"] == "done"));
    let files = handled_ids(&out);
    let handled: HashSet<String> = files.iter().cloned().collect();
    assert_eq!(files.len(), handled.len(), "an event written to two files");
    assert_eq!(handled, ids);
    assert!(acked.is_subset(&handled));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_come_in_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/webhook-tls");
    let (cert, key) = (fixtures.join("cert.pem"), fixtures.join("key.pem"));
    let journal = dir.path().join("journal.sqlite");
    let listener = Listener::start(
        dir.path(),
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
            "--journal",
            journal.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        listener.url.starts_with("https://127.0.0.1:"),
        "{}",
        listener.url
    );
    let root = reqwest::Certificate::from_pem(&std::fs::read(&cert).unwrap()).unwrap();
    let http = reqwest::Client::builder()
        .tls_certs_only([root])
        .build()
        .unwrap();
    let answer = http
        .post(format!("{}/", listener.url))
        .body(r#"{"id":"tls-1","object_id":5}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    // A client that does not trust the certificate gets no connection.
    let untrusting = reqwest::Client::builder()
        .tls_certs_only([])
        .build()
        .unwrap();
    assert!(
        untrusting
            .post(format!("{}/", listener.url))
            .body("{}")
            .send()
            .await
            .is_err()
    );
    drop(listener);
    let journaled = events(dir.path(), &journal, &[]);
    assert_eq!(journaled.len(), 1);
    assert_eq!(journaled[0]["id"], "tls-1");
    assert_eq!(journaled[0]["status"], "pending");
}

#[tokio::test]
async fn usage_mistakes_are_told_before_anything_listens() {
    let dir = tempfile::tempdir().unwrap();
    let run = |line: &'static [&'static str]| {
        let dir = dir.path().to_path_buf();
        async move {
            let (ctx, printed) = halo_cli::Context::test();
            let mut ctx = ctx
                .env_var("HALO_CONFIG_DIR", dir.join("config").to_string_lossy())
                .env_var("HALO_DATA_DIR", dir.join("data").to_string_lossy());
            let code = halo_cli::run(
                &mut ctx,
                std::iter::once("halo").chain(line.iter().copied()),
            )
            .await;
            (code, printed.err())
        }
    };
    let (code, err) = run(&[
        "webhook",
        "listen",
        "--bind",
        "127.0.0.1:0",
        "--basic-user",
        "u",
    ])
    .await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--basic-user needs a password"), "{err}");
    let (code, err) = run(&[
        "webhook",
        "listen",
        "--bind",
        "127.0.0.1:0",
        "--path",
        "hooks",
    ])
    .await;
    assert_eq!(code, 2, "{err}");
    let (code, err) = run(&[
        "webhook",
        "listen",
        "--bind",
        "127.0.0.1:0",
        "--path",
        "/metrics",
    ])
    .await;
    assert_eq!(code, 2, "{err}");
    let (code, err) = run(&["webhook", "events"]).await;
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("no journal at") && err.contains("webhook-journal.sqlite"),
        "{err}"
    );
    let (code, err) = run(&["webhook", "replay", "--exec", "true"]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("say which events"), "{err}");
    let (code, err) = run(&["webhook", "replay", "--dead"]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--exec CMD or --out DIR"), "{err}");
    let (code, _) = run(&["webhook", "replay", "3", "--dead", "--exec", "true"]).await;
    assert_eq!(code, 2);
    let (code, err) = run(&[
        "webhook",
        "listen",
        "--bind",
        "127.0.0.1:0",
        "--tls-cert",
        "/nonexistent/c.pem",
        "--tls-key",
        "/nonexistent/k.pem",
    ])
    .await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot read /nonexistent/c.pem"), "{err}");
}
