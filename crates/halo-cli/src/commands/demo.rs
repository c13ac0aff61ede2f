//! `halo demo`: the main job against an in-process sandbox, over real loopback HTTP.

use anyhow::{Context, Result};
use halo_sandbox::{Sandbox, SandboxConfig};
use halopsa::{Client, ConnectionSettings, Grant};
use secrecy::SecretString;

/// Runs the demo.
pub async fn run() -> Result<()> {
    let config = SandboxConfig::default();
    let sandbox = Sandbox::start(config.clone())
        .await
        .context("cannot start the sandbox")?;
    let url = sandbox.url();
    println!(
        "sandbox listening on {url} (tenant '{}')",
        config.tenant.as_deref().unwrap_or("")
    );
    let app = &config.clients[0];
    let user = &config.users[0];

    println!("\n1. connect with client credentials (tenant discovered via /api/authinfo)");
    let settings = ConnectionSettings::new(
        &url,
        &app.id,
        Grant::ClientCredentials {
            client_secret: SecretString::from(app.secret.clone().unwrap_or_default()),
        },
    )?;
    super::print_report(&Client::new(settings)?.test_connection().await?);

    println!("\n2. connect as an agent with the password grant (scope: all offline_access)");
    let settings = ConnectionSettings::new(
        &url,
        &app.id,
        Grant::Password {
            username: user.username.clone(),
            password: SecretString::from(user.password.clone()),
            client_secret: None,
        },
    )?
    .with_scopes(["all", "offline_access"])?;
    let client = Client::new(settings)?;
    super::print_report(&client.test_connection().await?);

    println!("\n3. the sandbox revokes every token; the next call renews once and retries once");
    sandbox.revoke_tokens();
    sandbox.clear_journal();
    super::print_report(&client.test_connection().await?);
    for e in sandbox.journal() {
        let grant = e.form.as_ref().and_then(|f| {
            f.iter()
                .find(|(k, _)| k == "grant_type")
                .map(|(_, v)| format!(" grant_type={v}"))
        });
        println!(
            "  sandbox saw: {} {} -> {}{}",
            e.method,
            e.path,
            e.status,
            grant.unwrap_or_default()
        );
    }

    println!("\n4. a wrong secret gives a clear error (exit code 3 from the CLI)");
    let wrong = ConnectionSettings::new(
        &url,
        &app.id,
        Grant::ClientCredentials {
            client_secret: SecretString::from("not-the-secret"),
        },
    )?;
    match Client::new(wrong)?.test_connection().await {
        Err(e) => println!("  error: {e}"),
        Ok(_) => anyhow::bail!("the sandbox accepted a wrong secret"),
    }

    let stats = sandbox.stats();
    println!(
        "\nsandbox served {} requests ({} token requests)",
        stats.requests, stats.token_requests
    );
    sandbox.shutdown().await;
    Ok(())
}
