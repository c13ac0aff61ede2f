//! Bulk writes from files, through the binary against the in-process sandbox: rows Halo
//! refuses, injected faults, a job killed part-way and resumed; the sandbox's journal says
//! which objects each request saved.

mod common;

use common::World;
use halo_sandbox::Faults;
use halo_sandbox::SandboxConfig;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

/// A CSV of `count` ticket updates (each a summary the seed never has); the tickets in
/// `refused` get a client that does not exist, which Halo refuses.
fn updates_csv(path: &Path, count: u64, refused: &BTreeSet<u64>) {
    let mut text = String::from("id,summary,client_id,status\n");
    for id in 1..=count {
        let client = if refused.contains(&id) { "9999" } else { "" };
        text.push_str(&format!(
            "{id},\"Bulk change {id}, checked\",{client},In Progress\n"
        ));
    }
    std::fs::write(path, text).unwrap();
}

/// How many times each ticket was saved by a successful ticket POST.
fn saves(world: &World) -> BTreeMap<String, usize> {
    let mut saved = BTreeMap::new();
    for e in world.sandbox.journal() {
        if e.method == "POST" && e.path.eq_ignore_ascii_case("/api/Tickets") && e.status == 200 {
            for id in e.written {
                *saved.entry(id).or_insert(0) += 1;
            }
        }
    }
    saved
}

/// POSTs to the API (token requests are POSTs too, elsewhere).
fn api_posts(world: &World) -> usize {
    world
        .sandbox
        .journal()
        .iter()
        .filter(|e| e.method == "POST" && e.path.to_ascii_lowercase().starts_with("/api/"))
        .count()
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_thousand_updates_with_refused_rows_and_faults() {
    let world = World::with(SandboxConfig {
        seed_tickets: 1000,
        faults: Faults {
            fail_rate: 0.05,
            seed: 7,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    });
    world.connect().assert().success();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("changes.csv");
    let refused: BTreeSet<u64> = (1..=10).map(|i| i * 97).collect();
    updates_csv(&csv, 1000, &refused);

    // A dry run checks everything and sends no write.
    world
        .halo()
        .args(["tickets", "update", "--from"])
        .arg(&csv)
        .arg("--dry-run")
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "plan: 1000 updates of tickets in 20 requests",
        ));
    assert_eq!(api_posts(&world), 0);
    assert!(!dir.path().join("changes.results.ndjson").exists());

    let out = world
        .halo()
        .args(["tickets", "update", "--from"])
        .arg(&csv)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("10 of 1000 rows did not succeed"),
        "{stderr}"
    );

    let results = lines(&dir.path().join("changes.results.ndjson"));
    assert_eq!(results.len(), 1000);
    let rejects = lines(&dir.path().join("changes.rejects.csv"));
    assert_eq!(rejects[0], "id,summary,client_id,status");
    let rejected: BTreeSet<u64> = rejects[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(rejected, refused, "{rejects:?}");
    assert!(
        rejects[1].contains("\"Bulk change 97, checked\""),
        "{}",
        rejects[1]
    );

    let saved = saves(&world);
    assert!(
        saved.values().all(|n| *n == 1),
        "a ticket saved twice: {saved:?}"
    );
    let expected: BTreeSet<String> = (1..=1000u64)
        .filter(|i| !refused.contains(i))
        .map(|i| i.to_string())
        .collect();
    assert_eq!(saved.keys().cloned().collect::<BTreeSet<_>>(), expected);
    let stats = world.sandbox.stats();
    assert!(stats.faults > 0, "no fault was injected: {stats:?}");
}

#[test]
fn a_job_killed_part_way_is_resumed_without_sending_a_row_twice() {
    let world = World::with(SandboxConfig {
        seed_tickets: 1000,
        faults: Faults {
            latency: Duration::from_millis(15),
            ..Faults::default()
        },
        ..SandboxConfig::default()
    });
    world.connect().assert().success();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("changes.csv");
    updates_csv(&csv, 1000, &BTreeSet::new());
    let results = dir.path().join("changes.results.ndjson");

    let mut child = world
        .process()
        .args([
            "tickets",
            "update",
            "--batch",
            "10",
            "--concurrency",
            "2",
            "--from",
        ])
        .arg(&csv)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while lines(&results).len() < 200 {
        assert!(Instant::now() < deadline, "the job made no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let first: BTreeSet<String> = lines(&results)
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| halopsa::id::id_text(&v["id"]))
        .collect();
    assert!(first.len() >= 200 && first.len() < 1000, "{}", first.len());
    let before = world.sandbox.journal().len();

    world
        .halo()
        .args(["tickets", "update", "--resume", "--from"])
        .arg(&csv)
        .assert()
        .success();
    assert_eq!(lines(&results).len(), 1000);
    let resent: Vec<String> = world.sandbox.journal()[before..]
        .iter()
        .filter(|e| e.method == "POST")
        .flat_map(|e| e.written.clone())
        .filter(|id| first.contains(id))
        .collect();
    assert!(
        resent.is_empty(),
        "rows done before the kill sent again: {resent:?}"
    );
    let saved = saves(&world);
    assert_eq!(saved.len(), 1000);
    assert!(
        saved.values().all(|n| *n == 1),
        "a ticket saved twice: {saved:?}"
    );
    assert!(!dir.path().join("changes.results.ndjson.sending").exists());
}

#[test]
fn a_bad_file_is_refused_before_anything_is_sent() {
    let world = World::connected();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("bad.csv");
    std::fs::write(&csv, "id,statsu_id\n1,2\n").unwrap();
    world
        .halo()
        .args(["tickets", "update", "--from"])
        .arg(&csv)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown field 'statsu_id'"));
    let json = dir.path().join("bad.json");
    std::fs::write(&json, "[{\"id\": 1}, 3]").unwrap();
    world
        .halo()
        .args(["tickets", "update", "--from"])
        .arg(&json)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("element 2 is not a JSON object"));
    assert_eq!(api_posts(&world), 0);
    // An earlier run's files are never overwritten.
    let good = dir.path().join("good.csv");
    std::fs::write(&good, "id,summary\n1,x\n").unwrap();
    std::fs::write(dir.path().join("good.results.ndjson"), "keep me\n").unwrap();
    world
        .halo()
        .args(["tickets", "update", "--from"])
        .arg(&good)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--resume"));
    assert_eq!(lines(&dir.path().join("good.results.ndjson")), ["keep me"]);
}

#[test]
fn custom_fields_by_label_keep_the_others_and_wrong_values_fail_their_rows() {
    let world = World::connected();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("regions.csv");
    std::fs::write(
        &csv,
        "id,cf.Region,cf.hours budget\n9,East,\n10,Up,\n11,West,12.5\n",
    )
    .unwrap();
    let ticket = |id: &str| -> serde_json::Value {
        let out = world
            .halo()
            .args(["tickets", "get", id, "-o", "json"])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let before = ticket("9")["customfields"].as_array().unwrap().len();
    assert_eq!(before, 3);
    world
        .halo()
        .args(["tickets", "update", "--from"])
        .arg(&csv)
        .assert()
        .code(1);
    let value = |t: &serde_json::Value, name: &str| {
        t["customfields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["display"].as_str().unwrap_or_default().to_string())
    };
    let nine = ticket("9");
    assert_eq!(nine["customfields"].as_array().unwrap().len(), 3, "{nine}");
    assert_eq!(value(&nine, "CFRegion").as_deref(), Some("East"));
    assert!(value(&nine, "CFContractRef").is_some(), "{nine}");
    let eleven = ticket("11");
    assert_eq!(value(&eleven, "CFHoursBudget").as_deref(), Some("12.5"));
    let rejects = lines(&dir.path().join("regions.rejects.csv"));
    assert_eq!(rejects, ["id,cf.Region,cf.hours budget", "10,Up,"]);
    let results = std::fs::read_to_string(dir.path().join("regions.results.ndjson")).unwrap();
    assert!(
        results.contains("it takes North, South, East or West"),
        "{results}"
    );
    assert!(results.contains(r#""line":3,"id":10"#), "{results}");
}
