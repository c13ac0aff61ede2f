//! `halo resources`: the resource table.

use crate::commands::Globals;
use crate::context::Context;
use crate::output::RowWriter;
use anyhow::Result;
use halopsa::resource::{IdKind, ListShape, Ops, RESOURCES};
use serde_json::json;

/// Prints one entry per resource.
pub fn run(ctx: &mut Context, globals: &Globals) -> Result<()> {
    let mut options = globals.output.clone();
    if options.columns.is_none() {
        options.columns = Some(
            ["name", "path", "list", "id", "ops", "model", "summary"]
                .map(String::from)
                .to_vec(),
        );
    }
    globals.page(ctx);
    let mut writer = RowWriter::new(ctx.io.out(), &options);
    for r in RESOURCES {
        let ops: Vec<&str> = [
            (Ops::LIST, "list"),
            (Ops::GET, "get"),
            (Ops::CREATE, "create"),
            (Ops::UPDATE, "update"),
            (Ops::DELETE, "delete"),
        ]
        .iter()
        .filter(|(o, _)| r.ops.contains(*o))
        .map(|(_, n)| *n)
        .collect();
        writer.row(&json!({
            "name": r.name,
            "aliases": r.aliases,
            "path": format!("/api/{}", r.path),
            "list": match r.list {
                ListShape::Wrapped(k) => format!("wrapped '{k}'"),
                ListShape::Bare => "bare".to_string(),
                _ => "single object".to_string(),
            },
            "paged": r.paged,
            "page_size_fixed": r.fixed_page_size,
            "id": match r.id {
                IdKind::Int => "int",
                IdKind::Guid => "guid",
                IdKind::PerTicket => "per ticket",
                _ => "none",
            },
            "ops": ops.join(","),
            "scope": r.area.scope_name().unwrap_or("all/admin"),
            "model": r.model.unwrap_or("generic JSON"),
            "summary": r.summary,
        }))?;
    }
    writer.finish()?.flush()?;
    Ok(())
}
