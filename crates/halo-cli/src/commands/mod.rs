//! One module per command.

pub mod api;
pub mod auth;
pub mod connect;
pub mod demo;
pub mod export;
pub mod profile;
pub mod resource;
pub mod resources;
pub mod sandbox;

use halopsa::ConnectionReport;

/// Prints a connection report, one fact a line.
pub fn print_report(report: &ConnectionReport) {
    println!("  instance:  {}", report.instance);
    if !report.token_url.is_empty() {
        let how = if report.discovered {
            "discovered via /api/authinfo"
        } else {
            "configured or default"
        };
        println!("  token url: {} ({how})", report.token_url);
    }
    println!(
        "  tenant:    {}",
        report.tenant.as_deref().unwrap_or("(none)")
    );
    println!("  grant:     {}", report.grant);
    println!(
        "  scope:     {}",
        if report.scope.is_empty() {
            "(none)"
        } else {
            &report.scope
        }
    );
    println!(
        "  token:     valid for {}",
        duration(report.token_expires_in)
    );
    match &report.agent {
        Some(a) => println!(
            "  acting as: {} (agent {}{})",
            a.name.as_deref().unwrap_or("?"),
            a.id,
            a.email
                .as_deref()
                .map(|e| format!(", {e}"))
                .unwrap_or_default()
        ),
        None => println!("  acting as: (the granted scope does not allow reading agents)"),
    }
}

/// `1h 02m 03s`.
pub fn duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}h {m:02}m {s:02}s")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_well() {
        assert_eq!(super::duration(3723), "1h 02m 03s");
        assert_eq!(super::duration(61), "1m 01s");
        assert_eq!(super::duration(5), "5s");
    }
}
