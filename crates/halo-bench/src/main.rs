//! `halo-bench`: measurements behind BENCHMARKS.md, each printed beside its target.
//!
//! `cargo build --release && cargo run --release -p halo-bench` runs them all; `-- NAME` runs
//! one (`seed`, `sandbox`, `export`, `throttled`, `get`, `rss`, `bulk`, `budget`, `attachments`,
//! `mirror`, `webhook`). The export, get, RSS, attachment, mirror and webhook figures run the
//! release `halo` binary, as a user would.

use anyhow::{Context, Result};
use halo_sandbox::{Sandbox, SandboxConfig};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn main() -> Result<()> {
    let which = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    if which == RAW_CLIENT {
        return raw_client();
    }
    tokio::runtime::Runtime::new()?.block_on(measure(which))
}

async fn measure(which: String) -> Result<()> {
    println!(
        "machine: {} cores, {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        std::env::consts::ARCH
    );
    if matches!(which.as_str(), "all" | "seed") {
        seed().await?;
    }
    if matches!(which.as_str(), "all" | "sandbox") {
        sandbox_throughput().await?;
    }
    if matches!(which.as_str(), "all" | "export") {
        export_vs_raw().await?;
    }
    if matches!(which.as_str(), "all" | "throttled") {
        throttled_export().await?;
    }
    if matches!(which.as_str(), "all" | "get") {
        single_get().await?;
    }
    if matches!(which.as_str(), "all" | "rss") {
        export_rss().await?;
    }
    if matches!(which.as_str(), "all" | "bulk") {
        bulk_update().await?;
    }
    if matches!(which.as_str(), "all" | "budget") {
        budget_cost().await?;
    }
    if matches!(which.as_str(), "all" | "attachments") {
        attachment_rss().await?;
    }
    if matches!(which.as_str(), "all" | "mirror") {
        mirror().await?;
    }
    if matches!(which.as_str(), "all" | "webhook") {
        webhook_receiver().await?;
    }
    Ok(())
}

/// The release `halo` binary beside this one.
fn halo_binary() -> Result<std::path::PathBuf> {
    let path =
        std::env::current_exe()?.with_file_name(format!("halo{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(
        path.exists(),
        "{} is missing: build it first with `cargo build --release`",
        path.display()
    );
    Ok(path)
}

/// `halo` against `sb` with a connection from the environment (no profile) and its own
/// config dir (where the token is cached).
fn halo(sb: &Sandbox, config: &std::path::Path) -> Result<std::process::Command> {
    let mut cmd = std::process::Command::new(halo_binary()?);
    cmd.env("HALO_URL", sb.url())
        .env("HALO_CLIENT_ID", "halo-sandbox-client")
        .env("HALO_CLIENT_SECRET", "halo-sandbox-secret")
        .env("HALO_CONFIG_DIR", config)
        .env("HALO_KEYRING", "off")
        .env_remove("HALO_PROFILE")
        .env_remove("RUST_LOG");
    Ok(cmd)
}

fn run_ok(cmd: &mut std::process::Command) -> Result<std::process::Output> {
    let out = cmd.output()?;
    anyhow::ensure!(
        out.status.success(),
        "{:?} failed: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(out)
}

/// Fetches every page of `/api/Tickets` with a minimal client, 4 at a time, bodies read
/// but not parsed: the sandbox's raw serving time.
async fn raw_walk(sb: &Sandbox, pages: u64) -> Result<Duration> {
    let http = reqwest::Client::new();
    let token = token(sb, &http).await?;
    Ok(walk_pages(&http, &sb.url(), &token, pages).await)
}

async fn walk_pages(http: &reqwest::Client, url: &str, token: &str, pages: u64) -> Duration {
    let token = Arc::new(token.to_string());
    let next = Arc::new(AtomicU64::new(1));
    let started = Instant::now();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (http, token, next) = (http.clone(), token.clone(), next.clone());
            let base = format!("{url}/api/Tickets?pageinate=true&page_size=100&page_no=");
            tokio::spawn(async move {
                loop {
                    let page = next.fetch_add(1, Ordering::Relaxed);
                    if page > pages {
                        break;
                    }
                    if let Ok(r) = http
                        .get(format!("{base}{page}"))
                        .bearer_auth(token.as_str())
                        .send()
                        .await
                    {
                        let _ = r.bytes().await;
                    }
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    started.elapsed()
}

/// The argument that makes this binary the minimal client of [`raw_walk`] in a process of
/// its own (`halo-bench raw-client URL PAGES`, the token in `HALO_BENCH_TOKEN`), as `halo`
/// runs: one thread, started afresh.
const RAW_CLIENT: &str = "raw-client";

fn raw_client() -> Result<()> {
    let mut args = std::env::args().skip(2);
    let (Some(url), Some(pages)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: halo-bench {RAW_CLIENT} URL PAGES");
    };
    let token = std::env::var("HALO_BENCH_TOKEN")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let http = reqwest::Client::builder()
        .tls_certs_only(Vec::new())
        .build()?;
    runtime.block_on(walk_pages(&http, &url, &token, pages.parse()?));
    Ok(())
}

/// [`raw_walk`] by a process of its own: its wall time, start-up included.
async fn raw_walk_process(sb: &Sandbox, pages: u64) -> Result<Duration> {
    let token = token(sb, &reqwest::Client::new()).await?;
    let mut cmd = std::process::Command::new(std::env::current_exe()?);
    cmd.args([RAW_CLIENT, &sb.url(), &pages.to_string()])
        .env("HALO_BENCH_TOKEN", token);
    let started = Instant::now();
    run_ok(&mut cmd)?;
    Ok(started.elapsed())
}

/// (a) `halo export` of 20,000 tickets, unthrottled, against the raw serving time: once
/// with the sandbox answering at once (the client's own cost dominates) and once with 20 ms
/// per request, closer to a real server.
async fn export_vs_raw() -> Result<()> {
    for latency_ms in [0u64, 20] {
        let faults = halo_sandbox::Faults {
            latency: Duration::from_millis(latency_ms),
            ..halo_sandbox::Faults::default()
        };
        let sb = Sandbox::start(SandboxConfig {
            seed_tickets: 20_000,
            faults,
            ..SandboxConfig::default()
        })
        .await?;
        let dir = tempfile::tempdir()?;
        // Each measured three times (the first also warms the token cache); the best is kept.
        let out = dir.path().join("t.ndjson");
        let mut best = [Duration::MAX; 4];
        for _ in 0..3 {
            let _ = std::fs::remove_file(&out);
            let started = Instant::now();
            run_ok(
                halo(&sb, dir.path())?
                    .args(["export", "tickets", "--out"])
                    .arg(&out),
            )?;
            let export = started.elapsed();
            let started = Instant::now();
            run_ok(
                halo(&sb, dir.path())?
                    .args(["export", "tickets"])
                    .stdout(std::process::Stdio::null()),
            )?;
            let to_stdout = started.elapsed();
            let raw = raw_walk(&sb, 200).await?;
            let raw_process = raw_walk_process(&sb, 200).await?;
            for (b, t) in best.iter_mut().zip([export, to_stdout, raw, raw_process]) {
                *b = (*b).min(t);
            }
        }
        let rows = std::fs::read_to_string(&out)?.lines().count();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let [export, to_stdout, raw, raw_process] = best;
        println!(
            "export: 20,000 tickets ({rows} rows written), server latency {latency_ms} ms: halo export {:.0} ms, raw serving {:.0} ms: ratio {:.2}x; target <= 1.3x",
            ms(export),
            ms(raw),
            export.as_secs_f64() / raw.as_secs_f64()
        );
        println!(
            "  for scale: halo export to standard output (no file, no fsync) {:.0} ms ({:.2}x); the minimal client in a process of its own {:.0} ms ({:.2}x)",
            ms(to_stdout),
            to_stdout.as_secs_f64() / raw.as_secs_f64(),
            ms(raw_process),
            raw_process.as_secs_f64() / raw.as_secs_f64()
        );
    }
    Ok(())
}

/// (b) `halo export` under Halo's rule scaled down to 30 requests per 3 s: the rate achieved
/// against the most the rule allows, and the 429s the server sent.
async fn throttled_export() -> Result<()> {
    let (limit, window) = (30u32, Duration::from_secs(3));
    let sb = Sandbox::start(SandboxConfig {
        seed_tickets: 12_000,
        rate_limit: Some(halo_sandbox::RateLimit {
            requests: limit,
            window,
        }),
        ..SandboxConfig::default()
    })
    .await?;
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("t.ndjson");
    let started = Instant::now();
    let output = run_ok(
        halo(&sb, dir.path())?
            .args(["export", "tickets", "--rate-limit", "30/3s", "--out"])
            .arg(&out),
    )?;
    let took = started.elapsed().as_secs_f64();
    let stats = sb.stats();
    // The fastest the rule allows N requests: N at instants 0, .. with at most `limit` in any
    // window, so the last one at floor((N-1)/limit) windows.
    let n = stats.requests.saturating_sub(1); // authinfo is not rate limited by the sandbox
    let best = ((n.saturating_sub(1)) / u64::from(limit)) as f64 * window.as_secs_f64();
    let rows = std::fs::read_to_string(&out)?.lines().count();
    println!(
        "throttled: {rows} rows, {n} limited requests in {took:.1} s ({:.0} rows/s); the rule allows it in {best:.1} s: {:.0}% of the theoretical rate; 429s sent by the server: {}; target >= 95% and 0 429s",
        rows as f64 / took,
        100.0 * best / took,
        stats.rate_limited
    );
    let summary = String::from_utf8_lossy(&output.stderr);
    println!("  halo said: {}", summary.trim());
    Ok(())
}

/// (e) The cost of the rate budget shared through a file, per acquire: 10,000 acquires under a
/// limit never reached (so the file grows to 10,000 times, 80 KB), the first 300 of them (a
/// log up to Halo's 300), beside the same in memory.
async fn budget_cost() -> Result<()> {
    use halopsa::limiter::RateLimiter;
    const ACQUIRES: u32 = 10_000;
    let (huge, window) = (1_000_000, Duration::from_secs(300));
    let dir = tempfile::tempdir()?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(dir.path().join("budget.log"))?;
    let shared = RateLimiter::shared(huge, window, file);
    let started = Instant::now();
    let mut first = Duration::ZERO;
    for i in 1..=ACQUIRES {
        shared.acquire().await;
        if i == 300 {
            first = started.elapsed();
        }
    }
    let all = started.elapsed();
    let memory = RateLimiter::new(huge, window);
    let started = Instant::now();
    for _ in 0..ACQUIRES {
        memory.acquire().await;
    }
    let in_memory = started.elapsed();
    let each = |d: Duration, n: u32| d.as_secs_f64() * 1e6 / f64::from(n);
    println!(
        "budget: shared file {:.1} us per acquire over the first 300, {:.1} us over {ACQUIRES} (log of up to {ACQUIRES}); in memory {:.2} us; target: microseconds",
        each(first, 300),
        each(all, ACQUIRES),
        each(in_memory, ACQUIRES)
    );
    Ok(())
}

/// (c) One `halo tickets get` with a cached token: wall time and requests made.
async fn single_get() -> Result<()> {
    let sb = Sandbox::start(SandboxConfig {
        seed_tickets: 1_000,
        ..SandboxConfig::default()
    })
    .await?;
    let dir = tempfile::tempdir()?;
    run_ok(halo(&sb, dir.path())?.args(["tickets", "get", "1"]))?; // mints and caches the token
    let mut times = Vec::new();
    let before = sb.stats().requests;
    let runs = 25;
    for _ in 0..runs {
        let started = Instant::now();
        run_ok(halo(&sb, dir.path())?.args(["tickets", "get", "7"]))?;
        times.push(started.elapsed());
    }
    let requests = (sb.stats().requests - before) as f64 / f64::from(runs);
    times.sort();
    println!(
        "get: `halo tickets get` with a cached token: median {:.1} ms (min {:.1}, max {:.1}) over {runs} runs, {requests:.1} HTTP requests each; target 1 request and <= 30 ms",
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3
    );
    Ok(())
}

/// (d) Peak resident memory of `halo export` of 200,000 tickets (Linux: VmHWM).
async fn export_rss() -> Result<()> {
    let sb = Sandbox::start(SandboxConfig {
        seed_tickets: 200_000,
        ..SandboxConfig::default()
    })
    .await?;
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("t.ndjson");
    let started = Instant::now();
    let mut child = halo(&sb, dir.path())?
        .args(["export", "tickets", "--out"])
        .arg(&out)
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let (status, peak_kb) = peak_rss(&mut child).await?;
    anyhow::ensure!(status.success(), "the export failed");
    let rows = std::fs::read_to_string(&out)?.lines().count();
    println!(
        "rss: halo export of {rows} tickets in {:.1} s: peak RSS {:.1} MB; target <= 64 MB",
        started.elapsed().as_secs_f64(),
        peak_kb as f64 / 1024.0
    );
    Ok(())
}

/// Runs `child` to its end, reading its peak resident memory (Linux: VmHWM, the kernel's
/// high-water mark, read every 5 ms) on the way: its exit status and the peak in KiB.
async fn peak_rss(child: &mut std::process::Child) -> Result<(std::process::ExitStatus, u64)> {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    loop {
        let hwm = std::fs::read_to_string(&status_file).ok().and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        });
        peak_kb = peak_kb.max(hwm.unwrap_or(0));
        if let Some(status) = child.try_wait()? {
            return Ok((status, peak_kb));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The size of the attachment sent and fetched back by [`attachment_rss`].
const ATTACHMENT_MB: usize = 100;

/// (f) Peak resident memory and throughput of `halo attachments upload` and `download` of a
/// 100 MB file, against a sandbox whose attachment limit is raised to 128 MB (targets:
/// upload <= 64 MB, download <= 32 MB).
async fn attachment_rss() -> Result<()> {
    let sb = Sandbox::start(SandboxConfig {
        seed_tickets: 10,
        max_attachment_bytes: 128 << 20,
        ..SandboxConfig::default()
    })
    .await?;
    let dir = tempfile::tempdir()?;
    let src = dir.path().join("big.bin");
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let data: Vec<u8> = (0..ATTACHMENT_MB << 20)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 32) as u8
        })
        .collect();
    std::fs::write(&src, &data)?;
    run_ok(halo(&sb, dir.path())?.args(["tickets", "get", "1"]))?; // mints and caches the token
    let timed = |args: &[&std::ffi::OsStr]| -> Result<std::process::Child> {
        Ok(halo(&sb, dir.path())?
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()?)
    };
    let started = Instant::now();
    let mut up = timed(&[
        "attachments".as_ref(),
        "upload".as_ref(),
        "--ticket".as_ref(),
        "1".as_ref(),
        "--max-mb".as_ref(),
        "128".as_ref(),
        "-o".as_ref(),
        "json".as_ref(),
        src.as_os_str(),
    ])?;
    let (status, up_kb) = peak_rss(&mut up).await?;
    let up_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(status.success(), "the upload failed");
    let mut printed = String::new();
    std::io::Read::read_to_string(&mut up.stdout.take().context("no output")?, &mut printed)?;
    let saved: serde_json::Value = serde_json::from_str(&printed)?;
    let id = saved[0]["id"]
        .as_i64()
        .context("no attachment id")?
        .to_string();
    let back = dir.path().join("back");
    std::fs::create_dir(&back)?;
    let started = Instant::now();
    let mut down = timed(&[
        "attachments".as_ref(),
        "download".as_ref(),
        id.as_ref(),
        "--out".as_ref(),
        back.as_os_str(),
    ])?;
    let (status, down_kb) = peak_rss(&mut down).await?;
    let down_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(status.success(), "the download failed");
    anyhow::ensure!(
        std::fs::read(back.join("big.bin"))? == data,
        "the file came back different"
    );
    let mb = ATTACHMENT_MB as f64 * 1.048_576;
    println!(
        "attachments: upload of {ATTACHMENT_MB} MiB in {up_secs:.2} s ({:.0} MB/s): peak RSS {:.1} MB; target <= 64 MB",
        mb / up_secs,
        up_kb as f64 / 1024.0
    );
    println!(
        "attachments: download of {ATTACHMENT_MB} MiB in {down_secs:.2} s ({:.0} MB/s): peak RSS {:.1} MB; target <= 32 MB",
        mb / down_secs,
        down_kb as f64 / 1024.0
    );
    Ok(())
}

/// Time for a sandbox with 200,000 seeded tickets to be ready (target: under 10 s).
async fn seed() -> Result<()> {
    let started = Instant::now();
    let sb = Sandbox::start(SandboxConfig {
        seed_tickets: 200_000,
        ..SandboxConfig::default()
    })
    .await?;
    let took = started.elapsed();
    let objects: u64 = sb.stats().objects.values().sum();
    println!(
        "seed: 200,000 tickets ({objects} objects) ready in {:.2} s; target < 10 s: {:.2}x of budget",
        took.as_secs_f64(),
        took.as_secs_f64() / 10.0
    );
    Ok(())
}

async fn token(sb: &Sandbox, http: &reqwest::Client) -> Result<String> {
    let body: serde_json::Value = http
        .post(format!("{}/auth/token?tenant=sandbox", sb.url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "halo-sandbox-client"),
            ("client_secret", "halo-sandbox-secret"),
            ("scope", "all"),
        ])
        .send()
        .await?
        .json()
        .await?;
    body["access_token"]
        .as_str()
        .map(str::to_string)
        .context("no access token")
}

const PAGES: u64 = 200;

/// List requests per second the sandbox serves on loopback (target: at least 5,000), for a
/// few list shapes, with 16 keep-alive clients in this same process.
async fn sandbox_throughput() -> Result<()> {
    let sb = Sandbox::start(SandboxConfig {
        seed_tickets: 20_000,
        ..SandboxConfig::default()
    })
    .await?;
    let http = reqwest::Client::new();
    let token = Arc::new(token(&sb, &http).await?);
    for (label, query) in [
        (
            "tickets, pages of 10",
            "Tickets?pageinate=true&page_size=10&page_no=",
        ),
        (
            "tickets, pages of 100",
            "Tickets?pageinate=true&page_size=100&page_no=",
        ),
        ("statuses (bare list)", "Status?x="),
    ] {
        let done = Arc::new(AtomicU64::new(0));
        let deadline = Instant::now() + Duration::from_secs(3);
        let workers: Vec<_> = (0..16u64)
            .map(|w| {
                let (http, token, done) = (http.clone(), token.clone(), done.clone());
                let base = format!("{}/api/{query}", sb.url());
                tokio::spawn(async move {
                    let mut page = w % PAGES + 1;
                    while Instant::now() < deadline {
                        let resp = http
                            .get(format!("{base}{page}"))
                            .bearer_auth(token.as_str())
                            .send()
                            .await;
                        // Read the whole body: a response left unread closes the connection.
                        if let Ok(r) = resp {
                            let ok = r.status().is_success();
                            if r.bytes().await.is_ok() && ok {
                                done.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        page = page % PAGES + 1;
                    }
                })
            })
            .collect();
        let started = Instant::now();
        for w in workers {
            w.await?;
        }
        let rate = done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
        println!(
            "sandbox: {label}: {rate:.0} requests/s; target >= 5,000: {:.2}x",
            rate / 5000.0
        );
    }
    Ok(())
}

/// A bulk update of 1,000 tickets from CSV under Halo's rule scaled to 30 requests / 3 s,
/// beside the same updates sent one request per item (the PowerShell module's way), with the
/// same client and limit; then the batch sizes unthrottled.
async fn bulk_update() -> Result<()> {
    let (limit, window) = (30u32, Duration::from_secs(3));
    let rule = halo_sandbox::RateLimit {
        requests: limit,
        window,
    };
    let sb = Sandbox::start(SandboxConfig {
        seed_tickets: 1000,
        rate_limit: Some(rule),
        ..SandboxConfig::default()
    })
    .await?;
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("changes.csv");
    let mut text = String::from("id,summary,status\n");
    for id in 1..=1000 {
        text.push_str(&format!("{id},Bulk change {id},In Progress\n"));
    }
    std::fs::write(&csv, text)?;
    let run = |batch: &str, name: &str, limited: bool| -> Result<(u64, f64)> {
        let before = sb.stats().api_requests;
        let started = Instant::now();
        let mut cmd = halo(&sb, dir.path())?;
        cmd.args(["tickets", "update", "--from"])
            .arg(&csv)
            .args(["--batch", batch, "--results"])
            .arg(dir.path().join(format!("{name}.results.ndjson")));
        if limited {
            cmd.args(["--rate-limit", "30/3s"]);
        } else {
            cmd.arg("--no-rate-limit");
        }
        run_ok(&mut cmd)?;
        Ok((
            sb.stats().api_requests - before,
            started.elapsed().as_secs_f64(),
        ))
    };
    let (bulk_requests, bulk_time) = run("50", "bulk", true)?;
    let (one_requests, one_time) = run("1", "one", true)?;
    println!(
        "bulk: 1000 ticket updates under 30 requests / 3 s: --from in {bulk_requests} requests, {bulk_time:.1} s; one request per item {one_requests} requests, {one_time:.1} s: {:.0}x fewer requests (target >= 10x), {:.1}x less time (target >= 5x); 429s sent by the server: {}",
        one_requests as f64 / bulk_requests.max(1) as f64,
        one_time / bulk_time.max(0.001),
        sb.stats().rate_limited
    );
    sb.shutdown().await;
    let sb = Sandbox::start(SandboxConfig {
        seed_tickets: 1000,
        ..SandboxConfig::default()
    })
    .await?;
    let mut sizes = Vec::new();
    for batch in ["1", "10", "25", "50", "100"] {
        let before = sb.stats().api_requests;
        let started = Instant::now();
        run_ok(
            halo(&sb, dir.path())?
                .args([
                    "tickets",
                    "update",
                    "--no-rate-limit",
                    "--batch",
                    batch,
                    "--from",
                ])
                .arg(&csv)
                .arg("--results")
                .arg(dir.path().join(format!("free-{batch}.results.ndjson"))),
        )?;
        sizes.push(format!(
            "{batch}: {} requests {:.2} s",
            sb.stats().api_requests - before,
            started.elapsed().as_secs_f64()
        ));
    }
    println!("  unthrottled, by --batch: {}", sizes.join("; "));
    Ok(())
}

/// (mirror) `halo sync` of 100,000 tickets and their actions into SQLite beside `halo export
/// tickets` of the same, in one run; then, after the sandbox changes 500 tickets (deletes 20,
/// creates 30, adds actions to 50), the incremental sync; then `halo search`, in process and
/// as a command.
async fn mirror() -> Result<()> {
    let sb = Sandbox::start(SandboxConfig {
        seed_tickets: 100_000,
        ..SandboxConfig::default()
    })
    .await?;
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("t.ndjson");
    let db = dir.path().join("mirror.sqlite");
    let started = Instant::now();
    run_ok(
        halo(&sb, dir.path())?
            .args(["export", "tickets", "--out"])
            .arg(&out),
    )?;
    let export = started.elapsed();
    let sync = |more: &[&str]| -> Result<std::process::Command> {
        let mut cmd = halo(&sb, dir.path())?;
        cmd.args([
            "sync",
            "--resources",
            "tickets,actions",
            "-o",
            "json",
            "--db",
        ])
        .arg(&db)
        .args(more);
        Ok(cmd)
    };
    let started = Instant::now();
    let full_out = run_ok(&mut sync(&[])?)?;
    let full = started.elapsed();
    let total = |out: &std::process::Output| -> Result<serde_json::Value> {
        let rows: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        rows.as_array()
            .and_then(|r| r.iter().find(|r| r["resource"] == "total"))
            .cloned()
            .context("no total in the summary")
    };
    let full_total = total(&full_out)?;
    let target = halo_mirror::Target::Sqlite(db.clone());
    let tickets = halo_mirror::table("tickets").context("no tickets table")?;
    let equal_full = mirror_equals_export(&target, tickets, &out).await?;
    sb.churn(
        halo_sandbox::Churn::new(7)
            .change(500)
            .delete(20)
            .create(30)
            .actions(50),
    )
    .await?;
    sb.clear_journal();
    let started = Instant::now();
    let inc_out = run_ok(&mut sync(&[])?)?;
    let incremental = started.elapsed();
    let inc_requests = sb
        .journal()
        .iter()
        .filter(|e| e.path.starts_with("/api/"))
        .count();
    let inc_total = total(&inc_out)?;
    let again = dir.path().join("after.ndjson");
    run_ok(
        halo(&sb, dir.path())?
            .args(["export", "tickets", "--out"])
            .arg(&again),
    )?;
    let equal_inc = mirror_equals_export(&target, tickets, &again).await?;
    println!(
        "  the mirror equals `halo export tickets`, document for document: {equal_full} after the full sync, {equal_inc} after the incremental one"
    );
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "mirror: full sync of 100,000 tickets + their actions ({} rows, {} requests) {:.0} ms beside halo export tickets {:.0} ms: {:.2}x; target <= 1.5x",
        full_total["new"],
        full_total["requests"],
        ms(full),
        ms(export),
        full.as_secs_f64() / export.as_secs_f64()
    );
    println!(
        "  incremental after 500 changes, 20 deletions, 30 creations, actions on 50: {:.0} ms ({} new, {} changed, {} deleted; {inc_requests} API requests), 1/{:.0} of the full sync; targets <= 1/20 and <= 20 requests",
        ms(incremental),
        inc_total["new"],
        inc_total["changed"],
        inc_total["deleted"],
        full.as_secs_f64() / incremental.as_secs_f64()
    );
    let m = halo_mirror::Mirror::open_existing(&target).await?;
    for word in ["printer", "vpn password", "acrobat"] {
        let mut times: Vec<Duration> = Vec::new();
        let mut hits = 0;
        for _ in 0..21 {
            let started = Instant::now();
            hits = m.search(word, 20).await?.len();
            times.push(started.elapsed());
        }
        times.sort();
        let mut runs: Vec<Duration> = Vec::new();
        for _ in 0..11 {
            let started = Instant::now();
            run_ok(
                halo(&sb, dir.path())?
                    .args(["search", word, "-o", "json", "--db"])
                    .arg(&db),
            )?;
            runs.push(started.elapsed());
        }
        runs.sort();
        println!(
            "  search '{word}' ({hits} hits shown): median {:.1} ms in process, `halo search` as a command {:.1} ms; target <= 50 ms",
            ms(times[times.len() / 2]),
            ms(runs[runs.len() / 2])
        );
    }
    Ok(())
}

/// Whether the mirror's `table` holds exactly the rows of the export `file` (NDJSON), each
/// document equal field for field; says how many rows, or the first difference.
async fn mirror_equals_export(
    target: &halo_mirror::Target,
    table: &'static halo_mirror::Table,
    file: &std::path::Path,
) -> Result<String> {
    let mirror = halo_mirror::Mirror::open_existing(target).await?;
    let stored = mirror.documents(table).await?;
    let text = std::fs::read_to_string(file)?;
    let mut exported = std::collections::BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let doc: serde_json::Value = serde_json::from_str(line)?;
        let key = table
            .key_of(&doc)
            .context("an exported row without a key")?;
        exported.insert(key, doc);
    }
    if let Some((key, _)) = exported.iter().find(|(k, d)| stored.get(*k) != Some(*d)) {
        return Ok(format!("NOT EQUAL (first difference: {key:?})"));
    }
    if stored.len() != exported.len() {
        return Ok(format!(
            "NOT EQUAL ({} stored, {} exported)",
            stored.len(),
            exported.len()
        ));
    }
    Ok(format!("equal ({} rows)", stored.len()))
}

/// The release `halo webhook listen` (journal only, no handler) taking deliveries from 32
/// senders, each a reqwest client of its own keeping its connection alive: durable
/// deliveries per second (each answered only once committed with `synchronous=FULL`) and
/// the acknowledgement latency each sender saw.
async fn webhook_receiver() -> Result<()> {
    const SENDERS: usize = 32;
    const PER_SENDER: usize = 1_000;
    const WARMUP: usize = 20;
    let dir = tempfile::tempdir()?;
    let journal = dir.path().join("journal.sqlite");
    let mut child = std::process::Command::new(halo_binary()?)
        .args(["webhook", "listen", "--bind", "127.0.0.1:0", "--journal"])
        .arg(&journal)
        .env("HALO_CONFIG_DIR", dir.path())
        .env("HALO_DATA_DIR", dir.path())
        .env("HALO_KEYRING", "off")
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let measured = async {
        let stdout = child.stdout.take().context("no standard output")?;
        let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
        let first = lines.next().context("the receiver printed nothing")??;
        let url = first
            .strip_prefix("listening on ")
            .with_context(|| format!("unexpected first line: {first}"))?
            .to_string();
        // Distinct ids and occurrences (the warm-up a minute earlier), so none is a duplicate.
        let body = |sender: usize, n: usize, warm: bool| {
            let object = (sender * PER_SENDER + n) % 1_000 + 1;
            let (tag, minute) = if warm { ("warm", 29) } else { ("bench", 30) };
            serde_json::json!({
                "id": format!("{tag}-{sender}-{n}"),
                "webhook_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
                "notification_id": 2,
                "event": "Ticket Updated",
                "message": format!("The ticket has been updated: Ticket ID: {object:07}."),
                "object_id": object,
                "agent_id": 5,
                "timestamp": format!("2026-01-15T09:{minute}:12.{sender:03}{n:04}Z"),
                "ticket": {"id": object, "summary": "Printer offline", "status_id": 2,
                           "client_id": 12, "team_id": 2, "agent_id": 5},
            })
            .to_string()
        };
        let barrier = Arc::new(tokio::sync::Barrier::new(SENDERS + 1));
        let mut senders = Vec::new();
        for sender in 0..SENDERS {
            let http = reqwest::Client::builder().build()?;
            let (url, barrier) = (url.clone(), barrier.clone());
            let warm: Vec<String> = (0..WARMUP).map(|n| body(sender, n, true)).collect();
            let bodies: Vec<String> = (0..PER_SENDER).map(|n| body(sender, n, false)).collect();
            senders.push(tokio::spawn(async move {
                for b in warm {
                    post(&http, &url, b).await?;
                }
                barrier.wait().await;
                let mut latencies = Vec::with_capacity(bodies.len());
                for b in bodies {
                    let started = Instant::now();
                    post(&http, &url, b).await?;
                    latencies.push(started.elapsed());
                }
                anyhow::Ok(latencies)
            }));
        }
        barrier.wait().await;
        let started = Instant::now();
        let mut latencies = Vec::with_capacity(SENDERS * PER_SENDER);
        for sender in senders {
            latencies.extend(sender.await??);
        }
        let elapsed = started.elapsed();
        let metrics = reqwest::get(format!("{url}/metrics")).await?.text().await?;
        let metric = |name: &str| -> f64 {
            metrics
                .lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
                .unwrap_or(f64::NAN)
        };
        let delivered = SENDERS * PER_SENDER;
        anyhow::ensure!(
            metric("halo_webhook_received_total") as usize == delivered + SENDERS * WARMUP,
            "the receiver journaled {} events, not {}",
            metric("halo_webhook_received_total"),
            delivered + SENDERS * WARMUP
        );
        latencies.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
        println!(
            "webhook: {delivered} durable deliveries from {SENDERS} keep-alive senders in {:.2} s: {:.0}/s, target >= 2,000/s; acknowledgement p50 {:.1} ms, p99 {:.1} ms (max {:.1}), target p99 <= 50 ms; {:.1} operations per journal commit",
            elapsed.as_secs_f64(),
            delivered as f64 / elapsed.as_secs_f64(),
            ms(at(0.50)),
            ms(at(0.99)),
            ms(latencies[latencies.len() - 1]),
            metric("halo_webhook_journal_operations_total")
                / metric("halo_webhook_journal_commits_total")
        );
        anyhow::Ok(())
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    measured
}

/// One delivery, which must be acknowledged.
async fn post(http: &reqwest::Client, url: &str, body: String) -> Result<()> {
    let status = http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await?
        .status();
    anyhow::ensure!(status.is_success(), "a delivery was answered {status}");
    Ok(())
}
