//! One rate budget per tenant: `halo` processes running side by side (two exports and a bulk
//! update) keep one rule between them, and between them use most of it.

mod common;

use common::*;
use halo_sandbox::{RateLimit, SandboxConfig};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Halo's rule scaled down: the sandbox enforces it and every process is told it.
const REQUESTS: u32 = 30;
const WINDOW: Duration = Duration::from_secs(3);
const RULE: &str = "30/3s";

/// Tickets seeded (and one client per 50).
const TICKETS: u64 = 2500;

/// One process's long job: its `halo` arguments, and a check of what it did.
struct Job {
    args: Vec<String>,
    check: Box<dyn Fn(&World)>,
}

/// `halo export RESOURCE --out OUT` in pages of `page_size`, which must write each row
/// `halo RESOURCE count` counts once.
fn export(resource: &'static str, page_size: u32, out: PathBuf) -> Job {
    let args = [
        "export",
        resource,
        "--page-size",
        &page_size.to_string(),
        "--out",
    ]
    .map(String::from)
    .into_iter()
    .chain([out.to_string_lossy().into_owned()])
    .collect();
    Job {
        args,
        check: Box::new(move |w| {
            let counted = w.halo().args([resource, "count"]).output().unwrap();
            let counted: usize = String::from_utf8_lossy(&counted.stdout)
                .trim()
                .parse()
                .unwrap();
            assert_eq!(ids(&out).len(), counted, "{}", out.display());
        }),
    }
}

/// `halo tickets update --from CSV` of tickets 1..=rows in arrays of `batch`, which must end
/// every row updated.
fn bulk_update(rows: u64, batch: usize, dir: &Path) -> Job {
    let csv = dir.join("changes.csv");
    let mut text = String::from("id,summary\n");
    for id in 1..=rows {
        text.push_str(&format!("{id},Changed beside two exports ({id})\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let results = dir.join("changes.results.ndjson");
    let args = ["tickets", "update", "--batch", &batch.to_string(), "--from"]
        .map(String::from)
        .into_iter()
        .chain([csv.to_string_lossy().into_owned()])
        .collect();
    Job {
        args,
        check: Box::new(move |_| {
            let text = std::fs::read_to_string(&results).unwrap();
            let updated = text.lines().filter(|l| l.contains("\"updated\"")).count();
            assert_eq!(updated as u64, rows, "{text}");
        }),
    }
}

/// The jobs run at once; any one may be swapped for another long job.
fn jobs(dir: &Path) -> Vec<Job> {
    vec![
        export("tickets", 50, dir.join("a.ndjson")),
        export("tickets", 50, dir.join("b.ndjson")),
        bulk_update(200, 5, dir),
    ]
}

#[test]
fn three_processes_share_one_budget_without_a_429_using_nine_tenths_of_it() {
    let w = World::with(SandboxConfig {
        seed_tickets: TICKETS,
        rate_limit: Some(RateLimit {
            requests: REQUESTS,
            window: WINDOW,
        }),
        ..SandboxConfig::default()
    });
    w.connect().args(["--rate-limit", RULE]).assert().success();
    let dir = tempfile::tempdir().unwrap();
    let jobs = jobs(dir.path());
    let before = w.sandbox.stats();
    let started = Instant::now();
    let running: Vec<_> = jobs
        .iter()
        .map(|job| {
            w.process()
                .args(&job.args)
                .args(["--rate-limit", RULE])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (job, child) in jobs.iter().zip(running) {
        let done = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&done.stderr);
        assert!(done.status.success(), "{:?}: {err}", job.args);
    }
    let took = started.elapsed().as_secs_f64();
    let after = w.sandbox.stats();
    for job in &jobs {
        (job.check)(&w);
    }
    let requests = after.api_requests - before.api_requests;
    let rate = requests as f64 / took;
    let most = f64::from(REQUESTS) / WINDOW.as_secs_f64();
    // The fastest the rule allows: `REQUESTS` at once, then as many each window.
    let fastest = ((requests.max(1) - 1) / u64::from(REQUESTS)) as f64 * WINDOW.as_secs_f64();
    eprintln!(
        "{requests} requests in {took:.1} s: {rate:.2}/s of {most}/s ({:.0} % of the fastest the rule allows, {fastest:.0} s)",
        100.0 * fastest / took
    );
    assert_eq!(after.rate_limited, 0, "no 429 from the server");
    assert!(rate >= 0.9 * most, "{rate:.2}/s");
    let budgets: Vec<_> = std::fs::read_dir(w.config_dir().join("cache").join("rate"))
        .unwrap()
        .collect();
    assert_eq!(budgets.len(), 1, "one budget file: {budgets:?}");
}
