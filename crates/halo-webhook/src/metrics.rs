//! The receiver's counters, and `/metrics` in Prometheus's text format.

use crate::journal::JournalStats;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Why a request was refused (nothing of it journaled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// No credential, or a wrong one (401).
    Unauthorized,
    /// A body over the limit (413).
    TooLarge,
    /// A body that is not an event object or an array of them (400).
    NotJson,
    /// Another path than the hook's (404).
    NotFound,
    /// The journal could not keep it (500 or 503: the sender retries).
    Journal,
}

impl Rejection {
    const ALL: [Rejection; 5] = [
        Rejection::Unauthorized,
        Rejection::TooLarge,
        Rejection::NotJson,
        Rejection::NotFound,
        Rejection::Journal,
    ];

    /// The `reason` label.
    pub fn label(self) -> &'static str {
        match self {
            Rejection::Unauthorized => "unauthorized",
            Rejection::TooLarge => "too_large",
            Rejection::NotJson => "not_json",
            Rejection::NotFound => "not_found",
            Rejection::Journal => "journal",
        }
    }

    fn index(self) -> usize {
        Rejection::ALL
            .iter()
            .position(|r| *r == self)
            .unwrap_or_default()
    }
}

/// The counters; one per receiver, shared by the server and the dispatcher.
#[derive(Debug, Default)]
pub struct Metrics {
    deliveries: AtomicU64,
    received: AtomicU64,
    duplicates: AtomicU64,
    rejected: [AtomicU64; 5],
    succeeded: AtomicU64,
    failed: AtomicU64,
    dead: AtomicU64,
    pending: AtomicI64,
}

/// A snapshot of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Deliveries acknowledged (2xx).
    pub deliveries: u64,
    /// New events journaled.
    pub received: u64,
    /// Events already journaled, acknowledged again and not kept twice.
    pub duplicates: u64,
    /// Requests refused, all reasons.
    pub rejected: u64,
    /// Handler attempts that succeeded.
    pub succeeded: u64,
    /// Handler attempts that failed.
    pub failed: u64,
    /// Events given up on.
    pub dead: u64,
    /// Events journaled and not yet finished.
    pub pending: i64,
}

impl Metrics {
    /// A delivery acknowledged: `new` events journaled, `duplicates` seen before.
    pub fn accepted(&self, new: usize, duplicates: usize) {
        self.deliveries.fetch_add(1, Ordering::Relaxed);
        self.received.fetch_add(new as u64, Ordering::Relaxed);
        self.duplicates
            .fetch_add(duplicates as u64, Ordering::Relaxed);
        self.pending.fetch_add(new as i64, Ordering::Relaxed);
    }

    /// Events found unfinished in the journal at start.
    pub fn resumed(&self, n: usize) {
        self.pending.fetch_add(n as i64, Ordering::Relaxed);
    }

    /// A request refused.
    pub fn rejected(&self, why: Rejection) {
        self.rejected[why.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// A handler attempt succeeded (the event is finished).
    pub fn succeeded(&self) {
        self.succeeded.fetch_add(1, Ordering::Relaxed);
        self.pending.fetch_sub(1, Ordering::Relaxed);
    }

    /// A handler attempt failed; `dead` when it was the last (the event is finished).
    pub fn failed(&self, dead: bool) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        if dead {
            self.dead.fetch_add(1, Ordering::Relaxed);
            self.pending.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// The counters now.
    pub fn counts(&self) -> Counts {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Counts {
            deliveries: get(&self.deliveries),
            received: get(&self.received),
            duplicates: get(&self.duplicates),
            rejected: self.rejected.iter().map(get).sum(),
            succeeded: get(&self.succeeded),
            failed: get(&self.failed),
            dead: get(&self.dead),
            pending: self.pending.load(Ordering::Relaxed),
        }
    }

    /// The Prometheus text: these counters, the journal's commits, and the lag (`lag_seconds`:
    /// how long the oldest pending event has waited).
    pub fn render(&self, journal: &JournalStats, lag_seconds: f64) -> String {
        let c = self.counts();
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: &dyn std::fmt::Display| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        metric(
            "halo_webhook_deliveries_total",
            "counter",
            "Deliveries acknowledged with 2xx.",
            &c.deliveries,
        );
        metric(
            "halo_webhook_received_total",
            "counter",
            "New events journaled.",
            &c.received,
        );
        metric(
            "halo_webhook_duplicates_total",
            "counter",
            "Events received again and not journaled twice.",
            &c.duplicates,
        );
        metric(
            "halo_webhook_handler_successes_total",
            "counter",
            "Handler attempts that succeeded.",
            &c.succeeded,
        );
        metric(
            "halo_webhook_handler_failures_total",
            "counter",
            "Handler attempts that failed.",
            &c.failed,
        );
        metric(
            "halo_webhook_dead_letters_total",
            "counter",
            "Events given up on after the last attempt.",
            &c.dead,
        );
        metric(
            "halo_webhook_pending_events",
            "gauge",
            "Events journaled and not yet handled.",
            &c.pending,
        );
        metric(
            "halo_webhook_journal_lag_seconds",
            "gauge",
            "How long the oldest pending event has waited.",
            &lag_seconds,
        );
        metric(
            "halo_webhook_journal_commits_total",
            "counter",
            "Journal transactions committed (each one sync).",
            &journal.commits.load(Ordering::Relaxed),
        );
        metric(
            "halo_webhook_journal_operations_total",
            "counter",
            "Journal operations committed, over all transactions.",
            &journal.operations.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP halo_webhook_rejected_total Requests refused, nothing journaled.\n# TYPE halo_webhook_rejected_total counter"
        );
        for why in Rejection::ALL {
            let n = self.rejected[why.index()].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "halo_webhook_rejected_total{{reason=\"{}\"}} {n}",
                why.label()
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_has_every_counter_and_each_reason() {
        let m = Metrics::default();
        m.accepted(3, 1);
        m.rejected(Rejection::TooLarge);
        m.rejected(Rejection::TooLarge);
        m.succeeded();
        m.failed(false);
        m.failed(true);
        let text = m.render(&JournalStats::default(), 1.5);
        for line in [
            "halo_webhook_received_total 3",
            "halo_webhook_duplicates_total 1",
            "halo_webhook_handler_successes_total 1",
            "halo_webhook_handler_failures_total 2",
            "halo_webhook_dead_letters_total 1",
            "halo_webhook_pending_events 1",
            "halo_webhook_journal_lag_seconds 1.5",
            "halo_webhook_rejected_total{reason=\"too_large\"} 2",
            "halo_webhook_rejected_total{reason=\"unauthorized\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
        assert_eq!(m.counts().rejected, 2);
    }
}
