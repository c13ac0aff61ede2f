//! What the writing verbs share: the exact request of a dry run, and what Halo saved.

use crate::context::Context;
use crate::output::{OutputOptions, RowWriter, write_object};
use anyhow::Result;
use halopsa::ApiRequest;
use serde_json::Value;

/// Prints a request exactly as it would be sent.
pub fn dry_run(ctx: &mut Context, client: &halopsa::Client, req: &ApiRequest) -> Result<()> {
    let mut url = client.settings().api_url(&req.path)?;
    if !req.query.is_empty() {
        url.query_pairs_mut().extend_pairs(req.query.iter());
    }
    let out = ctx.io.out();
    writeln!(out, "{} {url}", req.method)?;
    if let Some(body) = &req.body {
        writeln!(out, "Content-Type: application/json\n")?;
        writeln!(out, "{}", serde_json::to_string_pretty(body)?)?;
    }
    writeln!(out, "(dry run: nothing was sent)")?;
    Ok(())
}

/// Prints what Halo saved: one object as an object, several as rows.
pub fn saved(ctx: &mut Context, saved: &[Value], output: &OutputOptions) -> Result<()> {
    if let [one] = saved {
        return write_object(ctx.io.out(), one, output);
    }
    let mut writer = RowWriter::new(ctx.io.out(), output);
    for row in saved {
        writer.row(row)?;
    }
    writer.finish()?.flush()?;
    Ok(())
}

/// An id as JSON: a number when it is one, else text (GUIDs).
pub fn id_value(id: &str) -> Value {
    id.parse::<i64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::String(id.to_string()))
}
