//! `halo <resource> ...`, `halo api`, `halo resources` against the sandbox.

mod common;

use common::*;
use halo_sandbox::SandboxConfig;
use predicates::prelude::*;
use serde_json::Value;

fn world(tickets: u64) -> World {
    let w = World::with(SandboxConfig {
        seed_tickets: tickets,
        ..SandboxConfig::default()
    });
    w.connect().assert().success();
    w
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn run(w: &World, args: &[&str]) -> std::process::Output {
    w.halo().args(args).output().unwrap()
}

fn json_out(w: &World, args: &[&str]) -> Value {
    let out = run(w, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", stdout(&out)))
}

#[test]
fn every_output_format_piped_and_on_a_terminal() {
    let w = world(30);
    let base = [
        "tickets",
        "list",
        "--limit",
        "3",
        "--columns",
        "id,summary,client_name",
    ];
    for tty in [false, true] {
        let with = |format: &str| {
            let mut cmd = w.halo();
            cmd.args(base).args(["-o", format]);
            if tty {
                cmd.env("HALO_FORCE_TTY", "1").env("COLUMNS", "80");
            }
            let out = cmd.output().unwrap();
            assert!(
                out.status.success(),
                "{format}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            stdout(&out)
        };
        let json: Value = serde_json::from_str(&with("json")).unwrap();
        assert_eq!(json.as_array().unwrap().len(), 3);
        assert_eq!(
            with("json").trim().lines().count() > 1,
            tty,
            "pretty only on a terminal"
        );
        let ndjson = with("ndjson");
        assert_eq!(ndjson.lines().count(), 3);
        assert!(
            ndjson
                .lines()
                .all(|l| serde_json::from_str::<Value>(l).is_ok())
        );
        let csv = with("csv");
        assert_eq!(csv.lines().next(), Some("id,summary,client_name"));
        assert_eq!(csv.lines().count(), 4);
        let yaml = with("yaml");
        assert!(yaml.contains("summary:"), "{yaml}");
        let table = with("table");
        assert!(
            table.contains("summary") || table.contains("SUMMARY"),
            "{table}"
        );
        assert!(
            table.lines().all(|l| l.chars().count() <= 80),
            "fits 80 columns:\n{table}"
        );
        assert!(!table.contains('\u{1b}'), "no colour codes with NO_COLOR");
    }
    // The default: JSON when piped, a table on a terminal.
    let piped = stdout(&run(&w, &["tickets", "list", "--limit", "2"]));
    assert!(serde_json::from_str::<Value>(&piped).is_ok(), "{piped}");
    let out = w
        .halo()
        .args(["tickets", "list", "--limit", "2"])
        .env("HALO_FORCE_TTY", "1")
        .output()
        .unwrap();
    assert!(
        serde_json::from_slice::<Value>(&out.stdout).is_err(),
        "a table on a terminal"
    );
}

#[test]
fn listing_every_row_as_ndjson_gives_the_seeded_count() {
    let w = world(20_000);
    let out = run(&w, &["tickets", "list", "--all", "-o", "ndjson"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout(&out).lines().count(), 20_000);
}

#[test]
fn filters_flags_and_unknown_names() {
    let w = world(60);
    let rows = json_out(
        &w,
        &[
            "tickets",
            "list",
            "--all",
            "--open-only",
            "--client-id",
            "2",
        ],
    );
    let rows = rows.as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|t| t["client_id"] == 2 && t["hasbeenclosed"] == false)
    );
    let n: u64 = stdout(&run(&w, &["tickets", "count", "--filter", "CLIENT_ID=2"]))
        .trim()
        .parse()
        .unwrap();
    assert!(n as usize >= rows.len());
    w.halo()
        .args(["tickets", "list", "--filter", "closedonly=true"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("closed_only"));
    w.halo()
        .args([
            "tickets",
            "list",
            "--filter",
            "closedonly=true",
            "--allow-unknown-filter",
            "--limit",
            "1",
        ])
        .assert()
        .success();
    // A name where an id goes is looked up; one that names no client is not found.
    w.halo()
        .args(["tickets", "list", "--client-id", "abc"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("no client is named 'abc'"));
    w.halo()
        .args(["tickets", "list", "--site-id", "1.5"])
        .assert()
        .code(4);
    let page = json_out(&w, &["tickets", "list", "--page", "2", "--page-size", "25"]);
    assert_eq!(page.as_array().unwrap().len(), 25);
    assert_eq!(page[0]["id"], 26);
}

#[test]
fn writes_get_update_delete_and_their_guards() {
    let w = world(20);
    let created = json_out(
        &w,
        &[
            "tickets",
            "create",
            "--set",
            "summary=From the CLI",
            "--set",
            "client_id=1",
            "--set",
            "site_id=1",
        ],
    );
    let id = created["id"].to_string();
    let shown = json_out(&w, &["tickets", "get", &id]);
    assert_eq!(shown["summary"], "From the CLI");
    let updated = json_out(&w, &["tickets", "update", &id, "--set", "summary=Changed"]);
    assert_eq!(updated["summary"], "Changed");
    let before = w.sandbox.stats().objects["Tickets"];
    w.halo()
        .args(["tickets", "update", "99999", "--set", "summary=lost"])
        .assert()
        .code(4);
    assert_eq!(
        w.sandbox.stats().objects["Tickets"],
        before,
        "nothing created"
    );
    w.halo().args(["tickets", "get", "99999"]).assert().code(4);
    let out = run(
        &w,
        &["tickets", "create", "--set", "summary=dry", "--dry-run"],
    );
    assert!(
        stdout(&out).starts_with("POST http://127.0.0.1:"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("\"summary\": \"dry\""));
    assert_eq!(
        w.sandbox.stats().objects["Tickets"],
        before,
        "dry run sends nothing"
    );
    w.halo()
        .args(["tickets", "delete", &id, "--reason", "done", "--yes"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("deleted tickets {id}")));
    w.halo().args(["tickets", "get", &id]).assert().code(4);
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{oops").unwrap();
    w.halo()
        .args(["tickets", "create", "--json", bad.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not JSON"));
    w.halo().args(["actions", "get", "1"]).assert().code(2);
    let out = w
        .halo()
        .args(["actions", "create", "--json", "-"])
        .write_stdin(r#"{"ticket_id": 2, "outcome_id": 1, "note": "via stdin"}"#)
        .output()
        .unwrap();
    let action: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (action["ticket_id"].as_i64(), action["note"].as_str()),
        (Some(2), Some("via stdin"))
    );
}

#[test]
fn halo_api_reaches_any_path() {
    let w = world(130);
    let one = json_out(&w, &["api", "Tickets/3"]);
    assert_eq!(one["id"], 3);
    let out = run(&w, &["api", "/api/Tickets", "--paginate", "-o", "ndjson"]);
    assert_eq!(stdout(&out).lines().count(), 130);
    let page = json_out(
        &w,
        &[
            "api",
            "Tickets",
            "-q",
            "pageinate=true",
            "-q",
            "page_size=5",
        ],
    );
    assert_eq!(page["tickets"].as_array().unwrap().len(), 5);
    w.halo().args(["api", "NoSuchPath"]).assert().code(4);
    // A DELETE with no one at a terminal to confirm it needs --yes.
    w.halo()
        .args(["api", "-X", "DELETE", "Status/1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--yes"));
    w.halo()
        .args(["api", "-X", "DELETE", "Status/1", "--yes"])
        .assert()
        .success();
}

#[test]
fn resources_completions_and_man() {
    let w = world(10);
    let table = json_out(&w, &["resources", "-o", "json"]);
    let names: Vec<&str> = table
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), halopsa::resource::RESOURCES.len());
    assert!(names.contains(&"kb-articles"));
    // Halo's own path names work as aliases.
    w.halo()
        .args(["KBArticle", "list", "--limit", "1"])
        .assert()
        .success();
    let script = w.halo().args(["completions", "bash"]).output().unwrap();
    assert!(script.status.success());
    assert!(
        script.stdout.len() < 20 * 1024,
        "{} bytes",
        script.stdout.len()
    );
    // The script calls halo back; halo answers with what fits the words so far.
    let answered = w
        .process()
        .env("COMPLETE", "bash")
        .env("_CLAP_IFS", "\n")
        .env("_CLAP_COMPLETE_INDEX", "2")
        .args(["--", "halo", "tickets", "no"])
        .output()
        .unwrap();
    assert_eq!(stdout(&answered).trim(), "note");
    w.halo()
        .args(["man"])
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH"));
}

#[test]
fn a_reader_that_goes_away_ends_the_program_quietly() {
    use std::io::BufRead;
    let w = world(300);
    // `halo tickets list --all -o ndjson | head -n 1`
    let mut child = w
        .process()
        .args(["tickets", "list", "--all", "-o", "ndjson"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with('{'), "{first}");
    let done = child.wait_with_output().unwrap();
    assert_eq!(
        done.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(
        done.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
}
