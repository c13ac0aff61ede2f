//! Bulk writes by raw HTTP: existence lookups by id list.

mod common;

use common::*;
use halo_sandbox::SandboxConfig;
use serde_json::Value;

fn ids(rows: &Value) -> Vec<i64> {
    rows.as_array()
        .unwrap_or_else(|| panic!("not an array: {rows}"))
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn idonly_answers_every_id_unpaged() {
    let api = Api::start(SandboxConfig {
        page_cap: 3,
        ..small()
    })
    .await;
    for (path, key) in [
        ("Client", "clients"),
        ("Site", "sites"),
        ("Asset", "assets"),
    ] {
        let (_, full) = api.get(path).await;
        let every = ids(&full[key]);
        assert!(every.len() > 3, "{path}: more than a page");
        let (status, body) = api
            .get(&format!(
                "{path}?idonly=true&pageinate=true&page_size=3&page_no=2"
            ))
            .await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(ids(&body[key]), every, "{path}: every id, paging ignored");
        assert_eq!(body["record_count"], every.len(), "{path}");
        assert!(body.get("page_no").is_none(), "{path}: {body}");
        assert!(
            body[key]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r.as_object().unwrap().len() == 1),
            "{path}: only the id"
        );
    }
    let (_, filtered) = api.get("Site?idonly=true&client_id=2").await;
    let (_, plain) = api.get("Site?client_id=2").await;
    assert_eq!(
        ids(&filtered["sites"]),
        ids(&plain["sites"]),
        "filters still apply"
    );
    let (_, tickets) = api.get("Tickets?idonly=true&count=2").await;
    assert!(
        tickets["tickets"][0]["summary"].is_string(),
        "ignored where the row does not take it"
    );
}

#[tokio::test]
async fn an_id_list_finds_the_ids_that_exist() {
    let api = Api::start(small()).await;
    let (status, body) = api.get("Tickets?ticketids=1,2,999").await;
    assert_eq!(status, 200);
    assert_eq!(ids(&body["tickets"]), [1, 2]);
    assert_eq!(body["record_count"], 2);
    let (_, page) = api
        .get("Tickets?ticketids=1,2,999&pageinate=true&page_size=1&page_no=2")
        .await;
    assert_eq!(ids(&page["tickets"]), [2]);
    assert_eq!(page["record_count"], 2, "counted over every page");
    let (_, opportunities) = api.get("Opportunities?ticketids=1,999").await;
    assert_eq!(ids(&opportunities["tickets"]), [1]);
    let (_, projects) = api
        .get("Projects?ticketids=2,1&pageinate=true&page_size=5")
        .await;
    assert_eq!(ids(&projects["tickets"]), [1, 2]);
}
