//! The local mirror: `halo sync` makes it equal to the sandbox (every document, field for
//! field), an incremental sync after churn fetches little, a killed sync continues with no gap
//! and no duplicate, and `halo search` / `halo query` read it without any API request.

mod common;

use common::desk::{Desk, Ran};
use common::{assert_table_equal, sandbox_documents};
use halo_mirror::{Key, Mirror, Target};
use halo_sandbox::{Churn, Sandbox, SandboxConfig};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Tickets in the sandbox of the sync tests (every one with its seeded actions). The
/// 100,000-ticket run is the bench's (`halo-bench mirror`): a debug build would take minutes.
const TICKETS: u64 = 5_000;

/// The tables compared with the sandbox after each sync.
const COMPARED: &[&str] = &[
    "tickets",
    "actions",
    "clients",
    "sites",
    "users",
    "assets",
    "agents",
    "statuses",
    "ticket_types",
    "teams",
];

/// A connected sandbox keeping its store in `dir/sandbox` (so the test can read it).
async fn desk(dir: &Path, tickets: u64) -> Desk {
    Desk::connected_with(SandboxConfig {
        seed_tickets: tickets,
        data_dir: Some(dir.join("sandbox")),
        ..SandboxConfig::default()
    })
    .await
}

/// Asserts the mirror holds exactly the sandbox's documents in every compared table.
async fn assert_equal(dir: &Path, target: &Target) {
    let mirror = Mirror::open_existing(target).await.unwrap();
    for name in COMPARED {
        let rows = assert_table_equal(dir, &mirror, name).await;
        assert!(rows > 0, "{name}: the sandbox has none");
    }
}

/// Requests to the API (token requests left out) since the journal was cleared.
fn api_requests(sandbox: &Sandbox) -> Vec<String> {
    sandbox
        .journal()
        .iter()
        .filter(|e| e.path.starts_with("/api/"))
        .map(|e| {
            format!(
                "{} {}?{}",
                e.method,
                e.path,
                e.query.as_deref().unwrap_or("")
            )
        })
        .collect()
}

/// The summary rows of `halo sync -o json`, by resource.
fn summary(ran: Ran) -> BTreeMap<String, Value> {
    let rows = ran.json();
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| (r["resource"].as_str().unwrap().to_string(), r.clone()))
        .collect()
}

/// Full sync, then churn and an incremental sync, into `db`.
async fn full_then_incremental(db: &str, first: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(dir.path(), TICKETS).await;
    let target = Target::parse(db).unwrap();
    let mut line = vec!["sync", "--db", db, "-o", "json"];
    line.extend_from_slice(first);
    let full = summary(desk.halo(&line).await);
    assert_eq!(full["tickets"]["new"], TICKETS, "{full:?}");
    assert_eq!(
        full["tickets"]["requests"],
        TICKETS.div_ceil(100),
        "{full:?}"
    );
    assert_equal(dir.path(), &target).await;

    let report = desk
        .sandbox
        .churn(Churn::new(7).change(500).delete(20).create(30).actions(50))
        .await
        .unwrap();
    desk.sandbox.clear_journal();
    let inc = summary(desk.halo(&["sync", "--db", db, "-o", "json"]).await);
    let requests = api_requests(&desk.sandbox);
    assert!(
        requests.len() <= 20,
        "{} requests: {requests:#?}",
        requests.len()
    );
    assert_eq!(inc["total"]["requests"], requests.len() as u64);
    assert_eq!(inc["tickets"]["new"], 30, "{inc:?}");
    assert_eq!(inc["tickets"]["deleted"], 20, "{inc:?}");
    assert_equal(dir.path(), &target).await;
    let mirror = Mirror::open_existing(&target).await.unwrap();
    let tickets = mirror
        .keys(halo_mirror::table("tickets").unwrap())
        .await
        .unwrap();
    for id in &report.deleted {
        assert!(
            !tickets.contains(&Key::One(*id)),
            "deleted ticket {id} kept"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sync_equals_the_sandbox_and_an_incremental_one_after_churn_takes_few_requests() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mirror.sqlite");
    full_then_incremental(&db.to_string_lossy(), &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_against_postgresql_when_a_server_is_given() {
    let Ok(url) = std::env::var("HALO_TEST_POSTGRES_URL") else {
        eprintln!("HALO_TEST_POSTGRES_URL is not set: the PostgreSQL mirror test is skipped");
        return;
    };
    // --full: the database may hold an earlier run's mirror.
    full_then_incremental(&url, &["--full"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_and_query_read_the_mirror_without_any_api_request() {
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(dir.path(), 200).await;
    let db = dir.path().join("m.sqlite");
    let db = db.to_string_lossy();
    let missing = desk.halo(&["search", "printer", "--db", &db]).await;
    assert_eq!(missing.code, 4, "{}", missing.printed.err());
    assert!(
        missing.printed.err().contains("run `halo sync` first"),
        "{}",
        missing.printed.err()
    );
    let update = r#"[{"id": 12, "details": "The quokka scanner jams on every page"}]"#;
    desk.halo_with(&["api", "-X", "POST", "Tickets", "--input", "-"], update)
        .await
        .ok();
    desk.halo(&[
        "tickets",
        "note",
        "31",
        "Replaced the axolotl toner cartridge",
    ])
    .await
    .ok();
    desk.halo(&["sync", "--db", &db]).await.ok();
    desk.sandbox.clear_journal();

    let found = desk
        .halo(&["search", "quokka", "--db", &db, "-o", "json"])
        .await
        .json();
    assert_eq!(found[0]["ticket_id"], 12, "{found}");
    assert!(
        found[0]["snippet"].as_str().unwrap().contains("quokka"),
        "{found}"
    );
    let by_note = desk
        .halo(&["search", "axolotl", "--db", &db, "-o", "json"])
        .await
        .json();
    assert_eq!(by_note[0]["ticket_id"], 31, "{by_note}");
    for hostile in [
        "\"unbalanced",
        "a*",
        "-x",
        "col:on",
        "NEAR(",
        "'; DROP TABLE tickets; --",
    ] {
        let ran = desk
            .halo(&["search", hostile, "--db", &db, "-o", "json"])
            .await;
        assert_eq!(ran.code, 0, "{hostile}: {}", ran.printed.err());
    }
    let csv = desk
        .halo(&["search", "quokka", "--db", &db, "-o", "csv"])
        .await
        .ok();
    assert!(
        csv.printed
            .out()
            .starts_with("ticket_id,summary,snippet,rank\n12,")
    );

    let count = async || {
        desk.halo(&[
            "query",
            "SELECT COUNT(*) AS n FROM tickets",
            "--db",
            &db,
            "-o",
            "json",
        ])
        .await
        .json()
    };
    let counted = count().await;
    assert_eq!(counted[0]["n"], 200);
    for write in [
        "DELETE FROM tickets",
        "DROP TABLE tickets",
        "INSERT INTO tickets (id) VALUES (9999)",
    ] {
        let ran = desk.halo(&["query", write, "--db", &db]).await;
        assert_eq!(ran.code, 2, "{write}: {}", ran.printed.err());
    }
    let after = count().await;
    assert_eq!(after[0]["n"], 200);
    let schema = desk
        .halo(&["query", "--schema", "--db", &db, "-o", "json"])
        .await
        .json();
    let tables: Vec<&str> = schema
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["table"].as_str())
        .collect();
    for t in ["tickets", "actions", "sync_runs", "sync_state"] {
        assert!(tables.contains(&t), "{t} not in {tables:?}");
    }
    assert!(
        api_requests(&desk.sandbox).is_empty(),
        "{:?}",
        api_requests(&desk.sandbox)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sync_while_one_runs_is_refused_and_the_default_mirror_is_per_profile() {
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(dir.path(), 50).await;
    let data = dir.path().join("data");
    let (ctx_dir, data_s) = (
        desk.dir.path().to_path_buf(),
        data.to_string_lossy().to_string(),
    );
    let run = |line: Vec<String>| {
        let (ctx, printed) = halo_cli::Context::test();
        let mut ctx = ctx
            .env_var("HALO_CONFIG_DIR", ctx_dir.to_string_lossy())
            .env_var("HALO_DATA_DIR", data_s.clone());
        async move {
            let code =
                halo_cli::run(&mut ctx, std::iter::once("halo".to_string()).chain(line)).await;
            Ran { code, printed }
        }
    };
    run(vec!["sync".into(), "--resources".into(), "statuses".into()])
        .await
        .ok();
    let default = data.join("mirror-default.sqlite");
    assert!(default.exists(), "no mirror at {}", default.display());
    let target = Target::Sqlite(default);
    let mirror = Mirror::open_existing(&target).await.unwrap();
    let held = mirror.lock(None).await.unwrap();
    let busy = run(vec!["sync".into()]).await;
    assert_eq!(busy.code, 1, "{}", busy.printed.err());
    assert!(
        busy.printed.err().contains("another sync is running"),
        "{}",
        busy.printed.err()
    );
    drop(held);
    let unknown = run(vec![
        "sync".into(),
        "--resources".into(),
        "tickets,gadgets".into(),
    ])
    .await;
    assert_eq!(unknown.code, 2, "{}", unknown.printed.err());
}

/// SIGKILL a `halo sync` child at five points (after N API requests, found in the sandbox's
/// journal), then run it to the end: the mirror equals the sandbox, no key twice.
#[cfg(unix)]
#[test]
fn a_sync_killed_at_five_points_ends_equal_to_the_sandbox() {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let config = SandboxConfig {
        seed_tickets: 3_000,
        data_dir: Some(dir.path().join("sandbox")),
        faults: halo_sandbox::Faults {
            latency: Duration::from_millis(30),
            ..Default::default()
        },
        ..SandboxConfig::default()
    };
    let w = common::World::with(config);
    w.connect().assert().success();
    let db = dir.path().join("m.sqlite");
    let sync = |w: &common::World| {
        let mut cmd = w.process();
        cmd.args(["sync", "--concurrency", "1", "-o", "json", "--db"])
            .arg(&db)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        cmd
    };
    // Tickets are 30 pages; then actions, clients, sites... each a request or a few.
    for after in [3, 9, 17, 26, 33] {
        w.sandbox.clear_journal();
        let mut child = sync(&w).spawn().unwrap();
        let start = Instant::now();
        while api_requests(&w.sandbox).len() < after {
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "the sync made no progress"
            );
            if let Some(status) = child.try_wait().unwrap() {
                panic!("the sync ended ({status}) before {after} requests");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let status = sync(&w).status().unwrap();
    assert!(status.success());
    let target = Target::Sqlite(db.clone());
    w.rt.block_on(assert_equal(dir.path(), &target));
    // Every row once: the row counts are the sandbox's (the documents compared above are
    // keyed, so a key stored twice would show only here).
    let mirror = w.rt.block_on(Mirror::open_existing(&target)).unwrap();
    for name in ["tickets", "actions"] {
        let table = halo_mirror::table(name).unwrap();
        let counted =
            w.rt.block_on(mirror.query(&format!("SELECT COUNT(*) AS n FROM {name}")))
                .unwrap();
        let want = sandbox_documents(dir.path(), table).len();
        assert_eq!(counted.rows[0]["n"], want as u64, "{name}");
    }
    // The killed runs are recorded as interrupted by the next one; the last ended ok.
    let runs =
        w.rt.block_on(mirror.query("SELECT outcome FROM sync_runs ORDER BY id"))
            .unwrap();
    let outcomes: Vec<&str> = runs
        .rows
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["interrupted"; 5]
            .into_iter()
            .chain(["ok"])
            .collect::<Vec<_>>()
    );
}
