//! `halo api`: any of Halo's paths with the profile's auth.

use crate::cli::ApiArgs;
use crate::exit::Failure;
use crate::output::{OutputOptions, RowWriter, write_object};
use crate::session;
use anyhow::Result;
use futures::TryStreamExt;
use halopsa::resource::{RESOURCES, Resource};
use halopsa::{ApiRequest, ListOptions, Method};
use serde_json::Value;
use std::io::Write;

/// Runs `halo api`.
pub async fn run(args: ApiArgs, profile: Option<&str>, output: &OutputOptions) -> Result<()> {
    let pacing = &args.pacing;
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
        Some(source) => Some(crate::input::read_json(source)?.1),
        None => None,
    };
    let method = match &args.method {
        Some(m) => Method::from_bytes(m.to_ascii_uppercase().as_bytes())
            .map_err(|_| Failure::usage(format!("'{m}' is not an HTTP method")))?,
        None if body.is_some() => Method::POST,
        None => Method::GET,
    };
    let session = session::open(profile, pacing)?;
    let out = std::io::stdout().lock();
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
        writer.finish()?.flush()?;
        return Ok(());
    }
    let mut req = ApiRequest::new(method, path);
    req.query = query;
    req.body = body;
    let resp = session.client.send(&req).await?;
    match serde_json::from_slice::<Value>(&resp.body) {
        Ok(v) => write_object(out, &v, output),
        Err(_) => {
            let mut out = out;
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
