//! `halo_client_card`: a client with its sites, main contacts, open tickets and contracts.

use super::answer::{Answer, ResponseFormat, TICKET_ROW, shape};
use super::state::State;
use crate::names::Lookup;
use anyhow::Result;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// Rows of each list on a card.
const EACH: u32 = 10;

/// The fields of a concise client.
const CLIENT: &[&str] = &[
    "id",
    "name",
    "inactive",
    "main_site_id",
    "main_site_name",
    "toplevel_id",
    "toplevel_name",
    "phonenumber",
    "website",
    "accountmanagertech",
    "notes",
];

/// The fields of a concise site.
const SITE: &[&str] = &["id", "name", "client_id", "phonenumber", "inactive"];

/// The fields of a concise contact.
const CONTACT: &[&str] = &[
    "id",
    "name",
    "emailaddress",
    "phonenumber",
    "mobilenumber",
    "site_id",
    "site_name",
    "isimportantcontact",
];

/// The fields of a concise contract.
const CONTRACT: &[&str] = &[
    "id",
    "ref",
    "client_id",
    "start_date",
    "end_date",
    "billing_description",
    "status",
    "active",
];

/// `halo_client_card`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ClientCard {
    /// The client, by name (or part of it) or id.
    pub client: String,
    /// `concise` (default) or `detailed`.
    #[serde(default)]
    pub response_format: ResponseFormat,
}

/// Runs `halo_client_card`: the client found by name, then its client record, sites,
/// contacts, open tickets and contracts (the first ten of each, with how many there are).
pub async fn card(state: Arc<State>, args: ClientCard) -> Result<Answer> {
    let found = state
        .session
        .names()
        .named(Lookup::Client, &args.client)
        .await?;
    let f = args.response_format;
    let client = state.api("clients")?.get(&found.id, &[]).await?;
    let by_client = vec![("client_id".to_string(), found.id.clone())];
    let mut body = Map::new();
    body.insert("client".into(), shape(&client, f, CLIENT));
    for (key, resource, extra, keep) in [
        ("sites", "sites", None, SITE),
        ("contacts", "users", None, CONTACT),
        (
            "open_tickets",
            "tickets",
            Some(("open_only", "true")),
            TICKET_ROW,
        ),
        ("contracts", "contracts", None, CONTRACT),
    ] {
        let mut query = by_client.clone();
        if let Some((k, v)) = extra {
            query.push((k.to_string(), v.to_string()));
        }
        let page = state.api(resource)?.list_page(&query, 1, EACH).await?;
        let total = page.record_count.unwrap_or(page.items.len() as u64);
        let rows: Vec<Value> = page
            .items
            .iter()
            .take(EACH as usize)
            .map(|r| shape(r, f, keep))
            .collect();
        let mut part = Map::new();
        part.insert("total".into(), json!(total));
        if total > rows.len() as u64 {
            part.insert(
                "more".into(),
                json!(format!(
                    "{} of {total} shown: halo_list resource={resource} filters={{\"client_id\": {}}} lists them all",
                    rows.len(),
                    found.id
                )),
            );
        }
        part.insert("rows".into(), Value::Array(rows));
        body.insert(key.into(), Value::Object(part));
    }
    Ok(Answer::object(body))
}
