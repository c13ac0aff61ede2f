//! Change signals for a mirror (issue 14): writes move each resource's change field, the
//! `lastupdatefromdate`/`lastupdatetodate` filters and `deleted=true` find exactly what
//! changed, and a churn is deterministic by seed.

mod common;

use std::collections::BTreeSet;

use common::{Api, http, small};
use halo_sandbox::{Churn, ChurnReport, Sandbox};
use serde_json::{Value, json};

/// The ids of every row of a paged list, walked page by page with `page_size`.
async fn walk(api: &Api, path: &str, page_size: u32) -> Vec<i64> {
    let mut ids = Vec::new();
    for page in 1.. {
        let (status, body) = api
            .get(&format!(
                "{path}&pageinate=true&page_size={page_size}&page_no={page}"
            ))
            .await;
        assert_eq!(status, 200, "{body}");
        let rows = body["tickets"].as_array().unwrap();
        ids.extend(rows.iter().map(|t| t["id"].as_i64().unwrap()));
        if rows.len() < page_size as usize {
            assert_eq!(body["record_count"].as_u64().unwrap(), ids.len() as u64);
            return ids;
        }
    }
    unreachable!()
}

fn text<'a>(doc: &'a Value, field: &str) -> &'a str {
    doc[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {doc}"))
}

#[tokio::test]
async fn a_write_moves_the_change_field() {
    let api = Api::start(small()).await;
    let (_, ticket) = api.get("Tickets/5").await;
    let (_, client) = api.get("Client/2").await;
    let (_, site) = api.get("Site/3").await;
    let (_, user) = api.get("Users/4").await;
    let (_, asset) = api.get("Asset/1").await;
    let seeded = [
        text(&ticket, "last_update").to_string(),
        text(&client, "alastupdate").to_string(),
        text(&site, "slastupdate").to_string(),
        text(&user, "ulastupdate").to_string(),
        text(&asset, "last_modified").to_string(),
    ];
    let (status, updated) = api
        .post("Tickets", &json!([{"id": 5, "summary": "Moved on"}]))
        .await;
    assert_eq!(status, 200, "{updated}");
    let moved = text(&updated, "last_update").to_string();
    assert!(moved > seeded[0], "{moved} after {}", seeded[0]);
    for (path, field, was) in [
        ("Client", "alastupdate", &seeded[1]),
        ("Site", "slastupdate", &seeded[2]),
        ("Users", "ulastupdate", &seeded[3]),
        ("Asset", "last_modified", &seeded[4]),
    ] {
        let id = match path {
            "Client" => 2,
            "Site" => 3,
            "Users" => 4,
            _ => 1,
        };
        let (status, doc) = api
            .post(
                path,
                &json!([{"id": id, "name": "Renamed", "inventory_number": "X"}]),
            )
            .await;
        assert_eq!(status, 200, "{path}: {doc}");
        assert!(text(&doc, field) > was.as_str(), "{path}.{field} moved");
        let (_, read) = api.get(&format!("{path}/{id}")).await;
        assert_eq!(read[field], doc[field], "{path}.{field} stored");
    }
    let (status, action) = api
        .post(
            "Actions",
            &json!([{"ticket_id": 7, "outcome": "Note", "note": "Called back"}]),
        )
        .await;
    assert_eq!(status, 200, "{action}");
    let stamped = text(&action, "last_updated");
    let (_, ticket) = api.get("Tickets/7").await;
    assert_eq!(
        text(&ticket, "last_update"),
        stamped,
        "an action added changes its ticket"
    );
    let (status, _) = api.delete("Tickets/9?reason=dup").await;
    assert_eq!(status, 200);
    let (_, deleted) = api.get("Tickets?deleted=true&ticketids=9").await;
    let row = &deleted["tickets"][0];
    assert_eq!(row["deletion_reason"], "dup");
    assert!(
        text(row, "last_update") >= stamped,
        "a soft delete is a change"
    );
}

#[tokio::test]
async fn the_window_filters_return_exactly_the_rows_whose_change_field_is_inside() {
    let api = Api::start(small()).await;
    let (_, all) = api.get("Client?includeinactive=true").await;
    let clients = all["clients"].as_array().unwrap();
    let mut stamps: Vec<&str> = clients.iter().map(|c| text(c, "alastupdate")).collect();
    stamps.sort_unstable();
    let (from, to) = (stamps[2], stamps[stamps.len() - 3]);
    let expected: BTreeSet<i64> = clients
        .iter()
        .filter(|c| (from..=to).contains(&text(c, "alastupdate")))
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    let (status, body) = api
        .get(&format!(
            "Client?includeinactive=true&lastupdatefromdate={from}&lastupdatetodate={to}"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    let got: BTreeSet<i64> = body["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(got, expected, "from {from} to {to}, both inclusive");
    assert!(got.len() >= 2 && got.len() < clients.len());
    let (status, body) = api.get("Tickets?lastupdatefromdate=yesterday-ish").await;
    assert_eq!(status, 400, "a value that is no date: {body}");
    let (_, ordered) = api
        .get("Client?includeinactive=true&order=alastupdate&orderdesc=true")
        .await;
    let order: Vec<&str> = ordered["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| text(c, "alastupdate"))
        .collect();
    let mut sorted = order.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(order, sorted, "ordered by the change field, newest first");
}

#[tokio::test]
async fn a_churn_is_found_by_the_filters_and_deleted_true() {
    let api = Api::start(small()).await;
    let resp = http()
        .post(format!("{}/_sandbox/churn", api.sb.url()))
        .json(&json!({"seed": 7, "change": 20, "delete": 3, "create": 4, "actions": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let report: ChurnReport = resp.json().await.unwrap();
    assert_eq!(
        (
            report.changed.len(),
            report.deleted.len(),
            report.created.len(),
            report.actions.len()
        ),
        (20, 3, 4, 5)
    );
    let mut live: Vec<i64> = report
        .changed
        .iter()
        .chain(&report.created)
        .copied()
        .chain(report.actions.iter().map(|a| a.ticket_id))
        .collect();
    live.sort_unstable();
    let since = format!("Tickets?lastupdatefromdate={}", report.at);
    assert_eq!(walk(&api, &since, 7).await, live, "changed since the churn");
    assert_eq!(
        walk(&api, &format!("{since}&deleted=true"), 2).await,
        report.deleted,
        "deleted=true with the window, two a page"
    );
    assert_eq!(
        walk(&api, "Tickets?deleted=true", 1).await,
        report.deleted,
        "deleted=true alone, one a page"
    );
    let (status, body) = api
        .get(&format!(
            "Actions?datesearch=last_updated&startdate={}",
            report.at
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    let actions: Vec<(i64, i64)> = body["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["ticket_id"].as_i64().unwrap(), a["id"].as_i64().unwrap()))
        .collect();
    let expected: Vec<(i64, i64)> = report.actions.iter().map(|a| (a.ticket_id, a.id)).collect();
    assert_eq!(
        actions, expected,
        "every ticket's actions changed since, in one request"
    );
    let resp = http()
        .post(format!("{}/_sandbox/churn", api.sb.url()))
        .json(&json!({"seed": 1, "change": 1000}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("1000 distinct live tickets")
    );
    let resp = http()
        .post(format!("{}/_sandbox/churn", api.sb.url()))
        .json(&json!({"seed": 1, "changes": 10}))
        .send()
        .await
        .unwrap();
    assert!(
        resp.status().is_client_error(),
        "an unknown field is refused"
    );
}

#[tokio::test]
async fn the_same_seed_touches_the_same_ids_over_http_and_from_rust() {
    let sb = Sandbox::start(small()).await.unwrap();
    let from_rust = sb
        .churn(Churn::new(11).change(15).delete(2).create(3).actions(4))
        .await
        .unwrap();
    let api = Api::start(small()).await;
    let over_http: ChurnReport = http()
        .post(format!("{}/_sandbox/churn", api.sb.url()))
        .json(&json!({"seed": 11, "change": 15, "delete": 2, "create": 3, "actions": 4}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(from_rust.changed, over_http.changed);
    assert_eq!(from_rust.deleted, over_http.deleted);
    assert_eq!(from_rust.created, over_http.created);
    assert_eq!(from_rust.actions, over_http.actions);
}

/// Every row of a list walked page by page in `order`, as (id, value of `field`).
async fn walk_ordered(api: &Api, order: &str, field: &str) -> Vec<(i64, Value)> {
    let mut rows = Vec::new();
    for page in 1.. {
        let (status, body) = api
            .get(&format!(
                "Tickets?{order}&pageinate=true&page_size=7&page_no={page}"
            ))
            .await;
        assert_eq!(status, 200, "{body}");
        let got = body["tickets"].as_array().unwrap();
        rows.extend(
            got.iter()
                .map(|t| (t["id"].as_i64().unwrap(), t[field].clone())),
        );
        if got.len() < 7 {
            return rows;
        }
    }
    unreachable!()
}

#[tokio::test]
async fn ordered_walks_continue_by_key_and_equal_one_sorted_read() {
    let api = Api::start(small()).await;
    // `order=id` is the default order: the same rows, in the same pages.
    assert_eq!(
        walk_ordered(&api, "order=id", "id").await,
        walk_ordered(&api, "x=1", "id").await
    );
    let by_summary = walk_ordered(&api, "order=summary", "summary").await;
    let (status, all) = api.get("Tickets?order=summary").await;
    assert_eq!(status, 200, "{all}");
    let sorted: Vec<(i64, Value)> = all["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["id"].as_i64().unwrap(), t["summary"].clone()))
        .collect();
    assert!(by_summary.len() > 14, "{}", by_summary.len());
    // Page after page continues from the last key (no row skipped or repeated).
    assert_eq!(by_summary, sorted);
    let ids: BTreeSet<i64> = by_summary.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), by_summary.len());
    // Descending orders walk by offset and agree too.
    let desc = walk_ordered(&api, "order=summary&orderdesc=true", "summary").await;
    assert_eq!(desc.len(), ids.len());
    assert_eq!(desc.iter().map(|r| r.0).collect::<BTreeSet<_>>(), ids);
}
