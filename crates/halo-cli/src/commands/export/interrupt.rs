//! One way to make any step of an export stoppable by Ctrl-C or by its time bound, and what
//! the user is told when it was stopped.

use crate::exit::Failure;
use std::time::Duration;

/// Why a step stopped before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Ctrl-C.
    Interrupted,
    /// `--timeout` ran out.
    TimedOut(Duration),
}

/// Runs `work` until it ends, Ctrl-C is pressed, or `timeout` (from now) runs out.
pub async fn interruptible<T>(
    work: impl std::future::Future<Output = T>,
    timeout: Option<Duration>,
) -> Result<T, Stop> {
    let deadline = async {
        match timeout {
            Some(limit) => {
                tokio::time::sleep(limit).await;
                limit
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        done = work => Ok(done),
        _ = tokio::signal::ctrl_c() => Err(Stop::Interrupted),
        limit = deadline => Err(Stop::TimedOut(limit)),
    }
}

impl Stop {
    /// The error of an export stopped this way (exit 130 or 6), `then` said after.
    pub fn error(self, then: &str) -> anyhow::Error {
        match self {
            Stop::Interrupted => anyhow::Error::new(Failure {
                code: crate::exit::INTERRUPTED,
                message: format!("interrupted{then}"),
            }),
            Stop::TimedOut(limit) => crate::session::timed_out(limit, then),
        }
    }
}

/// The words that close an error of an export that kept its rows: where they are, and the
/// exact command that continues it.
pub fn kept(partial: &std::path::Path, resume: &str) -> String {
    format!(
        ": the rows so far are kept in {}; `{resume}` continues the export",
        partial.display()
    )
}

/// An export that failed after it had written rows: the error, then [`kept`]; its exit
/// code is the error's.
pub fn failed(cause: anyhow::Error, partial: &std::path::Path, resume: &str) -> anyhow::Error {
    anyhow::Error::new(Failure {
        code: crate::exit::code_for(&cause),
        message: format!("{}{}", crate::exit::line(&cause), kept(partial, resume)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_step_out_of_time_stops_and_says_how_to_go_on() {
        let slow = tokio::time::sleep(Duration::from_secs(60));
        let stop = interruptible(slow, Some(Duration::from_secs(2)))
            .await
            .unwrap_err();
        assert_eq!(stop, Stop::TimedOut(Duration::from_secs(2)));
        let err = stop.error(&kept(
            "t.partial".as_ref(),
            "halo export tickets --out t --resume",
        ));
        assert_eq!(crate::exit::code_for(&err), crate::exit::TIMED_OUT);
        assert!(
            err.to_string()
                .ends_with("`halo export tickets --out t --resume` continues the export")
        );
        assert_eq!(interruptible(async { 7 }, None).await, Ok(7));
    }
}
