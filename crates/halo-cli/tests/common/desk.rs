//! In-process CLI tests: `halo` run through `Context::test()` against a sandbox on loopback,
//! with a config dir of its own.

use super::{CLIENT_ID, SECRET};
use halo_cli::{Captured, Context};
use halo_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;

/// A sandbox and a config dir of its own.
pub struct Desk {
    pub sandbox: Sandbox,
    pub dir: tempfile::TempDir,
}

/// What one command did.
pub struct Ran {
    pub code: u8,
    pub printed: Captured,
}

impl Ran {
    pub fn ok(self) -> Ran {
        assert_eq!(self.code, 0, "{}", self.printed.err());
        self
    }

    pub fn json(self) -> Value {
        let out = self.ok().printed.out();
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    }
}

impl Desk {
    /// A sandbox seeded with `tickets`, no profile yet.
    pub async fn new(tickets: u64) -> Desk {
        Desk::start(SandboxConfig {
            seed_tickets: tickets,
            ..SandboxConfig::default()
        })
        .await
    }

    /// A sandbox started with `config`, no profile yet.
    pub async fn start(config: SandboxConfig) -> Desk {
        Desk {
            sandbox: Sandbox::start(config).await.unwrap(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// [`Desk::new`] with `halo connect` done (client credentials, secret on stdin).
    pub async fn connected(tickets: u64) -> Desk {
        Desk::connected_with(SandboxConfig {
            seed_tickets: tickets,
            ..SandboxConfig::default()
        })
        .await
    }

    /// [`Desk::start`] with `halo connect` done.
    pub async fn connected_with(config: SandboxConfig) -> Desk {
        let desk = Desk::start(config).await;
        let url = desk.sandbox.url();
        let line = [
            "connect",
            "--url",
            &url,
            "--client-id",
            CLIENT_ID,
            "--client-secret-stdin",
        ];
        desk.halo_with(&line, SECRET).await.ok();
        desk
    }

    pub async fn halo(&self, line: &[&str]) -> Ran {
        self.halo_with(line, "").await
    }

    pub async fn halo_with(&self, line: &[&str], stdin: &str) -> Ran {
        let (ctx, printed) = Context::test();
        let mut ctx = ctx
            .env_var("HALO_CONFIG_DIR", self.dir.path().to_string_lossy())
            .stdin(stdin);
        let code = halo_cli::run(
            &mut ctx,
            std::iter::once("halo").chain(line.iter().copied()),
        )
        .await;
        Ran { code, printed }
    }

    /// The sandbox's own record of an object, read past the CLI's resource commands.
    pub async fn stored(&self, path: &str) -> Value {
        self.halo(&["api", path, "-o", "json"]).await.json()
    }

    /// The sandbox's own record of a ticket.
    pub async fn ticket(&self, id: &str) -> Value {
        self.stored(&format!("Tickets/{id}")).await
    }

    /// The POSTs the API has been sent (token requests left out).
    pub fn posts(&self) -> usize {
        self.sandbox
            .journal()
            .iter()
            .filter(|e| e.method == "POST" && e.path.starts_with("/api"))
            .count()
    }
}
