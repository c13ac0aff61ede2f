//! `halo api`: any of Halo's paths with the profile's auth.

use crate::commands::Globals;
use crate::context::Context;
use crate::exit::Failure;
use crate::output::{RowWriter, write_object};
use anyhow::Result;
use futures::TryStreamExt;
use halopsa::resource::{RESOURCES, Resource};
use halopsa::{ApiRequest, ListOptions, Method};
use serde_json::Value;

/// `halo api`.
#[derive(Debug, clap::Args)]
pub struct ApiArgs {
    /// The path below /api, e.g. Tickets/12 or /api/Tickets.
    pub path: String,
    /// HTTP method (default GET, or POST with --input).
    #[arg(short = 'X', long = "method", value_name = "METHOD")]
    pub method: Option<String>,
    /// A query parameter, NAME=VALUE (repeatable; sent as given, not checked).
    #[arg(short = 'q', long = "query", value_name = "NAME=VALUE")]
    pub query: Vec<String>,
    /// The JSON body, from FILE or - for standard input.
    #[arg(long, value_name = "FILE|-")]
    pub input: Option<String>,
    /// Walk every page (pageinate=true, page_no, page_size) and print all rows.
    #[arg(long)]
    pub paginate: bool,
    /// With -X DELETE: do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub requests: crate::session::RequestFlags,
}

/// Runs `halo api`, within its time bound (none for `--paginate`).
pub async fn run(ctx: &mut Context, globals: &Globals, args: ApiArgs) -> Result<()> {
    let timeout = args.requests.timeout(args.paginate);
    crate::session::bounded(timeout, call(ctx, globals, args)).await
}

async fn call(ctx: &mut Context, globals: &Globals, args: ApiArgs) -> Result<()> {
    let (pacing, output) = (&args.requests, &globals.output);
    let path = args.path.trim();
    let path = path
        .strip_prefix("/api/")
        .or_else(|| path.strip_prefix("api/"))
        .unwrap_or(path)
        .trim_start_matches('/')
        .to_string();
    let mut query = Vec::new();
    for pair in &args.query {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| Failure::usage(format!("-q '{pair}' is not name=value")))?;
        query.push((k.to_string(), v.to_string()));
    }
    let body = match args.input.as_deref() {
        Some(source) => Some(crate::input::read_json(ctx, source)?.1),
        None => None,
    };
    let method = match &args.method {
        Some(m) => Method::from_bytes(m.to_ascii_uppercase().as_bytes())
            .map_err(|_| Failure::usage(format!("'{m}' is not an HTTP method")))?,
        None if body.is_some() => Method::POST,
        None => Method::GET,
    };
    if method == Method::DELETE && !args.yes {
        crate::commands::resource::delete::confirmed(ctx, &format!("DELETE /api/{path}?"))?;
    }
    let session = ctx.session(globals.profile.as_deref(), pacing)?;
    let out = ctx.io.out();
    if args.paginate {
        if method != Method::GET {
            return Err(Failure::usage("--paginate walks the pages of a GET"));
        }
        let resource = resource_for(&path);
        let (stream, _) = session
            .client
            .resource(resource)
            .list(query, ListOptions::default());
        futures::pin_mut!(stream);
        let mut writer = RowWriter::new(out, output);
        while let Some(row) = stream.try_next().await? {
            writer.row(&row)?;
        }
        let note = writer.note();
        writer.finish()?.flush()?;
        if let Some(note) = note {
            writeln!(ctx.io.err(), "{note}")?;
        }
        return Ok(());
    }
    let mut req = ApiRequest::new(method, path);
    req.query = query;
    req.body = body;
    let resp = session.client.send(&req).await?;
    match serde_json::from_slice::<Value>(&resp.body) {
        Ok(v) => write_object(out, &v, output),
        Err(_) => {
            out.write_all(&resp.body)?;
            Ok(())
        }
    }
}

/// The table's row for `path`, or a generic paged row (bare list or the one array) for a path
/// the table does not know.
fn resource_for(path: &str) -> &'static Resource {
    RESOURCES
        .iter()
        .find(|r| r.path.eq_ignore_ascii_case(path))
        .unwrap_or_else(|| {
            // One small allocation for the life of this process.
            Box::leak(Box::new(Resource::generic(
                "api",
                Box::leak(path.to_string().into_boxed_str()),
            )))
        })
}
