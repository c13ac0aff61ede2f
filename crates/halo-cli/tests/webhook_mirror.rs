//! `halo webhook listen --mirror`: the sandbox posts its ticket events to the receiver (a
//! `Webhook` created through `POST /api/Webhook`), the receiver fetches each changed ticket
//! (and its actions) and stores it in the mirror of `halo sync`: after 1,000 changes the
//! mirror equals the sandbox without a second sync run, and coalescing saved fetches.

mod common;

use common::listener::{Listener, halo};
use common::{CLIENT_ID, SECRET, assert_table_equal};
use halo_mirror::{Key, Mirror, Target};
use halo_sandbox::{Churn, Sandbox, SandboxConfig};
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

/// Tickets seeded (churn needs distinct live tickets for its edits, deletes and actions).
const TICKETS: u64 = 600;

/// Runs `halo` to its end with `stdin`; its standard output and error, after asserting
/// success.
fn run(dir: &Path, args: &[&str], stdin: &str) -> (String, String) {
    let mut child = halo(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "halo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Waits until every journaled event is handled (polling: the handler runs on its own;
/// no time is asserted). Returns how many events were journaled.
async fn drained(listener: &Listener, http: &reqwest::Client) -> f64 {
    for _ in 0..30_000 {
        let received = listener.metric(http, "halo_webhook_received_total").await;
        let done = listener
            .metric(http, "halo_webhook_handler_successes_total")
            .await;
        let dead = listener
            .metric(http, "halo_webhook_dead_letters_total")
            .await;
        assert_eq!(dead, 0.0, "dead letters: {:?}", listener.lines_so_far());
        if listener.metric(http, "halo_webhook_pending_events").await == 0.0 && done >= received {
            return received;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("events still pending");
}

/// Raw API writes to the sandbox with an all-scope token (what another Halo client does).
struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn new(sandbox: &Sandbox) -> Api {
        let http = reqwest::Client::new();
        let body: Value = http
            .post(format!("{}/auth/token?tenant=sandbox", sandbox.url()))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT_ID),
                ("client_secret", SECRET),
                ("scope", "all"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Api {
            http,
            base: format!("{}/api", sandbox.url()),
            token: body["access_token"].as_str().unwrap().to_string(),
        }
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(format!("{}/{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "POST {path}: {}", resp.status());
        resp.json().await.unwrap()
    }

    async fn delete(&self, path: &str) {
        let resp = self
            .http
            .delete(format!("{}/{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert!(
            resp.status().is_success(),
            "DELETE {path}: {}",
            resp.status()
        );
    }
}

/// The number after `word` in `line` (`... 12 word ...`).
fn count_before(line: &str, word: &str) -> u64 {
    let at = line
        .find(word)
        .unwrap_or_else(|| panic!("{word:?} not in {line}"));
    line[..at]
        .split_whitespace()
        .last()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count before {word:?} in {line}"))
}

#[test]
fn mirror_mistakes_are_told_before_anything_listens() {
    let dir = tempfile::tempdir().unwrap();
    let fails = |args: &[&str]| {
        let out = halo(dir.path()).args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), err)
    };
    let missing = dir.path().join("none.sqlite");
    let missing = missing.to_str().unwrap();
    let (code, err) = fails(&[
        "webhook",
        "listen",
        "--bind",
        "127.0.0.1:0",
        "--mirror",
        missing,
    ]);
    assert_eq!(code, Some(4), "{err}");
    assert!(
        err.contains("no mirror at") && err.contains("run `halo sync` first"),
        "{err}"
    );
    assert!(!Path::new(missing).exists(), "a mirror was created");
    let (code, err) = fails(&[
        "webhook",
        "listen",
        "--bind",
        "127.0.0.1:0",
        "--mirror",
        "--exec",
        "true",
    ]);
    assert_eq!(code, Some(2), "{err}");
    let (code, err) = fails(&["webhook", "replay", "--dead", "--mirror", "--out", "x"]);
    assert_eq!(code, Some(2), "{err}");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_1000_changes_the_mirror_equals_the_sandbox_without_a_sync_run() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(SandboxConfig {
        seed_tickets: TICKETS,
        data_dir: Some(dir.path().join("sandbox")),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let url = sandbox.url();
    let connect = [
        "connect",
        "--url",
        &url,
        "--client-id",
        CLIENT_ID,
        "--client-secret-stdin",
    ];
    run(dir.path(), &connect, &format!("{SECRET}\n"));
    let db = dir.path().join("mirror.sqlite");
    let db_text = db.to_string_lossy().into_owned();
    let sync = [
        "sync",
        "--db",
        &db_text,
        "--resources",
        "tickets,actions",
        "-o",
        "json",
    ];
    let first: Value = serde_json::from_str(&run(dir.path(), &sync, "").0).unwrap();
    assert_eq!(first[0]["resource"], "tickets", "{first}");
    assert_eq!(first[0]["new"], TICKETS, "{first}");

    let journal = dir.path().join("journal.sqlite");
    let listener = Listener::start(
        dir.path(),
        &[
            "--path",
            "/hooks/s3cret",
            "--basic-user",
            "halo",
            "--journal",
            journal.to_str().unwrap(),
            "--mirror",
            &db_text,
        ],
        &[("HALO_WEBHOOK_PASSWORD", "pa55")],
    );
    assert!(
        listener.intro[4].contains("handler:   the mirror given"),
        "{:?}",
        listener.intro
    );
    let api = Api::new(&sandbox).await;
    // Event-only payloads (the handler must not rely on the payload's copy), batched (any
    // event, 100 a delivery, sent when full or flushed), Basic auth.
    api.post(
        "Webhook",
        json!([{
            "name": "mirror", "url": format!("{}/hooks/s3cret", listener.url), "method": "POST",
            "content_type": "application/json", "authentication_type": 1,
            "basic_username": "halo", "basic_password": "pa55", "payload_type": 2,
            "events": [], "active": true,
            "batch_method": 3, "batch_limit": 100, "batch_delay_seconds": 3600
        }]),
    )
    .await;
    sandbox.clear_journal();

    // The tickets as first synced: their statuses, to change them.
    let mirror = Mirror::open_existing(&Target::parse(&db_text).unwrap())
        .await
        .unwrap();
    let tickets = halo_mirror::table("tickets").unwrap();
    let synced = mirror.documents(tickets).await.unwrap();
    let ids: Vec<i64> = synced
        .keys()
        .map(|k| match k {
            Key::One(id) => *id,
            other => panic!("a ticket keyed {other:?}"),
        })
        .collect();
    let mut changes = 0;
    // 400: ten rapid updates to each of 40 tickets.
    for id in &ids[..40] {
        for n in 0..10 {
            api.post(
                "Tickets",
                json!([{"id": id, "summary": format!("burst {id} #{n}")}]),
            )
            .await;
            changes += 1;
        }
    }
    // 100 status changes.
    for id in &ids[40..140] {
        let was = synced[&Key::One(*id)]["status_id"].as_i64().unwrap();
        let status = if was == 2 { 3 } else { 2 };
        api.post("Tickets", json!([{"id": id, "status_id": status}]))
            .await;
        changes += 1;
    }
    // 50 actions added, two on each of 25 tickets, one after the other.
    for id in &ids[140..165] {
        for n in 0..2 {
            api.post(
                "Actions",
                json!([{"ticket_id": id, "outcome": "Note", "note": format!("note {n}")}]),
            )
            .await;
            changes += 1;
        }
    }
    // 10 deletes.
    for id in &ids[165..175] {
        api.delete(&format!("Tickets/{id}")).await;
        changes += 1;
    }
    // 440 in one churn: edits, deletes, new tickets and actions.
    let churn = Churn::new(11).change(350).delete(10).create(30).actions(50);
    let report = sandbox.churn(churn).await.unwrap();
    changes += 440;
    assert_eq!(changes, 1000);
    assert_eq!(report.deleted.len(), 10);

    sandbox.flush_webhooks().await;
    let http = reqwest::Client::new();
    let events = drained(&listener, &http).await;
    assert!(events >= 1000.0, "{events} events journaled");

    let live = assert_table_equal(dir.path(), &mirror, "tickets").await;
    let actions = assert_table_equal(dir.path(), &mirror, "actions").await;
    assert_eq!(live as u64, TICKETS - 20 + 30);
    let runs: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT count(*) FROM sync_runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(runs, 1, "only the first sync ran");

    // What the handler fetched is what the sandbox served, and fewer than one fetch per need.
    let gets: Vec<String> = sandbox
        .journal()
        .iter()
        .filter(|e| e.method == "GET" && e.path.starts_with("/api/"))
        .map(|e| e.path.clone())
        .collect();
    let (status, lines) = listener.terminate();
    assert!(status.success(), "{status}");
    let line = lines
        .iter()
        .find(|l| l.starts_with("mirror: "))
        .unwrap_or_else(|| panic!("{lines:#?}"));
    let handled = count_before(line, "events:");
    let ticket_fetches = count_before(line, "ticket fetches");
    let action_fetches = count_before(line, "action lists fetched");
    let saved = count_before(line, "fetches saved by coalescing");
    let ticket_gets = gets
        .iter()
        .filter(|p| p.starts_with("/api/Tickets/"))
        .count() as u64;
    let action_gets = gets.iter().filter(|p| *p == "/api/Actions").count() as u64;
    assert_eq!(handled as f64, events);
    assert_eq!(
        (ticket_gets, action_gets),
        (ticket_fetches, action_fetches),
        "{gets:?}"
    );
    assert_eq!(gets.len() as u64, ticket_gets + action_gets, "{gets:?}");
    // Ten updates of a ticket in a row fetch it at most twice (a batch boundary between).
    assert!(saved >= 40 * 8, "{line}");
    eprintln!(
        "listen: {events} events, {live} tickets and {actions} actions equal; {} fetches made, {saved} saved by coalescing ({line})",
        ticket_fetches + action_fetches
    );

    // `replay --mirror` of every event: all were journaled before any of its fetches began,
    // so each ticket is fetched once (its actions once more when it had an action event),
    // and the mirror is still the sandbox.
    let journal_text = journal.to_string_lossy().into_owned();
    let (listed, _) = run(
        dir.path(),
        &[
            "webhook",
            "events",
            "--journal",
            &journal_text,
            "-o",
            "json",
        ],
        "",
    );
    let listed: Vec<Value> = serde_json::from_str(&listed).unwrap();
    let objects = |keep: &dyn Fn(&str) -> bool| {
        listed
            .iter()
            .filter(|e| keep(e["event"].as_str().unwrap()))
            .map(|e| e["object_id"].as_str().unwrap().to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .len() as u64
    };
    let want_tickets = objects(&|e| e != "Ticket Deleted");
    let want_actions = objects(&|e| e == "Action Added");
    let mirror_flag = format!("--mirror={db_text}");
    let (_, said) = run(
        dir.path(),
        &[
            "webhook",
            "replay",
            "--since",
            "1d",
            "--journal",
            &journal_text,
            &mirror_flag,
        ],
        "",
    );
    let line = said
        .lines()
        .find(|l| l.starts_with("mirror: "))
        .unwrap_or_else(|| panic!("{said}"));
    assert_eq!(count_before(line, "events:"), listed.len() as u64, "{line}");
    assert_eq!(count_before(line, "ticket fetches"), want_tickets, "{line}");
    assert_eq!(
        count_before(line, "action lists fetched"),
        want_actions,
        "{line}"
    );
    assert_eq!(
        assert_table_equal(dir.path(), &mirror, "tickets").await,
        live
    );
    assert_eq!(
        assert_table_equal(dir.path(), &mirror, "actions").await,
        actions
    );
    eprintln!("replay: {line}");
}
