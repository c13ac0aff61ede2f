//! Any resource by name, read-only: what a resource takes, a page of it with filters, one
//! object by id. Filters are checked as `halo <resource> list --filter` checks them.

use super::answer::{Answer, ResponseFormat, shape};
use super::args::{self, within};
use super::state::State;
use crate::commands::resource::args::FilterFlags;
use crate::commands::resource::filters;
use crate::exit::Failure;
use anyhow::Result;
use halopsa::resource::{Ops, RESOURCES, Resource};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The resource named `name` (its CLI name, an alias or Halo's path), else an error naming the
/// nearest names.
fn resource(name: &str) -> Result<&'static Resource> {
    if let Some(r) = halopsa::resource::find(name.trim()) {
        return Ok(r);
    }
    let mut near: Vec<(f64, &str)> = RESOURCES
        .iter()
        .map(|r| (strsim::jaro_winkler(&name.to_lowercase(), r.name), r.name))
        .filter(|(score, _)| *score > 0.75)
        .collect();
    near.sort_by(|a, b| b.0.total_cmp(&a.0));
    let hint = match near.first() {
        Some((_, n)) => format!("did you mean '{n}'? "),
        None => String::new(),
    };
    Err(Failure::usage(format!(
        "no resource '{name}': {hint}halo_resources lists them all"
    )))
}

/// The operations of a resource, as words.
fn ops(r: &Resource) -> Vec<&'static str> {
    [
        (Ops::LIST, "list"),
        (Ops::GET, "get"),
        (Ops::CREATE, "create"),
        (Ops::UPDATE, "update"),
        (Ops::DELETE, "delete"),
    ]
    .into_iter()
    .filter(|(op, _)| r.ops.contains(*op))
    .map(|(_, w)| w)
    .collect()
}

/// `halo_resources`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Describe {
    /// A resource (e.g. tickets, clients, assets): answers its filters. Without it, every
    /// resource is listed.
    pub resource: Option<String>,
}

/// Runs `halo_resources`.
pub async fn describe(_state: Arc<State>, args: Describe) -> Result<Answer> {
    let mut body = Map::new();
    let Some(name) = &args.resource else {
        let all: Vec<Value> = RESOURCES
            .iter()
            .map(|r| json!({"name": r.name, "about": r.summary, "ops": ops(r)}))
            .collect();
        body.insert("resources".into(), Value::Array(all));
        return Ok(Answer::object(body));
    };
    let r = resource(name)?;
    let filters: Vec<Value> = halopsa::filter::params_for("GET", r.path)
        .unwrap_or(&[])
        .iter()
        .filter(|p| !halopsa::paging::is_paging_param(p.name))
        .map(|p| {
            let kind = format!("{:?}", p.kind).to_lowercase();
            if p.description.is_empty() {
                json!([p.name, kind])
            } else {
                json!([p.name, kind, p.description])
            }
        })
        .collect();
    body.insert("resource".into(), json!(r.name));
    body.insert("halo_path".into(), json!(format!("/api/{}", r.path)));
    body.insert("about".into(), json!(r.summary));
    body.insert("ops".into(), json!(ops(r)));
    body.insert("filters".into(), Value::Array(filters));
    Ok(Answer::list(
        body,
        "filters",
        "the filters are listed in name order: halo_list refuses a misspelt one and names the nearest",
    ))
}

/// `halo_list`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct List {
    /// The resource: tickets, clients, sites, users, agents, assets, invoices, kb-articles,
    /// ... (halo_resources lists them).
    pub resource: String,
    /// Halo's filters by their exact names, e.g. {"client_id": 12, "open_only": true}
    /// (halo_resources with this resource lists them; paging is set by page and page_size).
    #[serde(default)]
    pub filters: BTreeMap<String, Value>,
    /// The page (1 or more; default 1).
    #[serde(default = "args::one")]
    pub page: u32,
    /// Rows a page (1 to 100; default 25).
    #[serde(default = "args::page_size")]
    #[schemars(range(min = 1, max = 100))]
    pub page_size: u32,
    /// `concise` (default: plain fields, long texts cut) or `detailed`.
    #[serde(default)]
    pub response_format: ResponseFormat,
}

/// A filter's value as Halo takes it in a query string.
fn filter_text(name: &str, v: &Value) -> Result<String> {
    Ok(match v {
        Value::String(s) => s.clone(),
        Value::Number(_) | Value::Bool(_) => v.to_string(),
        Value::Array(items) => items
            .iter()
            .map(|i| filter_text(name, i))
            .collect::<Result<Vec<_>>>()?
            .join(","),
        _ => {
            return Err(Failure::usage(format!(
                "filter '{name}': give a text, a number, true/false or a list"
            )));
        }
    })
}

/// Runs `halo_list`: one page (a resource Halo does not page is cut into pages here).
pub async fn list(state: Arc<State>, args: List) -> Result<Answer> {
    let r = resource(&args.resource)?;
    if !r.ops.contains(Ops::LIST) {
        return Err(Failure::usage(format!(
            "{} cannot be listed (it has: {})",
            r.name,
            ops(r).join(", ")
        )));
    }
    let page_size = within("page_size", args.page_size, 100)?;
    let page_no = args.page.max(1);
    let flags = FilterFlags {
        filters: args
            .filters
            .iter()
            .map(|(k, v)| Ok(format!("{k}={}", filter_text(k, v)?)))
            .collect::<Result<_>>()?,
        allow_unknown_filter: false,
    };
    let query = filters::query(r, r.path, &Vec::new(), &flags, false)
        .map_err(|e| {
            Failure::usage(format!(
                "{}: halo_resources resource={} lists the filters",
                crate::exit::line(&e),
                r.name
            ))
        })?
        .resolve(&mut state.session.names())
        .await?;
    let api = state.session.client.resource(r);
    let page = api.list_page(&query, page_no, page_size).await?;
    let (rows, total): (Vec<Value>, u64) = if r.paged {
        let total = page.record_count.unwrap_or(page.items.len() as u64);
        (
            page.items.into_iter().take(page_size as usize).collect(),
            total,
        )
    } else {
        let total = page.items.len() as u64;
        let skip = (page_no as usize - 1) * page_size as usize;
        (
            page.items
                .into_iter()
                .skip(skip)
                .take(page_size as usize)
                .collect(),
            total,
        )
    };
    let mut body = Map::new();
    body.insert("resource".into(), json!(r.name));
    super::answer::page_of(&mut body, total, page_no, page_size);
    let rows = rows
        .iter()
        .map(|row| shape(row, args.response_format, &[]))
        .collect();
    body.insert("rows".into(), Value::Array(rows));
    Ok(Answer::list(
        body,
        "rows",
        format!(
            "ask for a smaller page_size (the cut rows are on page={page_no}), narrower filters, or response_format=concise"
        ),
    ))
}

/// `halo_get`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Get {
    /// The resource (halo_resources lists them).
    pub resource: String,
    /// The object's id.
    #[schemars(with = "String")]
    pub id: Value,
    /// `concise` (default) or `detailed`.
    #[serde(default)]
    pub response_format: ResponseFormat,
}

/// Runs `halo_get`.
pub async fn get(state: Arc<State>, args: Get) -> Result<Answer> {
    let r = resource(&args.resource)?;
    if !r.ops.contains(Ops::GET) {
        return Err(Failure::usage(format!(
            "{} has no get by id (it has: {}); halo_list reads it",
            r.name,
            ops(r).join(", ")
        )));
    }
    if r.file_download {
        return Err(Failure::usage(format!(
            "a {} is a file: halo_get_ticket lists a ticket's attachments; `halo attachments download` saves one",
            r.name
        )));
    }
    let id = match &args.id {
        Value::String(s) if !s.trim().is_empty() => s.trim().to_string(),
        Value::Number(_) => halopsa::id::id_text(&args.id),
        _ => return Err(Failure::usage("argument 'id': give the object's id")),
    };
    let object = state.session.client.resource(r).get(&id, &[]).await?;
    let mut body = Map::new();
    body.insert("resource".into(), json!(r.name));
    body.insert("object".into(), shape(&object, args.response_format, &[]));
    Ok(Answer::object(body))
}
