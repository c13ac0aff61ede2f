//! `halo webhook register|list|remove|backfill` against the sandbox, with a running
//! `halo webhook listen` as the receiver the sandbox posts to.
#![cfg(unix)]

mod common;

use common::World;
use common::listener::Listener;
use halo_sandbox::{Fire, SandboxConfig, WebhookRetry};
use serde_json::Value;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

const PASSWORD: &str = "hook-pass-6f1e";

/// A sandbox whose webhooks give up quickly: two attempts 10 ms apart.
fn world() -> World {
    let w = World::with(SandboxConfig {
        webhook_retry: WebhookRetry {
            attempts: 2,
            backoff: Duration::from_millis(10),
            timeout: Duration::from_secs(10),
        },
        ..SandboxConfig::default()
    });
    w.connect().assert().success();
    w
}

/// `halo webhook listen ARGS` against `w`'s profile, its Basic password from the environment.
fn listen(w: &World, args: &[&str]) -> Listener {
    let mut cmd = w.process();
    cmd.env("HALO_WEBHOOK_PASSWORD", PASSWORD);
    Listener::spawn(cmd, args)
}

/// Runs `halo ARGS` (with `stdin`), expecting success; its standard output.
fn ok(w: &World, args: &[&str], stdin: &str) -> String {
    ran(w, args, stdin).0
}

/// Runs `halo ARGS` (with `stdin`), expecting success and the password nowhere in what it
/// printed; its standard output and error.
fn ran(w: &World, args: &[&str], stdin: &str) -> (String, String) {
    let out = w.halo().args(args).write_stdin(stdin).output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "halo {args:?}: {stderr}");
    assert!(
        !stdout.contains(PASSWORD) && !stderr.contains(PASSWORD),
        "the password was printed: {stdout}{stderr}"
    );
    (stdout, stderr)
}

fn json(w: &World, args: &[&str]) -> Value {
    json_in(w, args, "")
}

/// [`ok`] with `-o json`, read as JSON.
fn json_in(w: &World, args: &[&str], stdin: &str) -> Value {
    let mut all = args.to_vec();
    all.extend(["-o", "json"]);
    serde_json::from_str(&ok(w, &all, stdin)).unwrap()
}

/// The journal's events, oldest first.
fn journaled(w: &World, journal: &Path) -> Vec<Value> {
    let j = journal.to_str().unwrap();
    json(w, &["webhook", "events", "--journal", j])
        .as_array()
        .unwrap()
        .clone()
}

/// Fires `count` events of `event` in the sandbox, waits until every delivery is done and
/// recorded; the deliveries queued.
fn fire(w: &World, count: u64, event: &str) -> u64 {
    let fired =
        w.rt.block_on(w.sandbox.fire_webhooks_with(Fire {
            count,
            event: Some(event.into()),
            ..Fire::default()
        }))
        .unwrap();
    w.rt.block_on(w.sandbox.flush_webhooks());
    fired.deliveries
}

/// The events the `--out` handler has written to `dir`.
fn handled(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
                .count()
        })
        .unwrap_or(0)
}

/// Waits until `dir` holds `n` handled events (the handler runs on its own; no time is
/// asserted); how many it holds then.
fn wait_for_files(dir: &Path, n: usize) -> usize {
    for _ in 0..3000 {
        let count = handled(dir);
        if count >= n {
            return count;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{} never held {n} files", dir.display());
}

#[test]
fn register_creates_the_webhook_and_its_events_reach_the_receiver() {
    let w = world();
    let journal: PathBuf = w.dir.path().join("journal.sqlite");
    let j = journal.to_str().unwrap();
    let receiver = listen(
        &w,
        &[
            "--journal",
            j,
            "--path",
            "/hooks/s3cret",
            "--basic-user",
            "halo",
        ],
    );
    let url = format!("{}/hooks/s3cret", receiver.url);
    let before = json(&w, &["webhook", "list"]).as_array().unwrap().len();

    let created = ok(
        &w,
        &[
            "webhook",
            "register",
            "--url",
            &url,
            "--events",
            "New Ticket Logged, Ticket Updated",
            "--basic-user",
            "halo",
            "--basic-password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(created.starts_with("created webhook "), "{created}");
    assert!(created.contains("basic as halo"), "{created}");

    // The same URL again: the webhook is updated (renamed, fewer events), not doubled; the
    // request bodies logged (-vvv) hide the password.
    let (updated, log) = ran(
        &w,
        &[
            "webhook",
            "register",
            "--url",
            &url,
            "--events",
            "Ticket Updated",
            "--name",
            "desk",
            "--basic-user",
            "halo",
            "--basic-password-stdin",
            "-vvv",
            "-o",
            "json",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(log.contains("basic_password"), "no body logged: {log}");
    let updated: Value = serde_json::from_str(&updated).unwrap();
    assert_eq!(updated["created"], false, "{updated}");
    let hooks = json(&w, &["webhook", "list"]);
    let hooks = hooks.as_array().unwrap();
    assert_eq!(hooks.len(), before + 1, "{hooks:?}");
    let hook = hooks.iter().find(|h| h["id"] == updated["id"]).unwrap();
    assert_eq!(hook["id"], updated["id"]);
    assert_eq!(hook["name"], "desk");
    assert_eq!(hook["url"], url.as_str());
    assert_eq!(hook["events"], "Ticket Updated");
    assert_eq!(hook["auth"], "basic as halo");
    assert_eq!(hook["payload"], "full");

    // The receiver demands Basic auth: the events are journaled only if the sandbox posts
    // with the password registered.
    assert_eq!(fire(&w, 5, "Ticket Updated"), 5);
    assert_eq!(
        fire(&w, 2, "New Ticket Logged"),
        0,
        "the update took that event away"
    );
    let events = journaled(&w, &journal);
    assert_eq!(events.len(), 5, "{events:?}");
    for e in &events {
        assert_eq!(e["webhook_id"], hook["id"], "{e}");
        assert_eq!(e["event"], "Ticket Updated", "{e}");
        assert!(e["payload"]["ticket"]["id"].is_number(), "{e}");
    }

    let removed = ok(&w, &["webhook", "remove", "--url", &url], "");
    assert!(removed.contains(hook["id"].as_str().unwrap()), "{removed}");
    let left = json(&w, &["webhook", "list"]);
    assert_eq!(left.as_array().unwrap().len(), before, "{left}");
    assert!(!left.to_string().contains(&url), "{left}");
    w.halo()
        .args(["webhook", "remove", "--url", &url])
        .assert()
        .code(4);
    w.halo()
        .args(["webhook", "remove", "0f6c2d1e-5b7a-4c1e-9d2a-3e4f5a6b7c8d"])
        .assert()
        .code(4);
    assert_eq!(fire(&w, 3, "Ticket Updated"), 0, "no webhook is left");
    assert!(receiver.terminate().0.success());
}

#[test]
fn backfill_recovers_what_was_sent_while_the_receiver_was_down() {
    let w = world();
    let journal: PathBuf = w.dir.path().join("journal.sqlite");
    let j = journal.to_str().unwrap();
    let out = w.dir.path().join("handled");
    let h = out.to_str().unwrap();
    let receiver = listen(&w, &["--journal", j, "--out", h]);
    let url = receiver.url.clone();
    let registered = json(
        &w,
        &[
            "webhook",
            "register",
            "--url",
            &receiver.url,
            "--events",
            "Ticket Updated",
        ],
    );
    assert_eq!(registered["created"], true, "{registered}");
    assert_eq!(fire(&w, 3, "Ticket Updated"), 3);
    wait_for_files(&out, 3);
    assert!(receiver.terminate().0.success());
    let id = registered["id"].as_str().unwrap();

    // Sent while the receiver is down: each of the 4 deliveries fails twice.
    assert_eq!(fire(&w, 4, "Ticket Updated"), 4);
    assert_eq!(journaled(&w, &journal).len(), 3);

    let backfill = ["webhook", "backfill", "--journal", j, "--url", &url];
    let first = json(&w, &backfill);
    assert_eq!(first["records"], 3 + 4 * 2, "{first}");
    assert_eq!(first["failed_attempts"], 4 * 2, "{first}");
    assert_eq!(first["events"], 7, "{first}");
    assert_eq!(first["unreadable"], 0, "{first}");
    assert_eq!(first["added"], 4, "{first}");
    assert_eq!(first["already_journaled"], 3, "{first}");
    let events = journaled(&w, &journal);
    assert_eq!(events.len(), 7);
    let ids: HashSet<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 7, "each delivery once: {events:?}");
    let pending = events.iter().filter(|e| e["status"] == "pending").count();
    assert_eq!(pending, 4);

    let again = json(
        &w,
        &["webhook", "backfill", "--journal", j, "--webhook", id],
    );
    assert_eq!(again["added"], 0, "{again}");
    assert_eq!(again["already_journaled"], 7, "{again}");
    assert_eq!(journaled(&w, &journal).len(), 7);

    // The next receiver on the journal hands the 4 to its handler.
    let restarted = listen(&w, &["--journal", j, "--out", h]);
    assert!(
        restarted.intro[3].contains("(4 unfinished events handed over again)"),
        "{:?}",
        restarted.intro
    );
    assert_eq!(wait_for_files(&out, 7), 7);
    assert!(restarted.terminate().0.success());
    let events = journaled(&w, &journal);
    assert!(events.iter().all(|e| e["status"] == "done"), "{events:?}");
}
