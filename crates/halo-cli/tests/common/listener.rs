//! A running `halo webhook listen` for the webhook tests: its address read from its first
//! line, its standard error read line by line as it comes.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// `halo` with no inherited HALO_* variables and a config and data directory of its own.
pub fn halo(dir: &Path) -> Command {
    let mut cmd = super::halo_process(&dir.join("config"));
    cmd.env("HALO_DATA_DIR", dir.join("data"));
    cmd
}

pub struct Listener {
    pub child: Child,
    pub url: String,
    /// The lines it printed on start.
    pub intro: Vec<String>,
    errors: mpsc::Receiver<String>,
}

impl Listener {
    /// `halo webhook listen --bind 127.0.0.1:0 ARGS` in `dir`, with `env` set.
    pub fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Listener {
        let mut cmd = halo(dir);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Listener::spawn(cmd, args)
    }

    /// `cmd webhook listen --bind 127.0.0.1:0 ARGS`, once it has said where it listens.
    pub fn spawn(mut cmd: Command, args: &[&str]) -> Listener {
        cmd.args(["webhook", "listen", "--bind", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut intro = Vec::new();
        for _ in 0..5 {
            let mut line = String::new();
            out.read_line(&mut line).unwrap();
            intro.push(line.trim_end().to_string());
        }
        let url = intro[0]
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("{intro:?}"))
            .to_string();
        let (tx, errors) = mpsc::channel();
        let err = BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for line in err.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Listener {
            child,
            url,
            intro,
            errors,
        }
    }

    /// The next line on standard error containing `text` (the lines before it skipped).
    pub fn wait_for_line(&self, text: &str) -> String {
        loop {
            let line = self
                .errors
                .recv_timeout(Duration::from_secs(120))
                .unwrap_or_else(|e| panic!("no line with {text:?}: {e}"));
            if line.contains(text) {
                return line;
            }
        }
    }

    /// The lines on standard error not read yet.
    pub fn lines_so_far(&self) -> Vec<String> {
        self.errors.try_iter().collect()
    }

    /// A counter of `/metrics`.
    pub async fn metric(&self, http: &reqwest::Client, name: &str) -> f64 {
        let text = http
            .get(format!("{}/metrics", self.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("{name} not in\n{text}"))
    }

    /// SIGTERM, then the exit status and every line on standard error not read yet.
    #[cfg(unix)]
    pub fn terminate(mut self) -> (ExitStatus, Vec<String>) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: kill with a pid this test spawned and has not reaped.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
        let status = self.child.wait().unwrap();
        let lines = self.errors.iter().collect();
        (status, lines)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
