//! What every command is given, as gh gives its `Factory`: the I/O streams (and whether each
//! is a terminal), the environment, where state lives, and the way to open a session.
//! Commands write only through it, so [`Context::test`] runs any of them in-process and
//! reads what it printed.

use crate::output::{Format, OutputOptions};
use crate::session::{RequestFlags, Session};
use anyhow::Result;
use std::collections::HashMap;
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// A command's world.
pub struct Context {
    /// Standard output, error and input.
    pub io: IoStreams,
    env: Env,
}

/// The three standard streams and what they are connected to.
pub struct IoStreams {
    out: Box<dyn Write + Send>,
    err: SharedWriter,
    input: Box<dyn Read + Send>,
    /// Whether standard output is a terminal.
    pub stdout_tty: bool,
    /// Whether standard error is a terminal.
    pub stderr_tty: bool,
    /// Whether standard input is a terminal.
    pub stdin_tty: bool,
    terminal_width: Option<usize>,
    /// The pager standard output goes through, once started.
    pager: Option<std::process::Child>,
}

impl IoStreams {
    /// Standard output.
    pub fn out(&mut self) -> &mut (dyn Write + Send) {
        &mut *self.out
    }

    /// Standard error.
    pub fn err(&mut self) -> &mut (dyn Write + Send) {
        &mut self.err
    }

    /// Standard error, for what runs beside the command (notes of long waits).
    pub fn err_writer(&self) -> SharedWriter {
        self.err.clone()
    }

    /// Standard input.
    pub fn input(&mut self) -> &mut (dyn Read + Send) {
        &mut *self.input
    }

    /// Standard output and standard error at once (for a command that writes rows to one
    /// while it reports on the other).
    pub fn split(&mut self) -> (&mut (dyn Write + Send), &mut (dyn Write + Send)) {
        (&mut *self.out, &mut self.err)
    }

    /// Whether a question may be asked: input and error both terminals.
    pub fn can_prompt(&self) -> bool {
        self.stdin_tty && self.stderr_tty
    }

    /// Sends standard output through `command` (a program and its arguments, run directly,
    /// not through a shell). Nothing changes when it cannot be started.
    fn page_through(&mut self, command: &str) {
        let mut words = command.split_whitespace();
        let Some(program) = words.next() else {
            return;
        };
        let started = std::process::Command::new(program)
            .args(words)
            .stdin(std::process::Stdio::piped())
            .spawn();
        if let Ok(mut child) = started
            && let Some(input) = child.stdin.take()
        {
            self.out = Box::new(input);
            self.pager = Some(child);
        }
    }

    /// Ends the pager, if one was started: its input is closed, and it is waited for (the
    /// person reads to the end, or quits it).
    pub fn close_pager(&mut self) {
        if let Some(mut child) = self.pager.take() {
            let _ = self.out.flush();
            self.out = Box::new(std::io::stdout());
            let _ = child.wait();
        }
    }
}

/// The environment variables a command sees: the process's, or a test's own.
#[derive(Debug, Clone, Default)]
pub struct Env {
    own: Option<HashMap<String, String>>,
}

impl Env {
    /// A variable, `None` when unset or empty.
    pub fn var(&self, name: &str) -> Option<String> {
        let value = match &self.own {
            Some(vars) => vars.get(name).cloned(),
            None => std::env::var(name).ok(),
        };
        value.filter(|v| !v.is_empty())
    }

    /// Whether a variable is set to something other than empty, `0`, `false`, `off` or `no`.
    pub fn flag(&self, name: &str) -> bool {
        self.var(name).is_some_and(|v| {
            !matches!(
                v.to_ascii_lowercase().as_str(),
                "0" | "false" | "off" | "no"
            )
        })
    }
}

impl Context {
    /// The process's own streams and environment.
    pub fn system() -> Context {
        Context {
            io: IoStreams {
                out: Box::new(std::io::stdout()),
                err: SharedWriter::new(std::io::stderr()),
                input: Box::new(std::io::stdin()),
                stdout_tty: std::io::stdout().is_terminal(),
                stderr_tty: std::io::stderr().is_terminal(),
                stdin_tty: std::io::stdin().is_terminal(),
                // A terminal that reports no size (0 columns) is of an unknown width.
                terminal_width: comfy_table::Table::new()
                    .width()
                    .map(usize::from)
                    .filter(|w| *w >= 20),
                pager: None,
            },
            env: Env::default(),
        }
    }

    /// A context for in-process tests: buffers for output (read them with the returned
    /// [`Captured`]), empty input, no terminal, and an environment of its own holding only
    /// `HALO_KEYRING=off` (add more with [`Context::env_var`]).
    pub fn test() -> (Context, Captured) {
        let captured = Captured::default();
        let mut vars = HashMap::new();
        vars.insert("HALO_KEYRING".to_string(), "off".to_string());
        let context = Context {
            io: IoStreams {
                out: Box::new(captured.out.clone()),
                err: SharedWriter::new(captured.err.clone()),
                input: Box::new(std::io::empty()),
                stdout_tty: false,
                stderr_tty: false,
                stdin_tty: false,
                terminal_width: None,
                pager: None,
            },
            env: Env { own: Some(vars) },
        };
        (context, captured)
    }

    /// Sets a variable of a test's environment (no effect on the process's).
    pub fn env_var(mut self, name: &str, value: impl Into<String>) -> Context {
        if let Some(vars) = &mut self.env.own {
            vars.insert(name.to_string(), value.into());
        }
        self
    }

    /// Feeds standard input.
    pub fn stdin(mut self, text: impl Into<Vec<u8>>) -> Context {
        self.io.input = Box::new(std::io::Cursor::new(text.into()));
        self
    }

    /// Pretends standard output (and error) are terminals `width` columns wide.
    pub fn terminal(mut self, width: usize) -> Context {
        self.io.stdout_tty = true;
        self.io.stderr_tty = true;
        self.io.terminal_width = Some(width);
        self
    }

    /// The environment.
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// Long output on a terminal goes through a pager: `HALO_PAGER`, else `PAGER`, else
    /// `less -FRX` (which leaves a screenful on the screen and quits); never when standard
    /// output is no terminal, nor with `--no-pager`, nor when the pager named is empty or
    /// `cat`.
    pub fn start_pager(&mut self, wanted: bool) {
        if !wanted || !self.io.stdout_tty || self.io.pager.is_some() {
            return;
        }
        let command = self
            .env
            .var("HALO_PAGER")
            .or_else(|| self.env.var("PAGER"))
            .unwrap_or_else(|| "less -FRX".to_string());
        if command.trim() == "cat" {
            return;
        }
        // In a test context, output stays in the buffer.
        if self.env.own.is_some() {
            return;
        }
        self.io.page_through(&command);
    }

    /// Where profiles, secrets and tokens live: `$HALO_CONFIG_DIR`, else the platform's
    /// config dir plus `halo`.
    pub fn config_dir(&self) -> Result<PathBuf> {
        crate::config::config_dir(&self.env)
    }

    /// How to print, from the user's choices and what standard output is (see
    /// [`OutputOptions`]): `HALO_FORCE_TTY` prints as on a terminal, `COLUMNS` sets the width,
    /// `NO_COLOR` turns styling off.
    pub fn output(&self, format: Option<Format>, columns: Option<Vec<String>>) -> OutputOptions {
        let is_tty = self.io.stdout_tty || self.env.flag("HALO_FORCE_TTY");
        let width = self.io.terminal_width;
        OutputOptions::resolve(
            format,
            columns,
            is_tty,
            self.env.var("COLUMNS"),
            self.env.var("NO_COLOR").is_some(),
            || width,
        )
    }

    /// The session a command talks to Halo through: the named (or current) profile, or the
    /// environment's `HALO_URL` and friends.
    pub fn session(&self, profile: Option<&str>, requests: &RequestFlags) -> Result<Session> {
        crate::session::open(self, profile, requests)
    }
}

/// A writer that several holders share (standard error: the command, and what tells of
/// long waits while it runs).
#[derive(Clone)]
pub struct SharedWriter(Arc<Mutex<Box<dyn Write + Send>>>);

impl SharedWriter {
    fn new(inner: impl Write + Send + 'static) -> SharedWriter {
        SharedWriter(Arc::new(Mutex::new(Box::new(inner))))
    }
}

impl Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.lock() {
            Ok(mut w) => w.write(buf),
            Err(_) => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.0.lock() {
            Ok(mut w) => w.flush(),
            Err(_) => Ok(()),
        }
    }
}

/// What a test context's commands printed.
#[derive(Clone, Default)]
pub struct Captured {
    out: SharedBuf,
    err: SharedBuf,
}

impl Captured {
    /// Standard output so far.
    pub fn out(&self) -> String {
        self.out.text()
    }

    /// Standard error so far.
    pub fn err(&self) -> String {
        self.err.text()
    }
}

/// A buffer written by a context and read by its test.
#[derive(Clone, Default)]
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl SharedBuf {
    fn text(&self) -> String {
        let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
