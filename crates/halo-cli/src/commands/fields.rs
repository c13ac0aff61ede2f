//! `halo fields RESOURCE`: the custom-field definitions of a resource (`GET /FieldInfo` by
//! its `typeid`, lookup values included), cached per profile like names.

use crate::commands::Globals;
use crate::context::Context;
use crate::output::{Format, RowWriter};
use crate::session::RequestFlags;
use anyhow::Result;
use serde_json::{Value, json};

/// `halo fields`.
#[derive(Debug, clap::Args)]
pub struct FieldsArgs {
    /// The resource (its name, an alias or Halo's path: tickets, clients, sites, assets...).
    #[arg(value_name = "RESOURCE")]
    pub resource: String,
    /// Read the definitions again (kept for 10 minutes).
    #[arg(long)]
    pub refresh_fields: bool,
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// Prints one row per custom field: its id, name, label, kind and lookup values (their names
/// in a table or CSV; `{id, name}` each in JSON and YAML).
pub async fn run(ctx: &mut Context, globals: &Globals, args: FieldsArgs) -> Result<()> {
    let res = super::filters::resource_named(&args.resource)?;
    if res.custom_field_type.is_none() {
        return Err(crate::exit::Failure::usage(crate::names::no_custom_fields(
            res,
        )));
    }
    let timeout = args.requests.timeout(false);
    let defs = crate::session::bounded(timeout, async {
        let session = ctx.session(globals.profile.as_deref(), &args.requests)?;
        let mut names = session.names();
        names.fields(res, args.refresh_fields).await
    })
    .await?;
    let mut options = globals.output.clone();
    let flat = matches!(options.effective(), Format::Table | Format::Csv);
    if options.columns.is_none() {
        options.columns = Some(
            ["id", "name", "label", "kind", "values"]
                .map(String::from)
                .to_vec(),
        );
    }
    globals.page(ctx);
    let mut writer = RowWriter::new(ctx.io.out(), &options);
    for def in &defs.fields {
        let values = def.lookup_values();
        let values = if flat {
            let named: Vec<String> = values.iter().map(|v| v.name.clone()).collect();
            Value::String(named.join(", "))
        } else {
            values
                .iter()
                .map(|v| json!({"id": v.id, "name": v.name}))
                .collect()
        };
        writer.row(&json!({
            "id": def.id, "name": def.name, "label": def.label, "kind": def.kind().name(),
            "type": def.type_code, "inputtype": def.inputtype, "values": values,
        }))?;
    }
    writer.finish()?.flush()?;
    Ok(())
}
