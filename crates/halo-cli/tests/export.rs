//! `halo export`: every row exactly once, no half-written file, resumable, and robust to
//! faults, short-lived tokens and the rate limit.

mod common;

use common::*;
use halo_sandbox::{Faults, RateLimit, SandboxConfig};
use predicates::prelude::*;
use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

fn world(config: SandboxConfig) -> World {
    let w = World::with(config);
    w.connect().assert().success();
    w
}

/// `halo export tickets --out OUT` with `more` arguments.
fn export(w: &World, out: &Path, more: &[&str]) -> assert_cmd::Command {
    let mut cmd = w.halo();
    cmd.args(["export", "tickets", "--out"]).arg(out).args(more);
    cmd
}

/// A connected sandbox holding `n` tickets.
fn seeded_world(n: u64) -> World {
    world(SandboxConfig {
        seed_tickets: n,
        ..SandboxConfig::default()
    })
}

/// The ids in a CSV file (the `id` column), checking each appears once.
fn csv_ids(path: &Path) -> HashSet<i64> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let column = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "id")
        .expect("an id column");
    let mut ids = HashSet::new();
    for record in reader.records() {
        let id: i64 = record.unwrap()[column].parse().unwrap();
        assert!(ids.insert(id), "id {id} twice");
    }
    ids
}

fn seeded(n: i64) -> HashSet<i64> {
    (1..=n).collect()
}

#[test]
fn an_export_writes_every_row_once_through_a_partial_file() {
    let w = seeded_world(1234);
    let dir = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    let mode = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = dir.path().join("tickets.ndjson");
    export(&w, &out, &[])
        .assert()
        .success()
        .stderr(predicate::str::contains("exported 1234 tickets"))
        .stderr(predicate::str::contains("13 pages"));
    assert_eq!(ids(&out), seeded(1234));
    #[cfg(unix)]
    assert_eq!(
        mode(dir.path()),
        0o755,
        "the user's directory is left as it was"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "no partial or state file left: {names:?}");
    // An existing file is not overwritten without --force.
    std::fs::write(&out, "mine").unwrap();
    export(&w, &out, &[]).assert().code(2);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "mine");
    export(&w, &out, &["--force", "--open-only", "--format", "csv"])
        .assert()
        .success();
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .starts_with("id,agent_id,")
    );
}

#[test]
fn an_interrupted_export_resumes_with_every_row_exactly_once() {
    interrupted_and_resumed("ndjson");
}

#[test]
fn an_interrupted_csv_export_resumes_too() {
    interrupted_and_resumed("csv");
}

/// Kills an export of 3,000 tickets after a few checkpoints, then resumes it.
fn interrupted_and_resumed(format: &str) {
    let w = slow_world();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.out");
    let state = dir.path().join("t.out.partial.json");
    let mut child = spawn_slow_export(&w, &out, &["--format", format]);
    // Wait for a few pages to be checkpointed, then kill it hard.
    wait_for_checkpoint(&state, 6);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!out.exists(), "no output file from an interrupted run");
    // Rows written after the last checkpoint may be cut mid-line: the resume truncates them.
    let partial = dir.path().join("t.out.partial");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&partial)
        .unwrap();
    std::io::Write::write_all(&mut file, b"{\"id\": 99999, \"cut\": tr").unwrap();
    export(&w, &out, &["--format", format])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--resume"));
    export(
        &w,
        &out,
        &["--resume", "--page-size", "50", "--format", format],
    )
    .assert()
    .success()
    .stderr(predicate::str::contains("resuming at page"))
    .stderr(predicate::str::contains(
        "(3000 in all, with the interrupted run's)",
    ));
    let got = if format == "csv" {
        csv_ids(&out)
    } else {
        ids(&out)
    };
    assert_eq!(got, seeded(3000));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "only the output is left"
    );
}

#[test]
fn an_interrupted_export_with_where_resumes_with_exactly_its_rows() {
    let w = slow_world();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("north.ndjson");
    let state = dir.path().join("north.ndjson.partial.json");
    let north = ["--where", "cf.Region=North"];
    let mut child = spawn_slow_export(&w, &out, &north);
    let checkpoint = wait_for_checkpoint(&state, 6);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        checkpoint["conditions"],
        serde_json::json!(["cf.Region=North"])
    );
    assert!(
        checkpoint["kept"].as_u64() < checkpoint["rows"].as_u64(),
        "rows written and rows walked are both kept: {checkpoint}"
    );
    // A resume with other conditions is refused; with the same it finishes the job.
    export(
        &w,
        &out,
        &[
            "--resume",
            "--page-size",
            "50",
            "--where",
            "cf.Region=South",
        ],
    )
    .assert()
    .code(2)
    .stderr(predicate::str::contains("--where"));
    export(
        &w,
        &out,
        &["--resume", "--page-size", "50", north[0], north[1]],
    )
    .assert()
    .success()
    .stderr(predicate::str::contains("resuming at page"))
    .stderr(predicate::str::contains(
        "(750 in all, with the interrupted run's)",
    ));
    // The seed gives ticket N the region of N % 4: North for every fourth.
    let want: HashSet<i64> = (1..=3000).filter(|n| n % 4 == 0).collect();
    assert_eq!(ids(&out), want);
}

/// A connected sandbox of 3,000 tickets answering each request after 40 ms: an export of
/// it in pages of 50 takes about 2.4 s, time to act while it runs.
fn slow_world() -> World {
    world(SandboxConfig {
        seed_tickets: 3000,
        faults: Faults {
            latency: Duration::from_millis(40),
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
}

/// `halo export tickets --out OUT` a page of 50 at a time, as a process of its own.
fn spawn_slow_export(w: &World, out: &Path, more: &[&str]) -> std::process::Child {
    w.process()
        .args(["export", "tickets", "--out"])
        .arg(out)
        .args(["--concurrency", "1", "--page-size", "50"])
        .args(more)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until the checkpoint in `state` is at page `page` or further; returns it.
fn wait_for_checkpoint(state: &Path, page: u64) -> serde_json::Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let checkpoint = std::fs::read(state)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
        if let Some(cp) = checkpoint.filter(|cp| cp["next_page"].as_u64() >= Some(page)) {
            return cp;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the export made no progress"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(unix)]
#[test]
fn ctrl_c_keeps_every_page_written_says_so_and_exits_130() {
    let w = slow_world();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.ndjson");
    let state = dir.path().join("t.ndjson.partial.json");
    let child = spawn_slow_export(&w, &out, &[]);
    let before = wait_for_checkpoint(&state, 2);
    // SIGINT, as Ctrl-C sends it (the test's one use of a system command).
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let exited = child.wait_with_output().unwrap();
    assert_eq!(exited.status.code(), Some(130));
    // The checkpoint written on the way out counts every row in the file, whole pages only.
    let after: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    let partial = std::fs::read_to_string(dir.path().join("t.ndjson.partial")).unwrap();
    assert!(after["rows"].as_u64() >= before["rows"].as_u64());
    assert_eq!(after["rows"].as_u64(), Some(partial.lines().count() as u64));
    assert_eq!(after["bytes"].as_u64(), Some(partial.len() as u64));
    assert_eq!(after["rows"].as_u64().unwrap() % 50, 0);
    export(&w, &out, &["--resume", "--page-size", "50"])
        .assert()
        .success();
    assert_eq!(ids(&out), seeded(3000));
}

#[test]
fn faults_short_tokens_and_the_rate_limit_still_give_every_row() {
    let config = SandboxConfig {
        seed_tickets: 2500,
        token_ttl: Duration::from_secs(3),
        rate_limit: Some(RateLimit {
            requests: 40,
            window: Duration::from_secs(2),
        }),
        faults: Faults {
            fail_rate: 0.1,
            reset_rate: 0.05,
            seed: 11,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    };
    let w = World::with(config);
    // Connecting meets the faults too: retry until the profile is stored.
    let mut connected = false;
    for _ in 0..10 {
        if w.connect()
            .args(["--rate-limit", "40/2s"])
            .output()
            .unwrap()
            .status
            .success()
        {
            connected = true;
            break;
        }
    }
    assert!(connected);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.ndjson");
    export(&w, &out, &["--page-size", "50", "--max-retries", "8"])
        .assert()
        .success();
    assert_eq!(ids(&out), seeded(2500));
    assert!(w.sandbox.stats().faults > 0, "faults were met");
}

#[test]
fn an_export_that_fails_part_way_keeps_its_rows_and_names_the_command_that_continues() {
    let config = SandboxConfig {
        seed_tickets: 2000,
        rate_limit: Some(RateLimit {
            requests: 30,
            window: Duration::from_secs(5),
        }),
        ..SandboxConfig::default()
    };
    let w = world(config);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.ndjson");
    let failed = export(
        &w,
        &out,
        &[
            "--page-size",
            "50",
            "--concurrency",
            "1",
            "--no-rate-limit",
            "--max-retries",
            "0",
        ],
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&failed.stderr).into_owned();
    assert_eq!(failed.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("429"), "{stderr}");
    // The rows so far and the checkpoint are kept.
    let partial = dir.path().join("t.ndjson.partial");
    let kept = ids(&partial).len();
    assert!(kept > 0 && kept < 2000, "failed part-way: {kept} rows");
    assert!(dir.path().join("t.ndjson.partial.json").exists());
    assert!(!out.exists());
    // The error ends with the command that continues it; that command, as printed (with
    // the default pacing), finishes the job.
    let command = stderr
        .trim_end()
        .strip_suffix("` continues the export")
        .and_then(|s| s.rsplit_once('`'))
        .map(|(_, c)| c.to_string())
        .unwrap_or_else(|| panic!("no resume command in: {stderr}"));
    assert!(command.starts_with("halo export tickets") && command.ends_with("--resume"));
    let words: Vec<&str> = command.split(' ').skip(1).collect();
    w.halo()
        .args(&words)
        .timeout(Duration::from_secs(120))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "(2000 in all, with the interrupted run's)",
        ));
    assert_eq!(ids(&out), seeded(2000));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "only the output is left"
    );
}

#[test]
fn a_resume_refuses_a_file_shorter_than_its_checkpoint() {
    let w = seeded_world(10);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.ndjson");
    let state = serde_json::json!({
        "resource": "Tickets", "query": [], "format": "ndjson", "page_size": 100,
        "next_page": 3, "bytes": 1000, "rows": 200
    });
    std::fs::write(dir.path().join("t.ndjson.partial.json"), state.to_string()).unwrap();
    std::fs::write(dir.path().join("t.ndjson.partial"), "{\"id\":1}\n").unwrap();
    export(&w, &out, &["--resume"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("holds less than its checkpoint"));
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("t.ndjson.partial")).unwrap(),
        "{\"id\":1}\n",
        "nothing the user had is touched"
    );
}

#[test]
fn csv_and_json_files_have_every_row_and_every_column() {
    let w = seeded_world(150);
    // The last ticket carries a property no other has: a CSV header taken from the first
    // row would lose it.
    w.halo()
        .args([
            "tickets",
            "create",
            "--set",
            "summary=Late column",
            "--set",
            "client_id=1",
        ])
        .args(["--set", "site_id=1", "--set", "x_late_note=only here"])
        .arg("--allow-unknown-field")
        .assert()
        .success();
    let dir = tempfile::tempdir().unwrap();
    let csv_out = dir.path().join("t.csv");
    export(&w, &csv_out, &["--format", "csv"])
        .assert()
        .success()
        .stderr(predicate::str::contains("warning").not());
    assert_eq!(csv_ids(&csv_out).len(), 151);
    let mut reader = csv::Reader::from_path(&csv_out).unwrap();
    let column = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "x_late_note");
    let column = column.expect("the late column is in the header");
    let notes: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[column].to_string())
        .filter(|v| !v.is_empty())
        .collect();
    assert_eq!(notes, ["only here"]);
    let json_out = dir.path().join("t.json");
    export(&w, &json_out, &["--format", "json"])
        .assert()
        .success();
    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&json_out).unwrap()).unwrap();
    assert_eq!(rows.len(), 151);
    assert_eq!(rows[150]["x_late_note"], "only here");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        2,
        "no partial files left"
    );
    // To standard output the header is fixed by the first row: the lost column is named.
    w.halo()
        .args(["export", "tickets", "--format", "csv"])
        .assert()
        .success()
        .stderr(predicate::str::contains("x_late_note"));
}

#[test]
fn rows_that_moved_during_the_walk_are_reported_and_reconciled() {
    let w = slow_world();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.ndjson");
    let child = spawn_slow_export(&w, &out, &["--reconcile"]);
    // Once the first pages are written, delete five of their tickets: every later row moves
    // five places up, so five rows slip past the walk.
    wait_for_checkpoint(&dir.path().join("t.ndjson.partial.json"), 3);
    for id in 1..=5 {
        w.halo()
            .args([
                "tickets",
                "delete",
                &id.to_string(),
                "--reason",
                "moved",
                "--yes",
            ])
            .assert()
            .success();
    }
    let done = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "{stderr}");
    assert!(
        stderr.contains("drift: tickets changed from 3000 to 2995"),
        "{stderr}"
    );
    assert!(stderr.contains("reconcile: 5 rows added"), "{stderr}");
    assert_eq!(
        ids(&out),
        seeded(3000),
        "the deleted ones were written before they went"
    );
}
