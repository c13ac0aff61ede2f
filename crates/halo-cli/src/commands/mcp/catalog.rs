//! Finding things by a search text: assets and knowledge-base articles.

use super::answer::{Answer, ResponseFormat, shape};
use super::args::{self, within};
use super::state::State;
use crate::exit::Failure;
use crate::names::Lookup;
use anyhow::Result;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The fields of a concise asset.
const ASSET: &[&str] = &[
    "id",
    "inventory_number",
    "key_field",
    "key_field2",
    "assettype_id",
    "assettype_name",
    "client_id",
    "client_name",
    "site_id",
    "site_name",
    "user_id",
    "user_name",
    "status_id",
    "inactive",
];

/// The fields of a concise article.
const ARTICLE: &[&str] = &[
    "id",
    "name",
    "description",
    "type",
    "tag_string",
    "inactive",
];

/// `halo_find_assets`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct FindAssets {
    /// Text to find: an asset tag, a serial number, a name.
    pub query: Option<String>,
    /// Only this client's assets, by name or id.
    pub client: Option<String>,
    /// The most assets answered (1 to 100; default 25).
    #[serde(default = "args::page_size")]
    #[schemars(range(min = 1, max = 100))]
    pub limit: u32,
    /// `concise` (default) or `detailed`.
    #[serde(default)]
    pub response_format: ResponseFormat,
}

/// Runs `halo_find_assets`.
pub async fn assets(state: Arc<State>, args: FindAssets) -> Result<Answer> {
    let limit = within("limit", args.limit, 100)?;
    let mut query = Vec::new();
    if let Some(text) = args.query.as_deref().filter(|q| !q.trim().is_empty()) {
        query.push(("search".to_string(), text.trim().to_string()));
    }
    let mut whose = None;
    if let Some(client) = &args.client {
        let found = state.session.names().named(Lookup::Client, client).await?;
        whose = Some(format!("{} ({})", found.name, found.id));
        query.push(("client_id".to_string(), found.id));
    }
    if query.is_empty() {
        return Err(Failure::usage(
            "give a query (an asset tag, serial or name), a client, or both",
        ));
    }
    found(
        state,
        "assets",
        &query,
        limit,
        args.response_format,
        ASSET,
        whose,
    )
    .await
}

/// `halo_search_kb`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SearchKb {
    /// The words to find in the articles.
    pub query: String,
    /// The most articles answered (1 to 100; default 25).
    #[serde(default = "args::page_size")]
    #[schemars(range(min = 1, max = 100))]
    pub limit: u32,
    /// `concise` (default) or `detailed` (the whole article).
    #[serde(default)]
    pub response_format: ResponseFormat,
}

/// Runs `halo_search_kb`.
pub async fn kb(state: Arc<State>, args: SearchKb) -> Result<Answer> {
    let limit = within("limit", args.limit, 100)?;
    if args.query.trim().is_empty() {
        return Err(Failure::usage(
            "argument 'query': give the words to search for",
        ));
    }
    let query = [("search".to_string(), args.query.trim().to_string())];
    found(
        state,
        "kb-articles",
        &query,
        limit,
        args.response_format,
        ARTICLE,
        None,
    )
    .await
}

/// The first page of `resource` matching `query`, shaped.
async fn found(
    state: Arc<State>,
    resource: &str,
    query: &[(String, String)],
    limit: u32,
    format: ResponseFormat,
    keep: &[&str],
    client: Option<String>,
) -> Result<Answer> {
    let page = state.api(resource)?.list_page(query, 1, limit).await?;
    let mut body = Map::new();
    if let Some(c) = client {
        body.insert("client".into(), json!(c));
    }
    let total = page.record_count.unwrap_or(page.items.len() as u64);
    body.insert("total".into(), json!(total));
    let rows: Vec<Value> = page
        .items
        .iter()
        .take(limit as usize)
        .map(|r| shape(r, format, keep))
        .collect();
    if total > rows.len() as u64 {
        body.insert(
            "more".into(),
            json!(format!(
                "{} of {total} shown: narrow the query, or page through them with halo_list resource={resource}",
                rows.len()
            )),
        );
    }
    body.insert("rows".into(), Value::Array(rows));
    Ok(Answer::list(
        body,
        "rows",
        "ask for a smaller limit or narrow the query",
    ))
}
