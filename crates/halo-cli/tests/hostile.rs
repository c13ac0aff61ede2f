//! The `halo` binary against servers that misbehave, planted files and concurrent runs:
//! every walk ends, nothing is written through a link, no secret is shown, no reply can
//! exhaust memory, and nothing the user had is lost.

mod common;

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use common::fake::{FAKE_SECRET, command, halo_at, start};
use common::*;
use halo_sandbox::fake::{Fake, Seen, silence, with_token as halo};
use halo_sandbox::{Faults, SandboxConfig};
use predicates::prelude::*;
use serde_json::json;
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// A fake Halo, a runtime for it and a config dir.
struct FakeWorld {
    fake: Fake,
    dir: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

impl FakeWorld {
    fn new(reply: impl Fn(&Seen) -> Response + Send + Sync + 'static) -> FakeWorld {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let fake = start(&rt, reply);
        FakeWorld {
            fake,
            dir: tempfile::tempdir().unwrap(),
            _rt: rt,
        }
    }

    fn halo(&self) -> assert_cmd::Command {
        halo_at(&self.fake, self.dir.path())
    }
}

fn rows(ids: std::ops::RangeInclusive<i64>) -> serde_json::Value {
    ids.map(|i| json!({"id": i, "summary": format!("t{i}")}))
        .collect()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_server_repeating_its_page_ends_every_walk_with_an_error_at_once() {
    // A bare array, no record_count, the same 100 rows on every page.
    let w = FakeWorld::new(halo(|_| axum::Json(rows(1..=100)).into_response()));
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("t.ndjson");
    let runs: [&[&str]; 4] = [
        &["tickets", "list", "--all"],
        &["tickets", "list", "--limit", "500"],
        &["api", "Tickets", "--paginate"],
        &["export", "tickets", "--out", out.to_str().unwrap()],
    ];
    for args in runs {
        let before = w.fake.hits("/api/Tickets");
        let started = Instant::now();
        let done = w
            .halo()
            .args(args)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        assert_eq!(done.status.code(), Some(1), "{args:?}: {}", stderr(&done));
        assert!(stderr(&done).contains("not paging"), "{}", stderr(&done));
        assert!(started.elapsed() < Duration::from_secs(30));
        assert_eq!(w.fake.hits("/api/Tickets") - before, 2, "{args:?}");
    }
}

#[test]
fn rows_short_of_record_count_warn_in_a_list_and_fail_an_export_keeping_its_rows() {
    // record_count 10,000, but only the first page holds rows.
    let w = FakeWorld::new(halo(|seen| {
        let page: i64 = seen.param("page_no").unwrap_or("1".into()).parse().unwrap();
        let rows = if page == 1 { rows(1..=100) } else { json!([]) };
        axum::Json(json!({"record_count": 10_000, "tickets": rows})).into_response()
    }));
    w.halo()
        .args(["tickets", "list", "--all", "-o", "ndjson"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "incomplete: Halo's record_count promised 10000",
        ));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.ndjson");
    let done = w
        .halo()
        .args(["export", "tickets", "--out"])
        .arg(&out)
        .args(["--concurrency", "1"])
        .output()
        .unwrap();
    assert_eq!(done.status.code(), Some(1), "{}", stderr(&done));
    assert!(
        stderr(&done).contains("the export is incomplete"),
        "{}",
        stderr(&done)
    );
    assert!(!out.exists(), "no output file from an incomplete export");
    assert_eq!(
        ids(&dir.path().join("t.ndjson.partial")).len(),
        100,
        "the rows are kept"
    );
    assert!(
        dir.path().join("t.ndjson.partial.json").exists(),
        "and the checkpoint"
    );
}

#[test]
fn paging_parameters_are_refused_as_filters() {
    let w = FakeWorld::new(halo(|_| axum::Json(rows(1..=3)).into_response()));
    w.halo()
        .args(["tickets", "list", "--filter", "page_no=2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--page N"));
    w.halo()
        .args(["api", "Tickets", "--paginate", "-q", "page_size=5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("paging parameter"));
    assert_eq!(w.fake.hits("/api/Tickets"), 0);
}

#[test]
fn a_token_endpoint_redirect_sends_the_secret_nowhere() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let elsewhere = start(&rt, |_| StatusCode::OK.into_response());
    for status in [307, 308] {
        let to = format!("{}/auth/token", elsewhere.url);
        let fake = start(&rt, move |_| {
            (
                StatusCode::from_u16(status).unwrap(),
                [(header::LOCATION, to.clone())],
            )
                .into_response()
        });
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = halo_at(&fake, dir.path());
        cmd.env_remove("HALO_URL").args([
            "connect",
            "--url",
            &fake.url,
            "--client-id",
            "x",
            "--client-secret-stdin",
        ]);
        let done = cmd.write_stdin(FAKE_SECRET).output().unwrap();
        assert_eq!(done.status.code(), Some(3), "{}", stderr(&done));
        assert!(stderr(&done).contains("redirect"), "{}", stderr(&done));
        assert_eq!(
            fake.seen().iter().filter(|s| s.method == "POST").count(),
            1,
            "one POST, to the endpoint named"
        );
    }
    assert!(
        elsewhere.seen().is_empty(),
        "nothing reached the other origin"
    );
}

#[test]
fn an_echoing_token_endpoint_shows_no_secret_at_any_verbosity() {
    let w = FakeWorld::new(|seen| {
        let body = format!("rejected: {}", seen.body);
        if seen.query.contains("html") {
            (
                StatusCode::BAD_REQUEST,
                axum::response::Html(format!("<html><h1>{body}</h1></html>")),
            )
                .into_response()
        } else {
            (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"error": "invalid_request", "error_description": body})),
            )
                .into_response()
        }
    });
    for tenant in ["json", "html"] {
        for verbosity in [None, Some("-vvv")] {
            let mut cmd = w.halo();
            cmd.env("HALO_TENANT", tenant).args(["tickets", "get", "1"]);
            if let Some(v) = verbosity {
                cmd.arg(v).env("RUST_LOG", "trace");
            }
            let done = cmd.output().unwrap();
            assert!(!done.status.success());
            let all = format!("{}{}", stdout(&done), stderr(&done));
            assert!(all.contains("rejected"), "the body was shown: {all}");
            for secret in [FAKE_SECRET, "fake-S3cret-value%2F42", "fake-S3"] {
                assert!(!all.contains(secret), "{secret} in: {all}");
            }
        }
    }
}

#[test]
fn a_profile_header_never_follows_a_redirect_elsewhere() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let elsewhere = start(&rt, |_| axum::Json(json!({"id": 1})).into_response());
    let to = elsewhere.url.clone();
    let fake = start(
        &rt,
        halo(move |seen| {
            let location = format!("{to}{}", seen.path);
            (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    halo_at(&fake, dir.path())
        .env_remove("HALO_URL")
        .args([
            "connect",
            "--url",
            &fake.url,
            "--client-id",
            "x",
            "--client-secret-stdin",
        ])
        .args(["--header", "X-Api-Key: profile-secret-key"])
        .write_stdin(FAKE_SECRET)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "redirected to {}",
            elsewhere.url
        )));
    assert!(elsewhere.seen().is_empty(), "{:?}", elsewhere.seen());
    assert!(!dir.path().join("config.toml").exists(), "nothing stored");
}

/// `count` gzip members of 1 MB of zeros each (about 1 KB apiece), streamed.
fn bomb(count: usize) -> Response {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&vec![0u8; 1 << 20]).unwrap();
    let member = Bytes::from(enc.finish().unwrap());
    let chunks =
        futures::stream::iter((0..count).map(move |_| Ok::<_, std::io::Error>(member.clone())));
    (
        [(header::CONTENT_ENCODING, "gzip")],
        Body::from_stream(chunks),
    )
        .into_response()
}

/// Runs `cmd` to its end; returns its output and its peak resident memory in KiB (the child
/// is reaped by `wait4`, which reports its own usage).
#[cfg(target_os = "linux")]
#[allow(clippy::zombie_processes)]
fn run_measured(mut cmd: std::process::Command) -> (std::process::Output, i64) {
    use std::io::Read;
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let readers = std::thread::spawn(move || {
        let (mut o, mut e) = (Vec::new(), Vec::new());
        let _ = out.read_to_end(&mut o);
        let _ = err.read_to_end(&mut e);
        (o, e)
    });
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and wait4 writes one for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: pid is our child, not yet waited for; the pointers are to live locals.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid);
    let (stdout, stderr) = readers.join().unwrap();
    use std::os::unix::process::ExitStatusExt;
    let output = std::process::Output {
        status: std::process::ExitStatus::from_raw(status),
        stdout,
        stderr,
    };
    (output, usage.ru_maxrss)
}

#[cfg(target_os = "linux")]
#[test]
fn a_decompression_bomb_fails_clearly_in_bounded_memory() {
    // 2 MB that inflate to 2 GB, for every list page.
    let w = FakeWorld::new(halo(|_| bomb(2048)));
    let out = w.dir.path().join("bomb.ndjson");
    let runs: [&[&str]; 2] = [
        &["tickets", "list"],
        &["export", "tickets", "--out", out.to_str().unwrap()],
    ];
    for args in runs {
        let mut cmd = command(&w.fake, w.dir.path());
        cmd.args(args);
        let (done, peak_kib) = run_measured(cmd);
        assert_eq!(done.status.code(), Some(1), "{}", stderr(&done));
        assert!(
            stderr(&done).contains("larger than 64 MiB once decompressed"),
            "{}",
            stderr(&done)
        );
        assert!(
            peak_kib < 300 * 1024,
            "{args:?}: peak {} MiB",
            peak_kib / 1024
        );
        eprintln!("{args:?}: peak RSS {} MiB", peak_kib / 1024);
    }
}

#[test]
fn numbers_keep_every_digit_in_and_out() {
    let big = "1000000000000000000000000000001";
    let w = FakeWorld::new(halo(move |_| {
        let body = format!(r#"{{"id": {big}, "total": 12.50, "n": 3.0}}"#);
        ([(header::CONTENT_TYPE, "application/json")], body).into_response()
    }));
    for format in ["json", "table", "yaml", "csv"] {
        let done = w
            .halo()
            .args(["api", "Tickets/1", "-o", format])
            .output()
            .unwrap();
        assert!(done.status.success(), "{}", stderr(&done));
        let text = stdout(&done);
        assert!(text.contains(big), "{format}: {text}");
        assert!(
            !text.contains("e+30") && !text.contains("serde_json"),
            "{format}: {text}"
        );
    }
    let sb = World::new();
    sb.connect().assert().success();
    sb.halo()
        .args([
            "tickets",
            "update",
            "1",
            "--set",
            "client_id=99999999999999999999999",
        ])
        .arg("--dry-run")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "\"client_id\": 99999999999999999999999",
        ));
}

#[test]
fn a_server_that_never_answers_is_bounded_by_timeout() {
    let w = FakeWorld::new(halo(|_| silence()));
    let started = Instant::now();
    w.halo()
        .args(["tickets", "get", "1", "--timeout", "2s"])
        .timeout(Duration::from_secs(60))
        .assert()
        .code(6)
        .stderr(predicate::str::contains("timed out after 2s"));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

/// A connected sandbox of `tickets` answering each request after `latency_ms`.
fn slow_world(tickets: u64, latency_ms: u64) -> World {
    let w = World::with(SandboxConfig {
        seed_tickets: tickets,
        faults: Faults {
            latency: Duration::from_millis(latency_ms),
            ..Faults::default()
        },
        ..SandboxConfig::default()
    });
    w.connect().assert().success();
    w
}

#[test]
fn an_export_out_of_time_keeps_its_rows_and_resumes() {
    let w = slow_world(2000, 40);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.ndjson");
    let export = |more: &[&str]| {
        let mut cmd = w.halo();
        cmd.args([
            "export",
            "tickets",
            "--page-size",
            "50",
            "--concurrency",
            "1",
            "--out",
        ])
        .arg(&out)
        .args(more);
        cmd
    };
    export(&["--timeout", "1s"])
        .assert()
        .code(6)
        .stderr(predicate::str::contains("timed out after 1s"))
        .stderr(predicate::str::contains("--resume"));
    assert!(!out.exists());
    assert!(dir.path().join("t.ndjson.partial").exists());
    export(&["--resume"]).assert().success();
    assert_eq!(ids(&out), (1..=2000).collect());
}

#[test]
fn two_exports_of_one_file_at_once_one_refuses_and_the_file_is_exact() {
    let w = slow_world(1000, 30);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.ndjson");
    let spawn = |more: &[&str]| {
        w.process()
            .args(["export", "tickets", "--page-size", "50", "--out"])
            .arg(&out)
            .args(more)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (all, closed) = (spawn(&[]), spawn(&["--closed-only"]));
    let (all, closed) = (
        all.wait_with_output().unwrap(),
        closed.wait_with_output().unwrap(),
    );
    let codes = (all.status.code(), closed.status.code());
    assert!(
        matches!(codes, (Some(0), Some(2)) | (Some(2), Some(0))),
        "{codes:?}: {} / {}",
        stderr(&all),
        stderr(&closed)
    );
    let loser = if codes.0 == Some(2) { &all } else { &closed };
    assert!(
        stderr(loser).contains("another export") || stderr(loser).contains("exists"),
        "{}",
        stderr(loser)
    );
    let expected: HashSet<i64> = if codes.0 == Some(0) {
        (1..=1000).collect()
    } else {
        let listed = w
            .halo()
            .args(["tickets", "list", "--closed-only", "--all", "-o", "ndjson"])
            .output()
            .unwrap();
        stdout(&listed)
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                    .as_i64()
                    .unwrap()
            })
            .collect()
    };
    assert_eq!(ids(&out), expected);
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

#[test]
fn the_export_target_is_checked_before_any_request() {
    let w = World::connected();
    let dir = tempfile::tempdir().unwrap();
    let requests = || w.sandbox.stats().requests;
    let before = requests();
    w.halo()
        .args(["export", "tickets", "--out", ""])
        .assert()
        .code(2);
    w.halo()
        .args(["export", "tickets", "--force", "--out"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a directory"));
    w.halo()
        .args(["export", "tickets", "--out"])
        .arg(dir.path().join("missing/t.ndjson"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does not exist"));
    assert_eq!(requests(), before, "nothing was fetched");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing was left"
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_is_written_through_and_never_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let w = World::connected();
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let done = w
        .halo()
        .args(["export", "tickets", "--force", "--out"])
        .arg(&fifo)
        .output()
        .unwrap();
    if !done.status.success() {
        // Let the reader go before failing.
        let _ = std::fs::OpenOptions::new().write(true).open(&fifo);
        panic!("{}", stderr(&done));
    }
    assert!(
        stderr(&done).contains("exported 300 tickets"),
        "{}",
        stderr(&done)
    );
    let text = reader.join().unwrap();
    assert_eq!(text.lines().count(), 300);
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no partial file"
    );
}

#[cfg(unix)]
#[test]
fn planted_links_beside_an_export_are_never_written_through() {
    let w = World::connected();
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "theirs").unwrap();
    for (format, planted) in [
        ("ndjson", "t.out.partial"),
        ("ndjson", "t.out.partial.json"),
        ("csv", "t.out.converting"),
    ] {
        let out = dir.path().join("t.out");
        let _ = std::fs::remove_file(&out);
        std::os::unix::fs::symlink(&victim, dir.path().join(planted)).unwrap();
        w.halo()
            .args(["export", "tickets", "--force", "--format", format, "--out"])
            .arg(&out)
            .assert()
            .success();
        assert_eq!(
            std::fs::read_to_string(&victim).unwrap(),
            "theirs",
            "{planted}"
        );
        assert!(std::fs::metadata(&out).unwrap().len() > 1000);
        let _ = std::fs::remove_file(dir.path().join(planted));
    }
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(unix)]
#[test]
fn loose_permissions_are_refused_or_warned_about() {
    let w = World::connected();
    let dir = w.config_dir();
    let get = || {
        let mut cmd = w.halo();
        cmd.args(["tickets", "get", "1"]);
        cmd
    };
    // secrets.toml readable by others: refused, as ssh refuses a private key.
    chmod(&dir.join("secrets.toml"), 0o644);
    std::fs::remove_file(dir.join("tokens/default.json")).unwrap();
    get()
        .assert()
        .code(2)
        .stderr(predicate::str::contains("chmod 600"));
    chmod(&dir.join("secrets.toml"), 0o600);
    get().assert().success();
    // A cached token others may read: not used (a new one is minted, written 0600).
    let tokens = w.sandbox.stats().token_requests;
    chmod(&dir.join("tokens/default.json"), 0o644);
    get()
        .assert()
        .success()
        .stderr(predicate::str::contains("ignoring the cached token"));
    assert_eq!(w.sandbox.stats().token_requests, tokens + 1);
    assert_eq!(mode(&dir.join("tokens/default.json")), 0o600);
    // config.toml others may write, or a config dir others may write: refused.
    chmod(&dir.join("config.toml"), 0o666);
    get()
        .assert()
        .code(2)
        .stderr(predicate::str::contains("config.toml"));
    chmod(&dir.join("config.toml"), 0o600);
    chmod(dir, 0o777);
    w.connect()
        .assert()
        .code(2)
        .stderr(predicate::str::contains("others may write"));
    chmod(dir, 0o700);
    get().assert().success();
}

#[cfg(unix)]
#[test]
fn a_shared_config_dir_gets_no_secret_through_planted_links() {
    let w = World::new();
    let dir = w.config_dir();
    chmod(dir, 0o777);
    let victim_dir = tempfile::tempdir().unwrap();
    let victim = victim_dir.path().join("stolen");
    std::fs::write(&victim, "").unwrap();
    for name in ["secrets.toml", "config.toml", ".secrets.toml.1.tmp"] {
        std::os::unix::fs::symlink(&victim, dir.join(name)).unwrap();
    }
    w.connect()
        .assert()
        .code(2)
        .stderr(predicate::str::contains("others may write"));
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "",
        "nothing written through"
    );
}

#[test]
fn messages_say_what_actually_failed() {
    let w = World::connected();
    let path = w.config_dir().join("config.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace(
            "current_profile = \"default\"",
            "current_profile = \"gone\"",
        ),
    )
    .unwrap();
    w.halo()
        .args(["tickets", "get", "1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the current profile 'gone'"));
    std::fs::write(&path, b"current_profile = \"\xff\xfe\"\n").unwrap();
    w.halo()
        .args(["tickets", "get", "1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not UTF-8"));
}
