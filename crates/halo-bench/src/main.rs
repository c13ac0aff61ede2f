//! `halo-bench`: measurements behind BENCHMARKS.md, each printed beside its target.
//!
//! `cargo run --release -p halo-bench` runs them all; `-- sandbox` runs one.

use anyhow::{Context, Result};
use halo_sandbox::{Sandbox, SandboxConfig};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> Result<()> {
    let which = std::env::args().nth(1).unwrap_or_else(|| "all".into());
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
