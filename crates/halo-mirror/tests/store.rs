//! The store's behaviour, the same test bodies against SQLite and PostgreSQL. The PostgreSQL
//! half runs when `HALO_TEST_POSTGRES_URL` names a server (CI always sets it): each test makes
//! a database of its own there and drops it after.

use halo_mirror::{Cursor, Key, Mirror, MirrorError, RunLine, RunSummary, Target, table};
use serde_json::{Value, json};
use std::time::Duration;

/// A mirror location for one test, removed when dropped.
struct Place {
    target: Target,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl Drop for Place {
    fn drop(&mut self) {
        if let Some((base, db)) = self.pg.take() {
            // Dropped on a thread of its own: the test's runtime may be gone already.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime");
                rt.block_on(admin(
                    &base,
                    &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
                ));
            })
            .join();
        }
    }
}

async fn admin(base: &str, sql: &str) {
    let (client, conn) = tokio_postgres::connect(base, tokio_postgres::NoTls)
        .await
        .expect("HALO_TEST_POSTGRES_URL accepts connections");
    tokio::spawn(conn);
    client.batch_execute(sql).await.expect(sql);
}

fn sqlite_place() -> Place {
    let dir = tempfile::tempdir().expect("a temp dir");
    Place {
        target: Target::Sqlite(dir.path().join("mirror.db")),
        _dir: Some(dir),
        pg: None,
    }
}

/// A fresh database on the test server, or `None` (with a notice) when there is none.
async fn postgres_place(test: &str) -> Option<Place> {
    let Ok(base) = std::env::var("HALO_TEST_POSTGRES_URL") else {
        eprintln!("skipped {test} on PostgreSQL: HALO_TEST_POSTGRES_URL is not set");
        return None;
    };
    let db = format!("halo_mirror_{test}_{}", std::process::id());
    admin(&base, &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await;
    admin(&base, &format!("CREATE DATABASE {db}")).await;
    let mut url = url::Url::parse(&base).expect("HALO_TEST_POSTGRES_URL is a URL");
    url.set_path(&format!("/{db}"));
    Some(Place {
        target: Target::parse(url.as_str()).expect("a postgres URL"),
        _dir: None,
        pg: Some((base, db)),
    })
}

/// Runs a statement on the mirror's database behind the store's back (to age or damage it).
async fn raw(target: &Target, sql: &str) {
    match target {
        Target::Sqlite(path) => {
            let conn = rusqlite::Connection::open(path).expect("open");
            conn.execute_batch(sql).expect(sql);
        }
        Target::Postgres(url) => admin(url.expose(), sql).await,
        _ => unreachable!("a target this test does not know"),
    }
}

/// One `#[tokio::test]` per backend running the same body.
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let place = super::sqlite_place();
                super::$name(&place.target).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(place) = super::postgres_place(stringify!($name)).await {
                    super::$name(&place.target).await;
                }
            }
        }
    };
}

fn ticket(id: i64, summary: &str, details: &str) -> Value {
    json!({"id": id, "summary": summary, "details": details, "status_id": 1, "client_id": 12,
           "last_update": "2026-03-01T09:30:12.1234567Z", "customfields": [{"id": 5, "value": null}]})
}

fn cursor(since: &str) -> Cursor {
    Cursor {
        changed_since: Some(since.into()),
        extra: json!({"page": 3}),
        ..Cursor::default()
    }
}

both!(opens_creates_and_reopens);
async fn opens_creates_and_reopens(target: &Target) {
    let mirror = Mirror::open(target).await.unwrap();
    let schema = mirror.schema().await.unwrap();
    let names: Vec<&str> = schema.iter().map(|t| t.name.as_str()).collect();
    for want in [
        "tickets",
        "actions",
        "ticket_types",
        "sync_runs",
        "sync_state",
        "meta",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    let tickets = schema.iter().find(|t| t.name == "tickets").unwrap();
    let cols: Vec<&str> = tickets.columns.iter().map(|(c, _)| c.as_str()).collect();
    for want in [
        "id",
        "summary",
        "status_id",
        "last_update",
        "doc",
        "synced_at",
    ] {
        assert!(cols.contains(&want), "{want} missing from {cols:?}");
    }
    let doc_type = &tickets.columns.iter().find(|(c, _)| c == "doc").unwrap().1;
    let last_update = &tickets
        .columns
        .iter()
        .find(|(c, _)| c == "last_update")
        .unwrap()
        .1;
    match target {
        Target::Sqlite(_) => {
            assert_eq!((doc_type.as_str(), last_update.as_str()), ("TEXT", "TEXT"))
        }
        _ => assert_eq!(
            (doc_type.as_str(), last_update.as_str()),
            ("jsonb", "timestamp with time zone")
        ),
    }
    drop(mirror);
    let again = Mirror::open_existing(target).await.unwrap();
    assert!(
        again
            .keys(table("tickets").unwrap())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn open_existing_never_creates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("none.db");
    let err = Mirror::open_existing(&Target::Sqlite(path.clone()))
        .await
        .unwrap_err();
    assert!(matches!(err, MirrorError::Missing(_)), "{err}");
    assert!(err.to_string().contains("halo sync"), "{err}");
    assert!(!path.exists());
    std::fs::write(&path, b"").unwrap();
    let err = Mirror::open_existing(&Target::Sqlite(path))
        .await
        .unwrap_err();
    assert!(matches!(err, MirrorError::Missing(_)), "{err}");
}

#[tokio::test]
async fn open_existing_on_postgres_without_a_mirror_is_missing() {
    let Some(place) = postgres_place("missing").await else {
        return;
    };
    let err = Mirror::open_existing(&place.target).await.unwrap_err();
    assert!(matches!(err, MirrorError::Missing(_)), "{err}");
}

both!(an_older_schema_is_upgraded);
async fn an_older_schema_is_upgraded(target: &Target) {
    let tickets = table("tickets").unwrap();
    let actions = table("actions").unwrap();
    let mirror = Mirror::open(target).await.unwrap();
    mirror
        .save(
            tickets,
            vec![ticket(1, "Kept", "across the upgrade")],
            &cursor("a"),
        )
        .await
        .unwrap();
    let latest = mirror
        .query("SELECT value FROM meta WHERE key = 'schema_version'")
        .await
        .unwrap();
    drop(mirror);
    // Version 1 had the bookkeeping tables only.
    raw(
        target,
        "UPDATE meta SET value = '1' WHERE key = 'schema_version'; DROP TABLE actions;",
    )
    .await;
    let mirror = Mirror::open(target).await.unwrap();
    let now = mirror
        .query("SELECT value FROM meta WHERE key = 'schema_version'")
        .await
        .unwrap();
    assert_eq!(now, latest);
    let saved = mirror
        .save(
            actions,
            vec![json!({"ticket_id": 1, "id": 1, "note": "Replaced the fuser"})],
            &cursor("b"),
        )
        .await
        .unwrap();
    assert_eq!(saved.new, 1);
    assert_eq!(mirror.keys(tickets).await.unwrap().len(), 1);
    assert_eq!(mirror.cursor(tickets).await.unwrap(), cursor("a"));
    let hits = mirror.search("fuser", 5).await.unwrap();
    assert_eq!(hits.iter().map(|h| h.ticket_id).collect::<Vec<_>>(), [1]);
}

both!(a_newer_schema_is_refused);
async fn a_newer_schema_is_refused(target: &Target) {
    drop(Mirror::open(target).await.unwrap());
    raw(
        target,
        "UPDATE meta SET value = '999' WHERE key = 'schema_version'",
    )
    .await;
    for result in [
        Mirror::open(target).await,
        Mirror::open_existing(target).await,
    ] {
        let err = result.unwrap_err();
        assert!(
            matches!(err, MirrorError::NewerSchema { found: 999, supported } if supported < 999),
            "{err}"
        );
        assert!(err.to_string().contains("upgrade halo"), "{err}");
    }
}

both!(save_counts_new_changed_and_unchanged);
async fn save_counts_new_changed_and_unchanged(target: &Target) {
    let tickets = table("tickets").unwrap();
    let mirror = Mirror::open(target).await.unwrap();
    let first = vec![
        ticket(1, "One", "a"),
        ticket(2, "Two", "b"),
        ticket(3, "Three", "c"),
    ];
    let saved = mirror.save(tickets, first, &cursor("t1")).await.unwrap();
    assert_eq!((saved.new, saved.changed, saved.unchanged), (3, 0, 0));
    let second = vec![
        ticket(1, "One", "a"),
        ticket(2, "Two, edited", "b"),
        ticket(4, "Four", "d"),
        json!({"id": "3", "summary": "Three", "details": "c", "status_id": 1, "client_id": 12,
               "last_update": "2026-03-01T09:30:12.1234567Z", "customfields": [{"id": 5, "value": null}]}),
        json!({"id": 0, "summary": "no key"}),
        json!({"summary": "no id"}),
    ];
    let saved = mirror.save(tickets, second, &cursor("t2")).await.unwrap();
    // Ticket "3" is ticket 3, but its document (an id as text) is not the one stored.
    assert_eq!((saved.new, saved.changed, saved.unchanged), (1, 2, 1));
    let keys = mirror.keys(tickets).await.unwrap();
    assert_eq!(
        keys.into_iter().collect::<Vec<_>>(),
        [1, 2, 3, 4].map(Key::One)
    );
    let docs = mirror.documents(tickets).await.unwrap();
    assert_eq!(docs[&Key::One(2)]["summary"], "Two, edited");
    assert_eq!(mirror.cursor(tickets).await.unwrap(), cursor("t2"));
    let typed = mirror
        .query(
            "SELECT id, status_id, client_id, summary FROM tickets WHERE status_id = 1 ORDER BY id",
        )
        .await
        .unwrap();
    assert_eq!(typed.columns, ["id", "status_id", "client_id", "summary"]);
    assert_eq!(typed.rows.len(), 4);
    assert_eq!(typed.rows[1]["summary"], "Two, edited");
    assert_eq!(typed.rows[3]["client_id"], 12);
}

both!(documents_are_stored_exactly);
async fn documents_are_stored_exactly(target: &Target) {
    let tickets = table("tickets").unwrap();
    let mirror = Mirror::open(target).await.unwrap();
    let odd = json!({"id": 7.0, "summary": "Ünïcode — «quotes» \"and\" 'more'", "details": null,
        "status_id": "4", "ratio": 1.5, "big": 9007199254740993i64, "nested": {"a": [1, "2", 3.25, true, null]},
        "empty": {}, "dateclosed": "1900-01-01T00:00:00", "customfields": []});
    mirror
        .save(tickets, vec![odd.clone()], &Cursor::default())
        .await
        .unwrap();
    let docs = mirror.documents(tickets).await.unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[&Key::One(7)], odd);
    let again = mirror
        .save(tickets, vec![odd], &Cursor::default())
        .await
        .unwrap();
    assert_eq!((again.new, again.changed, again.unchanged), (0, 0, 1));
    let typed = mirror
        .query("SELECT status_id, dateclosed FROM tickets")
        .await
        .unwrap();
    assert_eq!(typed.rows[0]["status_id"], 4);
    assert_eq!(typed.rows[0]["dateclosed"], Value::Null);
}

both!(a_failed_save_leaves_rows_and_cursor_as_they_were);
async fn a_failed_save_leaves_rows_and_cursor_as_they_were(target: &Target) {
    let tickets = table("tickets").unwrap();
    let mirror = Mirror::open(target).await.unwrap();
    mirror
        .save(tickets, vec![ticket(1, "Before", "x")], &cursor("c1"))
        .await
        .unwrap();
    let before = mirror.documents(tickets).await.unwrap();
    match target {
        Target::Sqlite(_) => {
            raw(
                target,
                "CREATE TRIGGER refuse BEFORE INSERT ON tickets WHEN new.summary = 'boom' \
                 BEGIN SELECT RAISE(ABORT, 'refused'); END;",
            )
            .await
        }
        _ => {
            raw(
                target,
                "ALTER TABLE tickets ADD CONSTRAINT refuse CHECK (summary IS DISTINCT FROM 'boom')",
            )
            .await
        }
    }
    let page = vec![
        ticket(1, "After", "x"),
        ticket(2, "New", "y"),
        ticket(3, "boom", "z"),
    ];
    let err = mirror.save(tickets, page, &cursor("c2")).await.unwrap_err();
    assert!(matches!(err, MirrorError::Sql(_)), "{err}");
    assert_eq!(mirror.documents(tickets).await.unwrap(), before);
    assert_eq!(mirror.cursor(tickets).await.unwrap(), cursor("c1"));
}

both!(remove_counts_what_existed_and_stores_the_cursor);
async fn remove_counts_what_existed_and_stores_the_cursor(target: &Target) {
    let tickets = table("tickets").unwrap();
    let mirror = Mirror::open(target).await.unwrap();
    let rows = (1..=5).map(|i| ticket(i, "Row", "printer")).collect();
    mirror.save(tickets, rows, &cursor("s")).await.unwrap();
    let gone = mirror
        .remove(
            tickets,
            vec![Key::One(2), Key::One(4), Key::One(99), Key::One(2)],
            &cursor("r"),
        )
        .await
        .unwrap();
    assert_eq!(gone, 2);
    let keys: Vec<Key> = mirror.keys(tickets).await.unwrap().into_iter().collect();
    assert_eq!(keys, [1, 3, 5].map(Key::One));
    assert_eq!(mirror.cursor(tickets).await.unwrap(), cursor("r"));
    let hits: Vec<i64> = mirror
        .search("printer", 10)
        .await
        .unwrap()
        .iter()
        .map(|h| h.ticket_id)
        .collect();
    assert_eq!(hits.len(), 3, "{hits:?}");
    assert!(!hits.contains(&2) && !hits.contains(&4), "{hits:?}");
    mirror.clear(tickets).await.unwrap();
    assert!(mirror.keys(tickets).await.unwrap().is_empty());
    assert_eq!(mirror.cursor(tickets).await.unwrap(), Cursor::default());
    assert!(mirror.search("printer", 10).await.unwrap().is_empty());
}

both!(compound_keys_keep_every_row);
async fn compound_keys_keep_every_row(target: &Target) {
    let actions = table("actions").unwrap();
    let timesheets = table("timesheets").unwrap();
    let priorities = table("priorities").unwrap();
    let mirror = Mirror::open(target).await.unwrap();
    // Action ids restart per ticket: keyed by id alone, these would be two rows, not four.
    let rows = vec![
        json!({"ticket_id": 1, "id": 1, "note": "a"}),
        json!({"ticket_id": 1, "id": 2, "note": "b"}),
        json!({"ticket_id": 2, "id": 1, "note": "c"}),
        json!({"ticket_id": "2", "id": 2.0, "note": "d"}),
    ];
    let saved = mirror
        .save(actions, rows, &Cursor::default())
        .await
        .unwrap();
    assert_eq!(saved.new, 4);
    let keys: Vec<Key> = mirror.keys(actions).await.unwrap().into_iter().collect();
    assert_eq!(
        keys,
        [
            Key::Two(1, 1),
            Key::Two(1, 2),
            Key::Two(2, 1),
            Key::Two(2, 2)
        ]
    );
    assert_eq!(
        mirror
            .remove(actions, vec![Key::Two(2, 1)], &Cursor::default())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        mirror.documents(actions).await.unwrap()[&Key::Two(1, 1)]["note"],
        "a"
    );
    let days = vec![
        json!({"id": 0, "agent_id": 2, "date": "2026-01-05T00:00:00Z", "actual_hours": 7.5}),
        json!({"id": 0, "agent_id": 2, "date": "2026-01-06T00:00:00Z", "actual_hours": 6}),
    ];
    assert_eq!(
        mirror
            .save(timesheets, days, &Cursor::default())
            .await
            .unwrap()
            .new,
        2
    );
    let day = Key::Text("2".into(), "2026-01-06T00:00:00Z".into());
    assert!(mirror.keys(timesheets).await.unwrap().contains(&day));
    assert_eq!(
        mirror
            .remove(timesheets, vec![day], &Cursor::default())
            .await
            .unwrap(),
        1
    );
    let guid = json!({"id": "9e1-0001", "priorityid": 1, "name": "Critical"});
    mirror
        .save(priorities, vec![guid.clone()], &Cursor::default())
        .await
        .unwrap();
    assert_eq!(
        mirror.documents(priorities).await.unwrap()[&Key::Text("9e1-0001".into(), String::new())],
        guid
    );
}

both!(one_sync_lock_at_a_time);
async fn one_sync_lock_at_a_time(target: &Target) {
    let mirror = Mirror::open(target).await.unwrap();
    let other = Mirror::open(target).await.unwrap();
    let held = mirror.lock(None).await.unwrap();
    let err = other.lock(None).await.unwrap_err();
    assert!(matches!(err, MirrorError::Busy(_)), "{err}");
    let err = other
        .lock(Some(Duration::from_millis(250)))
        .await
        .unwrap_err();
    assert!(matches!(err, MirrorError::Busy(_)), "{err}");
    assert!(!err.to_string().contains("s3cret"));
    drop(held);
    let waiting = tokio::spawn(async move { other.lock(Some(Duration::from_secs(20))).await });
    let again = waiting.await.unwrap().unwrap();
    let err = mirror.lock(None).await.unwrap_err();
    assert!(matches!(err, MirrorError::Busy(_)), "{err}");
    drop(again);
    drop(mirror.lock(None).await.unwrap());
}

both!(search_ranks_snippets_and_survives_hostile_text);
async fn search_ranks_snippets_and_survives_hostile_text(target: &Target) {
    let tickets = table("tickets").unwrap();
    let actions = table("actions").unwrap();
    let mirror = Mirror::open(target).await.unwrap();
    let rows = vec![
        ticket(
            1,
            "Printer jammed on floor 2",
            "The printer shows error 42 and the printer tray is stuck.",
        ),
        ticket(
            2,
            "VPN drops",
            "Since Monday the tunnel drops every hour; the printer is fine.",
        ),
        ticket(3, "New starter", "Laptop and badge for Ana."),
        ticket(4, "Email quota", "Mailbox full."),
    ];
    mirror
        .save(tickets, rows, &Cursor::default())
        .await
        .unwrap();
    let notes = vec![
        json!({"ticket_id": 3, "id": 1, "note": "Ordered a toner cartridge for the hallway printer."}),
        json!({"ticket_id": 3, "id": 2, "note": "Badge printed."}),
        json!({"ticket_id": 99, "id": 1, "note": "Quarantined mailbox: \"spam\" -filter"}),
    ];
    mirror
        .save(actions, notes, &Cursor::default())
        .await
        .unwrap();

    let hits = mirror.search("printer", 10).await.unwrap();
    let ids: Vec<i64> = hits.iter().map(|h| h.ticket_id).collect();
    assert_eq!(ids.len(), 3, "{hits:?}");
    assert_eq!(ids[0], 1, "summary and details both match: {hits:?}");
    assert!(ids.contains(&2) && ids.contains(&3), "{hits:?}");
    assert!(hits.windows(2).all(|w| w[0].rank >= w[1].rank), "{hits:?}");
    assert_eq!(hits[0].summary, "Printer jammed on floor 2");
    assert!(
        hits[0].snippet.to_lowercase().contains("«printer»"),
        "{}",
        hits[0].snippet
    );
    let by_action = hits.iter().find(|h| h.ticket_id == 3).unwrap();
    assert_eq!(by_action.summary, "New starter");
    assert!(
        by_action.snippet.contains("«printer»"),
        "{}",
        by_action.snippet
    );

    let both_words = mirror.search("printer tray", 10).await.unwrap();
    assert_eq!(
        both_words.iter().map(|h| h.ticket_id).collect::<Vec<_>>(),
        [1]
    );
    let orphan = mirror.search("quarantined", 10).await.unwrap();
    assert_eq!((orphan[0].ticket_id, orphan[0].summary.as_str()), (99, ""));
    assert_eq!(mirror.search("printer", 1).await.unwrap().len(), 1);

    for hostile in [
        "\"",
        "\"printer",
        "printer*",
        "-printer",
        "printer:",
        "tray: \"stuck",
        "NEAR(printer tray)",
        "printer AND OR NOT",
        "'; DROP TABLE tickets; --",
        "()",
        "*",
        "-",
        ":",
        "  ",
        "",
        "\u{0}",
        "printer^2 {x} [y]",
    ] {
        let got = mirror.search(hostile, 10).await;
        assert!(got.is_ok(), "{hostile:?}: {got:?}");
    }
    assert_eq!(mirror.search("printer*", 10).await.unwrap().len(), 3);
    assert_eq!(mirror.search("-spam-", 10).await.unwrap()[0].ticket_id, 99);
    assert!(mirror.search(" *:- \" ", 10).await.unwrap().is_empty());
    assert!(mirror.search("zebra", 10).await.unwrap().is_empty());
    assert_eq!(mirror.keys(tickets).await.unwrap().len(), 4);
}

both!(query_is_read_only);
async fn query_is_read_only(target: &Target) {
    let tickets = table("tickets").unwrap();
    let mirror = Mirror::open(target).await.unwrap();
    mirror
        .save(
            tickets,
            vec![ticket(1, "One", "a"), ticket(2, "Two", "b")],
            &Cursor::default(),
        )
        .await
        .unwrap();
    for write in [
        "INSERT INTO tickets (id, doc, synced_at) VALUES (9, '{}', '2026-01-01T00:00:00Z')",
        "DELETE FROM tickets",
        "UPDATE tickets SET summary = 'x'",
        "DROP TABLE tickets",
        "CREATE TABLE evil (x integer)",
    ] {
        let err = mirror.query(write).await.unwrap_err();
        assert!(matches!(err, MirrorError::ReadOnly(_)), "{write}: {err}");
        assert!(err.to_string().contains("read-only"), "{err}");
    }
    let err = mirror
        .query("SELECT 1; DROP TABLE tickets")
        .await
        .unwrap_err();
    assert!(
        matches!(err, MirrorError::Sql(_) | MirrorError::ReadOnly(_)),
        "{err}"
    );
    let err = mirror.query("SELEC nonsense").await.unwrap_err();
    assert!(matches!(err, MirrorError::Sql(_)), "{err}");
    assert_eq!(mirror.keys(tickets).await.unwrap().len(), 2);

    let sql = "SELECT summary, id, 2.5 AS ratio, NULL AS absent, doc->>'details' AS details \
               FROM tickets ORDER BY id DESC";
    let table = mirror.query(sql).await.unwrap();
    assert_eq!(
        table.columns,
        ["summary", "id", "ratio", "absent", "details"]
    );
    assert_eq!(table.rows.len(), 2);
    let first = &table.rows[0];
    assert_eq!(first["summary"], "Two");
    assert_eq!(first["id"], 2);
    assert_eq!(first["ratio"].as_f64(), Some(2.5));
    assert_eq!(first["absent"], Value::Null);
    assert_eq!(first["details"], "b");
}

#[tokio::test]
async fn postgres_query_gives_jsonb_as_json_and_times_as_iso() {
    let Some(place) = postgres_place("jsonb").await else {
        return;
    };
    let mirror = Mirror::open(&place.target).await.unwrap();
    let tickets = table("tickets").unwrap();
    mirror
        .save(tickets, vec![ticket(1, "One", "a")], &Cursor::default())
        .await
        .unwrap();
    let t = mirror
        .query("SELECT doc->'customfields' AS cf, last_update, CURRENT_DATE - CURRENT_DATE AS days FROM tickets")
        .await
        .unwrap();
    assert_eq!(t.rows[0]["cf"], json!([{"id": 5, "value": null}]));
    assert_eq!(t.rows[0]["last_update"], "2026-03-01T09:30:12.123456Z");
    assert_eq!(t.rows[0]["days"], 0);
}

both!(runs_are_recorded);
async fn runs_are_recorded(target: &Target) {
    let mirror = Mirror::open(target).await.unwrap();
    let run = mirror
        .begin_run(&["tickets", "actions"], true)
        .await
        .unwrap();
    let summary = RunSummary {
        resources: vec![RunLine {
            table: "tickets".into(),
            new: 3,
            changed: 1,
            deleted: 2,
            requests: 4,
        }],
        requests: 4,
        outcome: "ok".into(),
    };
    mirror.finish_run(run, &summary).await.unwrap();
    let later = mirror.begin_run(&["tickets"], false).await.unwrap();
    assert!(later > run);
    let t = mirror
        .query(
            "SELECT id, outcome, requests, finished IS NOT NULL AS done FROM sync_runs ORDER BY id",
        )
        .await
        .unwrap();
    assert_eq!(t.rows.len(), 2);
    assert_eq!(t.rows[0]["outcome"], "ok");
    assert_eq!(t.rows[0]["requests"], 4);
    assert_eq!(t.rows[1]["outcome"], "running");
    assert!(mirror.finish_run(later + 100, &summary).await.is_err());
}
