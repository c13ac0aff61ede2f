//! `halo filters RESOURCE`: every filter Halo's OpenAPI file lists for a resource's list.

use crate::commands::Globals;
use crate::context::Context;
use crate::exit::Failure;
use crate::output::RowWriter;
use anyhow::Result;
use halopsa::filter::{self, ParamKind};
use halopsa::resource::Resource;
use serde_json::json;

/// `halo filters`.
#[derive(Debug, clap::Args)]
pub struct FiltersArgs {
    /// The resource (its name, an alias or Halo's path: tickets, Tickets, clients...).
    #[arg(value_name = "RESOURCE")]
    pub resource: String,
}

/// The resource `text` names (name, alias or path), or a usage error with the nearest name.
pub fn resource_named(text: &str) -> Result<&'static Resource> {
    halopsa::resource::find(text).ok_or_else(|| {
        let mut near: Vec<(f64, &str)> = halopsa::resource::RESOURCES
            .iter()
            .map(|r| (strsim::jaro_winkler(text, r.name), r.name))
            .filter(|(s, _)| *s > 0.8)
            .collect();
        near.sort_by(|a, b| b.0.total_cmp(&a.0));
        let hint = match near.first() {
            Some((_, name)) => format!("; did you mean {name}?"),
            None => "; `halo resources` lists them".to_string(),
        };
        Failure::usage(format!("no resource named '{text}'{hint}"))
    })
}

/// Prints one row per filter: its flag, its type, and what the spec says of it.
pub fn run(ctx: &mut Context, globals: &Globals, args: FiltersArgs) -> Result<()> {
    let res = resource_named(&args.resource)?;
    let params = filter::params_for("GET", res.path).unwrap_or(&[]);
    let mut options = globals.output.clone();
    if options.columns.is_none() {
        options.columns = Some(["flag", "type", "description"].map(String::from).to_vec());
    }
    globals.page(ctx);
    let mut writer = RowWriter::new(ctx.io.out(), &options);
    for p in params
        .iter()
        .filter(|p| !halopsa::paging::is_paging_param(p.name))
    {
        writer.row(&json!({
            "name": p.name,
            "flag": format!("--{}", crate::commands::resource::filters::flag_name(p.name)),
            "type": kind_name(p.kind),
            "description": crate::commands::resource::filters::describe(p),
        }))?;
    }
    writer.finish()?.flush()?;
    Ok(())
}

/// A filter's type as a person names it.
pub fn kind_name(kind: ParamKind) -> &'static str {
    match kind {
        ParamKind::Bool => "boolean",
        ParamKind::Int => "integer",
        ParamKind::Ints => "integers (comma list)",
        ParamKind::Number => "number",
        ParamKind::Date => "date",
        _ => "text",
    }
}
