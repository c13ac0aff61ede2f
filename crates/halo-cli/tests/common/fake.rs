//! `halo` against a fake Halo ([`halo_sandbox::fake`]) that misbehaves as a test asks.

use halo_sandbox::fake::{Fake, Seen};

/// The client secret [`command`] sends.
pub const FAKE_SECRET: &str = "fake-S3cret-value/42";

/// Starts a fake on `rt`.
pub fn start(
    rt: &tokio::runtime::Runtime,
    reply: impl Fn(&Seen) -> axum::response::Response + Send + Sync + 'static,
) -> Fake {
    rt.block_on(Fake::start(reply)).unwrap()
}

/// `halo` connected to `fake` through the environment (HALO_URL and friends).
pub fn halo_at(fake: &Fake, config_dir: &std::path::Path) -> assert_cmd::Command {
    assert_cmd::Command::from_std(command(fake, config_dir))
}

/// [`halo_at`] as a plain process command.
pub fn command(fake: &Fake, config_dir: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("halo"));
    for (k, _) in std::env::vars() {
        if k.starts_with("HALO_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    cmd.env("HALO_CONFIG_DIR", config_dir)
        .env("HALO_KEYRING", "off")
        .env("NO_COLOR", "1")
        .env("HALO_URL", &fake.url)
        .env("HALO_CLIENT_ID", "fake-client")
        .env("HALO_CLIENT_SECRET", FAKE_SECRET)
        .env("HALO_AUTH_URL", format!("{}/auth", fake.url));
    cmd
}
