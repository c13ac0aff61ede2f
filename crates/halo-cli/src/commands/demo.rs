//! `halo demo`: the main job against an in-process sandbox, over real loopback HTTP: connect
//! with each grant, list, create, update, delete, export.

use crate::context::Context;
use crate::output::{Format, OutputOptions, RowWriter};
use anyhow::{Context as _, Result};
use futures::TryStreamExt;
use halo_sandbox::{Sandbox, SandboxConfig};
use halopsa::resource::find;
use halopsa::{Client, ConnectionSettings, Grant, ListOptions};
use secrecy::SecretString;
use serde_json::json;

/// Runs the demo.
pub async fn run(ctx: &mut Context) -> Result<()> {
    let config = SandboxConfig::default();
    let sandbox = Sandbox::start(config.clone())
        .await
        .context("cannot start the sandbox")?;
    let url = sandbox.url();
    writeln!(
        ctx.io.out(),
        "sandbox listening on {url} (tenant '{}')",
        config.tenant.as_deref().unwrap_or("")
    )?;
    let app = &config.clients[0];
    let user = &config.users[0];

    writeln!(
        ctx.io.out(),
        "\n1. connect with client credentials (tenant discovered via /api/authinfo)"
    )?;
    let settings = ConnectionSettings::new(
        &url,
        &app.id,
        Grant::ClientCredentials {
            client_secret: SecretString::from(app.secret.clone().unwrap_or_default()),
        },
    )?;
    super::print_report(
        ctx.io.out(),
        &Client::new(settings)?.test_connection().await?,
    )?;

    writeln!(
        ctx.io.out(),
        "\n2. connect as an agent with the password grant (scope: all offline_access)"
    )?;
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
    super::print_report(ctx.io.out(), &client.test_connection().await?)?;

    writeln!(
        ctx.io.out(),
        "\n3. the sandbox revokes every token; the next call renews once and retries once"
    )?;
    sandbox.revoke_tokens();
    sandbox.clear_journal();
    super::print_report(ctx.io.out(), &client.test_connection().await?)?;
    for e in sandbox.journal() {
        let grant = e.form.as_ref().and_then(|f| {
            f.iter()
                .find(|(k, _)| k == "grant_type")
                .map(|(_, v)| format!(" grant_type={v}"))
        });
        writeln!(
            ctx.io.out(),
            "  sandbox saw: {} {} -> {}{}",
            e.method,
            e.path,
            e.status,
            grant.unwrap_or_default()
        )?;
    }

    writeln!(
        ctx.io.out(),
        "\n4. a wrong secret gives a clear error (exit code 3 from the CLI)"
    )?;
    let wrong = ConnectionSettings::new(
        &url,
        &app.id,
        Grant::ClientCredentials {
            client_secret: SecretString::from("not-the-secret"),
        },
    )?;
    match Client::new(wrong)?.test_connection().await {
        Err(e) => writeln!(ctx.io.out(), "  error: {e}")?,
        Ok(_) => anyhow::bail!("the sandbox accepted a wrong secret"),
    }

    writeln!(
        ctx.io.out(),
        "\n5. the five newest open tickets (the same call as `halo tickets list --open-only --order id --orderdesc --limit 5`)"
    )?;
    let tickets = client.resource(find("tickets").context("no tickets resource")?);
    let query = vec![
        ("open_only".to_string(), "true".to_string()),
        ("order".to_string(), "id".to_string()),
        ("orderdesc".to_string(), "true".to_string()),
    ];
    let (stream, _) = tickets.list(
        query,
        ListOptions {
            page_size: 100,
            limit: Some(5),
            ..ListOptions::default()
        },
    );
    let rows: Vec<serde_json::Value> = stream.try_collect().await?;
    let table = OutputOptions {
        format: Some(Format::Table),
        columns: Some(
            ["id", "summary", "client_name", "status_name", "agent_name"]
                .map(String::from)
                .to_vec(),
        ),
        is_tty: true,
        width: Some(110),
        color: false,
    };
    let mut writer = RowWriter::new(ctx.io.out(), &table);
    for row in &rows {
        writer.row(row)?;
    }
    writer.finish()?.flush()?;
    let open = tickets
        .count(&[("open_only".to_string(), "true".to_string())])
        .await?;
    writeln!(ctx.io.out(), "  ({open} open tickets in all)")?;

    writeln!(
        ctx.io.out(),
        "\n6. create a ticket, update it, show it, delete it"
    )?;
    let created = tickets
        .create(vec![json!({"summary": "Demo: printer on floor 2 offline", "client_id": 1, "site_id": 1, "details": "Raised by halo demo"})])
        .await?;
    let id = halopsa::id::id_text(&created[0]["id"]);
    writeln!(
        ctx.io.out(),
        "  created ticket {id} for {}",
        created[0]["client_name"].as_str().unwrap_or("?")
    )?;
    tickets
        .update(vec![json!({"id": created[0]["id"], "status_id": 2, "summary": "Demo: printer on floor 2 offline (engineer on site)"})], true)
        .await?;
    let shown = tickets.get(&id, &[]).await?;
    writeln!(
        ctx.io.out(),
        "  updated: '{}', status {}",
        shown["summary"].as_str().unwrap_or(""),
        shown["status_name"].as_str().unwrap_or("")
    )?;
    tickets
        .delete(&id, &[("reason".to_string(), "demo".to_string())])
        .await?;
    match tickets.get(&id, &[]).await {
        Err(e) if e.is_not_found() => writeln!(
            ctx.io.out(),
            "  deleted (soft: listed with deleted=true, restorable with _recover)"
        )?,
        other => anyhow::bail!("ticket {id} still readable after delete: {other:?}"),
    }

    bulk_update(ctx, &client).await?;

    writeln!(
        ctx.io.out(),
        "\n8. export every ticket to NDJSON (pages fetched 4 at a time, written in order)"
    )?;
    // Under a name no one can guess, created exclusively: a shared temp dir is no place for
    // a predictable one (a planted link would be followed).
    let (path, file) =
        crate::fsutil::create_temp(&std::env::temp_dir().join("halo-demo.ndjson"), true)?;
    let started = std::time::Instant::now();
    let file = std::io::BufWriter::new(file);
    let (rows, pages) = crate::commands::export::ndjson(&tickets, Box::new(file)).await?;
    writeln!(
        ctx.io.out(),
        "  {rows} tickets in {} pages to {} ({} KB) in {} ms",
        pages,
        path.display(),
        std::fs::metadata(&path)?.len() / 1024,
        started.elapsed().as_millis()
    )?;
    std::fs::remove_file(&path)?;

    sql_query(ctx, &client).await?;
    attachment_round_trip(ctx, &client).await?;
    mirror(ctx, &sandbox, &client).await?;
    agent_tools(ctx, &client).await?;

    let stats = sandbox.stats();
    writeln!(
        ctx.io.out(),
        "\nsandbox served {} requests ({} token requests)",
        stats.requests,
        stats.token_requests
    )?;
    sandbox.shutdown().await;
    Ok(())
}

/// Step 11: a local mirror: a full sync, a few changes, an incremental sync that fetches
/// only those, then a search and a query with no API request.
async fn mirror(ctx: &mut Context, sandbox: &Sandbox, client: &Client) -> Result<()> {
    use halo_mirror::sync::{Plan, Quiet, sync};
    writeln!(
        ctx.io.out(),
        "\n11. a local mirror in SQLite (`halo sync`, then `halo search` and `halo query`)"
    )?;
    let dir = tempfile::Builder::new().prefix("halo-demo-").tempdir()?;
    let target = halo_mirror::Target::Sqlite(dir.path().join("mirror.sqlite"));
    let mirror = halo_mirror::Mirror::open(&target).await?;
    let plan = Plan::new(Plan::tables(None)?);
    let show = |ctx: &mut Context, what: &str, s: &halo_mirror::RunSummary| -> Result<()> {
        let lines: Vec<String> = s
            .resources
            .iter()
            .filter(|l| l.new + l.changed + l.deleted > 0)
            .map(|l| format!("{} +{} ~{} -{}", l.table, l.new, l.changed, l.deleted))
            .collect();
        writeln!(
            ctx.io.out(),
            "  {what}: {} requests; {}",
            s.requests,
            lines.join(", ")
        )?;
        Ok(())
    };
    let full = sync(client, &mirror, &plan, &Quiet).await?;
    show(ctx, "first sync", &full)?;
    let churn = sandbox
        .churn(
            halo_sandbox::Churn::new(1)
                .change(5)
                .delete(1)
                .create(2)
                .actions(3),
        )
        .await?;
    writeln!(
        ctx.io.out(),
        "  the sandbox changes 5 tickets, deletes 1 ({:?}), creates 2, adds actions to 3",
        churn.deleted
    )?;
    let again = sync(client, &mirror, &plan, &Quiet).await?;
    show(
        ctx,
        "second sync (a request per resource, only what changed since in the replies)",
        &again,
    )?;
    for hit in mirror.search("printer", 3).await? {
        writeln!(
            ctx.io.out(),
            "  search 'printer': ticket {} {}: {}",
            hit.ticket_id,
            hit.summary,
            hit.snippet
        )?;
    }
    let sql =
        "SELECT status_id, COUNT(*) AS tickets FROM tickets GROUP BY status_id ORDER BY status_id";
    writeln!(ctx.io.out(), "  halo query \"{sql}\"")?;
    let table = mirror.query(sql).await?;
    print_table(ctx, &table)?;
    Ok(())
}

/// Step 12: the tools `halo mcp` gives an AI agent, called in-process: concise answers beside
/// detailed ones, a bad argument and a write refused as tool errors.
async fn agent_tools(ctx: &mut Context, client: &Client) -> Result<()> {
    writeln!(
        ctx.io.out(),
        "\n12. the tools `halo mcp` gives an AI agent (read-only unless --allow-writes)"
    )?;
    let dir = tempfile::Builder::new().prefix("halo-demo-").tempdir()?;
    let session = crate::session::Session {
        client: client.clone(),
        source: crate::session::Source::Environment,
        names_file: dir.path().join("names.json"),
    };
    let server = super::mcp::server(session, None, 25_000, None, (&[], false));
    let names: Vec<String> = server.tools().iter().map(|t| t.name.to_string()).collect();
    writeln!(
        ctx.io.out(),
        "  {} tools: {}",
        names.len(),
        names.join(", ")
    )?;
    let calls = [
        ("halo_open_tickets", json!({"page_size": 25})),
        (
            "halo_open_tickets",
            json!({"page_size": 25, "response_format": "detailed"}),
        ),
        ("halo_client_card", json!({"client": "1"})),
        ("halo_get_ticket", json!({"ticket_id": "many"})),
        ("halo_close_ticket", json!({"ticket_id": 1})),
    ];
    for (name, args) in calls {
        let serde_json::Value::Object(map) = args.clone() else {
            continue;
        };
        let result = server
            .call(name, map)
            .await
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        let text: String = result
            .content
            .iter()
            .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
            .collect();
        if result.is_error == Some(true) {
            writeln!(ctx.io.out(), "  {name} {args} -> tool error: {text}")?;
        } else {
            writeln!(
                ctx.io.out(),
                "  {name} {args} -> {} characters (about {} tokens)",
                text.len(),
                text.len() / 4
            )?;
        }
    }
    Ok(())
}

/// Prints rows as a table fitted to 110 columns.
fn print_table(ctx: &mut Context, table: &halopsa::reports::ReportTable) -> Result<()> {
    let options = OutputOptions {
        format: Some(Format::Table),
        columns: None,
        is_tty: true,
        width: Some(110),
        color: false,
    };
    crate::commands::query_rows::rows(ctx.io.out(), &options, table)?.flush()?;
    Ok(())
}

/// Step 9: one SQL query for what would take a walk of every ticket.
async fn sql_query(ctx: &mut Context, client: &Client) -> Result<()> {
    let sql = "SELECT TOP 5 a.Aareadesc AS Client, COUNT(*) AS [Open tickets] \
               FROM Faults f JOIN Area a ON a.Aarea = f.Areaint \
               WHERE f.Status NOT IN (8, 9) GROUP BY a.Aareadesc ORDER BY COUNT(*) DESC";
    writeln!(
        ctx.io.out(),
        "\n9. open tickets per client in one request instead of a walk of every ticket (`halo sql`)\n  {}",
        sql.split_whitespace().collect::<Vec<_>>().join(" ")
    )?;
    let table = client.run_sql(sql).await?;
    print_table(ctx, &table)?;
    let refused = "DELETE FROM Faults";
    match halopsa::sql::check(refused) {
        Err(e) => writeln!(ctx.io.out(), "  `halo sql \"{refused}\"`: {e}")?,
        Ok(()) => anyhow::bail!("the read-only guard let {refused} through"),
    }
    Ok(())
}

/// Step 10: a file attached to a ticket and downloaded back; a hostile server-given name.
async fn attachment_round_trip(ctx: &mut Context, client: &Client) -> Result<()> {
    writeln!(
        ctx.io.out(),
        "\n10. attach a file to ticket 1 and download it back (`halo attachments upload|download`)"
    )?;
    let bytes: Vec<u8> = (0..256 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let data = std::sync::Arc::new(bytes);
    let source = std::sync::Arc::clone(&data);
    let upload = halopsa::attachments::Upload {
        ticket_id: 1,
        action_id: None,
        filename: "demo-capture.bin".into(),
        note: Some("attached by halo demo".into()),
        length: data.len() as u64,
        open: std::sync::Arc::new(move || {
            let reader = std::io::Cursor::new(source.as_ref().clone());
            Ok(Box::new(reader) as Box<dyn tokio::io::AsyncRead + Send + Unpin>)
        }),
    };
    let files = client.attachments();
    let saved = files.upload(&upload).await?;
    let id = saved
        .first()
        .and_then(|a| a.id)
        .and_then(|id| u64::try_from(id.0).ok())
        .context("Halo answered the upload without an id")?;
    let mut download = files.download(id).await?;
    let mut back = Vec::with_capacity(data.len());
    while let Some(chunk) = download.body.chunk().await? {
        back.extend_from_slice(&chunk);
    }
    writeln!(
        ctx.io.out(),
        "  uploaded {} KB as attachment {id}, downloaded '{}' back: {}",
        data.len() / 1024,
        download.name,
        if back == *data {
            "identical, byte for byte"
        } else {
            "DIFFERENT"
        }
    )?;
    anyhow::ensure!(
        back == *data,
        "the downloaded file differs from the uploaded one"
    );
    for file in files.list(2, None).await? {
        let given = file.filename.clone().unwrap_or_default();
        let id = file.id.and_then(|id| u64::try_from(id.0).ok()).unwrap_or(0);
        let name = halopsa::attachments::safe_file_name(&given, id);
        writeln!(
            ctx.io.out(),
            "  ticket 2's attachment {id}: the server names it '{given}', saved as '{name}'"
        )?;
    }
    Ok(())
}

/// Step 7: 100 tickets changed from a CSV, one row naming a client that does not exist.
async fn bulk_update(ctx: &mut Context, client: &Client) -> Result<()> {
    use super::resource::args::BulkFlags;
    use super::resource::bulk;
    writeln!(
        ctx.io.out(),
        "\n7. change 100 tickets from a CSV, one row naming a client that does not exist (`halo tickets update --from changes.csv`)"
    )?;
    let dir = tempfile::Builder::new().prefix("halo-demo-").tempdir()?;
    let csv = dir.path().join("changes.csv");
    let mut text = String::from("id,status,summary,client_id\n");
    for id in 1..=100 {
        let client_id = if id == 42 { "999" } else { "" };
        text.push_str(&format!(
            "{id},In Progress,Checked by the demo ({id}),{client_id}\n"
        ));
    }
    std::fs::write(&csv, text)?;
    let session = crate::session::Session {
        client: client.clone(),
        source: crate::session::Source::Environment,
        names_file: dir.path().join("names.json"),
    };
    let flags = BulkFlags {
        from: Some(csv.to_string_lossy().into_owned()),
        from_format: None,
        batch: None,
        concurrency: 4,
        results: None,
        rejects: None,
        resume: false,
        empty_as_null: false,
    };
    let job = bulk::Job {
        op: halopsa::bulk::BulkOp::Update,
        flags: &flags,
        sets: &[],
        named: &Vec::new(),
        custom: &Default::default(),
        timeout: None,
        dry_run: false,
        yes: false,
        allow_unknown: false,
        skip_check: false,
        ticket_id: None,
    };
    let globals = super::Globals {
        profile: None,
        output: OutputOptions {
            format: None,
            columns: None,
            is_tty: true,
            width: Some(110),
            color: false,
        },
        pager: false,
    };
    let api = client.resource(find("tickets").context("no tickets resource")?);
    match bulk::run(ctx, &globals, &session, &api, job).await {
        Err(e) if crate::exit::code_for(&e) == crate::exit::OTHER => {
            writeln!(ctx.io.out(), "  {e}")?;
        }
        Err(e) => return Err(e),
        Ok(()) => anyhow::bail!("the sandbox accepted a client that does not exist"),
    }
    let rejects = std::fs::read_to_string(dir.path().join("changes.rejects.csv"))?;
    writeln!(ctx.io.out(), "  changes.rejects.csv:")?;
    for line in rejects.lines() {
        writeln!(ctx.io.out(), "    {line}")?;
    }

    writeln!(
        ctx.io.out(),
        "  one custom field by its label (`halo tickets update 9 --field Region=West`): the ticket's others are posted back as they were"
    )?;
    let defs = halopsa::custom_fields::fetch(client, api.resource()).await?;
    let shown = |ticket: &serde_json::Value| -> String {
        ticket["customfields"]
            .as_array()
            .map(|fields| {
                fields
                    .iter()
                    .map(|f| {
                        format!(
                            "{}={}",
                            f["label"].as_str().unwrap_or("?"),
                            f["display"].as_str().unwrap_or("")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    let before = api.get("9", &[]).await?;
    let existing = before["customfields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let array = halopsa::custom_fields::to_post(&defs, &existing, &[("Region", "West")])?;
    api.update(vec![json!({"id": 9, "customfields": array})], true)
        .await?;
    writeln!(ctx.io.out(), "    before: {}", shown(&before))?;
    writeln!(
        ctx.io.out(),
        "    after:  {}",
        shown(&api.get("9", &[]).await?)
    )?;
    Ok(())
}
