//! The `--exec` handler: a program run directly (no shell) per event, the event's JSON on its
//! standard input; exit 0 is handled, anything else (or running past the time limit) a
//! failure, retried.

use crate::dispatch::{Handler, HandlerError, HandlerFuture};
use crate::journal::Event;
use std::ffi::OsString;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How much of the program's standard error an error quotes (its end).
const STDERR_KEPT: usize = 2048;

/// Runs a program per event.
#[derive(Debug, Clone)]
pub struct Exec {
    program: OsString,
    args: Vec<OsString>,
    timeout: Duration,
    hidden: Vec<String>,
}

impl Exec {
    /// `program` with `args`, each attempt stopped (and failed) after `timeout`.
    pub fn new(program: impl Into<OsString>, args: Vec<OsString>, timeout: Duration) -> Exec {
        Exec {
            program: program.into(),
            args,
            timeout,
            hidden: Vec::new(),
        }
    }

    /// Leaves the environment variable `name` out of the program's environment (a secret
    /// the receiver was given).
    pub fn hide_env(mut self, name: &str) -> Exec {
        self.hidden.push(name.to_string());
        self
    }

    async fn run(&self, event: &Event) -> Result<(), String> {
        let mut command = tokio::process::Command::new(&self.program);
        command
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .env("HALO_WEBHOOK_SEQ", event.seq.to_string())
            .env("HALO_WEBHOOK_ATTEMPT", (event.attempts + 1).to_string());
        for (name, value) in [
            ("HALO_WEBHOOK_EVENT", &event.fields.event),
            ("HALO_WEBHOOK_OBJECT_ID", &event.fields.object_id),
            ("HALO_WEBHOOK_ID", &event.fields.delivery_id),
        ] {
            match value {
                Some(v) => command.env(name, v),
                None => command.env_remove(name),
            };
        }
        for name in &self.hidden {
            command.env_remove(name);
        }
        let mut child = command.spawn().map_err(|e| {
            format!(
                "cannot run {}: {e}",
                std::path::Path::new(&self.program).display()
            )
        })?;
        let mut stdin = child.stdin.take();
        let mut stderr = child.stderr.take();
        let body = event.body.as_bytes();
        let feed = async {
            if let Some(stdin) = stdin.as_mut() {
                // A program that exits without reading its input is its own business.
                let _ = stdin.write_all(body).await;
                let _ = stdin.shutdown().await;
            }
            drop(stdin.take());
        };
        let read_err = async {
            let mut kept = Vec::new();
            if let Some(stderr) = stderr.as_mut() {
                let mut buf = [0u8; 4096];
                while let Ok(n) = stderr.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    kept.extend_from_slice(&buf[..n]);
                    if kept.len() > STDERR_KEPT {
                        kept.drain(..kept.len() - STDERR_KEPT);
                    }
                }
            }
            kept
        };
        let work = async {
            let ((), kept, status) = tokio::join!(feed, read_err, child.wait());
            (kept, status)
        };
        let done = tokio::time::timeout(self.timeout, work).await;
        let (kept, status) = match done {
            Ok(done) => done,
            Err(_) => {
                let _ = child.kill().await;
                return Err(format!(
                    "still running after {} s: stopped",
                    self.timeout.as_secs_f64()
                ));
            }
        };
        let status = status.map_err(|e| format!("cannot wait for the program: {e}"))?;
        if status.success() {
            return Ok(());
        }
        let said = String::from_utf8_lossy(&kept);
        let last = said.lines().rev().find(|l| !l.trim().is_empty());
        let how = match status.code() {
            Some(code) => format!("exit {code}"),
            None => "killed by a signal".to_string(),
        };
        Err(match last {
            Some(line) => format!("{how}: {}", line.trim()),
            None => how,
        })
    }
}

impl Handler for Exec {
    fn handle<'a>(&'a self, event: &'a Event) -> HandlerFuture<'a> {
        Box::pin(async move { self.run(event).await.map_err(HandlerError) })
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::journal::Status;
    use crate::payload::Fields;

    fn event() -> Event {
        Event {
            seq: 7,
            fields: Fields {
                object_id: Some("12".into()),
                event: Some("ticket updated".into()),
                ..Fields::default()
            },
            received_at: jiff::Timestamp::UNIX_EPOCH,
            status: Status::Pending,
            attempts: 0,
            last_error: None,
            finished_at: None,
            body: r#"{"object_id":12}"#.into(),
        }
    }

    fn sh(script: &str) -> Exec {
        Exec::new(
            "/bin/sh",
            vec!["-c".into(), script.into()],
            Duration::from_secs(30),
        )
    }

    #[tokio::test]
    async fn the_event_goes_in_on_stdin_and_exit_zero_is_done() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("got");
        let script = format!(
            "cat > {0}; echo \" $HALO_WEBHOOK_SEQ $HALO_WEBHOOK_OBJECT_ID $HALO_WEBHOOK_EVENT\" >> {0}",
            out.display()
        );
        sh(&script).handle(&event()).await.unwrap();
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            "{\"object_id\":12} 7 12 ticket updated\n"
        );
    }

    #[tokio::test]
    async fn a_failure_says_its_exit_code_and_last_words() {
        let err = sh("echo first >&2; echo 'no database' >&2; exit 3")
            .handle(&event())
            .await
            .unwrap_err();
        assert_eq!(err.0, "exit 3: no database");
        let missing = Exec::new("/nonexistent/handler", vec![], Duration::from_secs(1))
            .handle(&event())
            .await
            .unwrap_err();
        assert!(
            missing.0.starts_with("cannot run /nonexistent/handler"),
            "{missing}"
        );
    }

    #[tokio::test]
    async fn a_hidden_variable_is_not_passed_on() {
        // HOME stands for the secret: set in any test run, and read by nothing here.
        assert!(std::env::var_os("HOME").is_some());
        let check = "test -z \"$HOME\"";
        assert!(sh(check).hide_env("HOME").handle(&event()).await.is_ok());
        assert!(sh(check).handle(&event()).await.is_err());
    }
}
