//! Injected faults are reproducible from their seed.

mod common;

use common::*;
use halo_sandbox::{Faults, Sandbox, SandboxConfig};

/// A token despite injected faults (the token endpoint meets them too).
async fn token_through_faults(sb: &Sandbox) -> String {
    for _ in 0..50 {
        let Ok(r) = request_token(sb, "all").await else {
            continue;
        };
        if r.status() != 200 {
            continue;
        }
        if let Ok(body) = r.json::<serde_json::Value>().await {
            return body["access_token"].as_str().unwrap().to_string();
        }
    }
    panic!("no token after 50 tries");
}

/// What 40 sequential GETs met: a status, or "reset" for a dropped connection.
async fn outcomes(faults: Faults) -> (Vec<String>, halo_sandbox::Stats) {
    let sb = Sandbox::start(SandboxConfig { faults, ..small() })
        .await
        .unwrap();
    let token = token_through_faults(&sb).await;
    let mut seen = Vec::new();
    for _ in 0..40 {
        let resp = http()
            .get(format!("{}/api/Status", sb.url()))
            .bearer_auth(&token)
            .send()
            .await;
        let outcome = match resp {
            Err(_) => "reset".to_string(),
            Ok(r) => {
                let status = r.status().as_u16();
                let html = r
                    .headers()
                    .get("content-type")
                    .is_some_and(|v| v.to_str().unwrap_or("").contains("html"));
                match r.bytes().await {
                    Ok(_) if html => format!("{status} html"),
                    Ok(_) => status.to_string(),
                    Err(_) => "reset".to_string(),
                }
            }
        };
        seen.push(outcome);
    }
    (seen, sb.stats())
}

#[tokio::test]
async fn the_same_seed_gives_the_same_faults() {
    let faults = Faults {
        fail_rate: 0.25,
        reset_rate: 0.15,
        seed: 42,
        ..Faults::default()
    };
    let (a, stats) = outcomes(faults).await;
    let (b, _) = outcomes(faults).await;
    assert_eq!(a, b);
    let failed = a.iter().filter(|o| o.starts_with('5')).count();
    let reset = a.iter().filter(|o| *o == "reset").count();
    assert!(
        failed > 0 && reset > 0 && a.iter().any(|o| o == "200"),
        "{a:?}"
    );
    assert!(
        a.iter().any(|o| o.ends_with("html")),
        "some failures are HTML pages: {a:?}"
    );
    assert!(stats.faults >= (failed + reset) as u64, "{stats:?}");
    let (c, _) = outcomes(Faults { seed: 43, ..faults }).await;
    assert_ne!(a, c, "another seed, other faults");
}

#[tokio::test]
async fn latency_is_added() {
    let faults = Faults {
        latency: std::time::Duration::from_millis(120),
        ..Faults::default()
    };
    let sb = Sandbox::start(SandboxConfig { faults, ..small() })
        .await
        .unwrap();
    let started = std::time::Instant::now();
    http()
        .get(format!("{}/api/authinfo", sb.url()))
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_millis(120));
}
