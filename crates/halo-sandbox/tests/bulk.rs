//! Bulk writes by raw HTTP: multi-object POSTs, their per-element errors, the largest array,
//! existence lookups by id list, the journal's written ids, and faults on writes.

mod common;

use common::*;
use halo_sandbox::{Faults, JournalEntry, SandboxConfig};
use serde_json::{Value, json};

fn ids(rows: &Value) -> Vec<i64> {
    rows.as_array()
        .unwrap_or_else(|| panic!("not an array: {rows}"))
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

/// The journal's entries for `method` on a path starting `/api/{prefix}`.
fn entries(api: &Api, method: &str, prefix: &str) -> Vec<JournalEntry> {
    let prefix = format!("/api/{prefix}");
    api.sb
        .journal()
        .into_iter()
        .filter(|e| e.method == method && e.path.starts_with(&prefix))
        .collect()
}

#[tokio::test]
async fn every_refused_element_is_listed_by_position_and_nothing_is_saved() {
    let api = Api::start(small()).await;
    let before = api.count("Tickets").await;
    let (status, body) = api
        .post(
            "Tickets",
            &json!([
                {"summary": "fine"},
                {"summary": "bad client", "client_id": 999},
                {"summary": "user without site", "user_id": 1},
            ]),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body,
        json!({
            "[1].client_id": ["The client_id 999 does not exist."],
            "[2]": ["A site_id must be given with a user_id."],
        })
    );
    assert_eq!(api.count("Tickets").await, before, "nothing saved");

    let (status, body) = api
        .post(
            "Tickets",
            &json!([{"id": 3, "summary": "kept?"}, {"id": 999, "summary": "lost"}]),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"[1].id": ["Unable to find Tickets with id 999 to update."]})
    );
    let (_, three) = api.get("Tickets/3").await;
    assert_ne!(three["summary"], "kept?", "the good element is not saved");

    let (status, body) = api
        .post(
            "Tickets",
            &json!([{"summary": "a", "team": "No Such Team"}, {"summary": "b", "status_id": 77}]),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({
            "[0].team": ["The team 'No Such Team' does not exist."],
            "[1].status_id": ["The status_id 77 does not exist."],
        })
    );

    let (status, body) = api
        .post(
            "Actions",
            &json!([{"ticket_id": 2, "note": "no outcome"}, {"note": "no ticket", "outcome_id": 1}]),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({
            "[0].outcome": ["An Outcome must be entered for this Action"],
            "[1].ticket_id": ["A ticket_id must be supplied for an Action."],
        })
    );
    let (status, body) = api
        .post("Agent", &json!([{"name": "Ok"}, {"email": "x@y"}]))
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"[1].name": ["A name must be entered for the Agent."]})
        )
    );

    // One element keeps Halo's single message.
    let (status, body) = api
        .post("Tickets", &json!([{"summary": "bad", "client_id": 999}]))
        .await;
    assert_eq!(
        (status, body),
        (400, json!({"message": "The client_id 999 does not exist."}))
    );
}

#[tokio::test]
async fn fifty_updates_come_back_in_order_with_returnall_and_the_first_alone_without() {
    let api = Api::start(small()).await;
    // In an order the ids do not have: the reply follows the input.
    let order: Vec<i64> = (1..=50).rev().collect();
    let batch = |tag: &str| {
        Value::Array(
            order
                .iter()
                .map(|id| json!({"id": id, "summary": format!("{tag} {id}")}))
                .collect(),
        )
    };
    let (status, all) = api.post("Tickets?returnall=true", &batch("all")).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(ids(&all), order);
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .all(|t| t["summary"] == format!("all {}", t["id"]))
    );

    let (status, first) = api.post("Tickets", &batch("first")).await;
    assert_eq!(status, 200, "{first}");
    assert!(first.is_object(), "only the first saved object: {first}");
    assert_eq!(
        (first["id"].as_i64(), first["summary"].as_str()),
        (Some(50), Some("first 50"))
    );
    let (_, one) = api.get("Tickets/1").await;
    assert_eq!(
        one["summary"], "first 1",
        "every element saved all the same"
    );

    let (_, upper) = api.post("Tickets?ReturnAll=TRUE", &batch("upper")).await;
    assert_eq!(ids(&upper), order, "the value in any case");
    let (_, not) = api.post("Tickets?returnall=false", &batch("not")).await;
    assert_eq!(not["id"], 50);
    let (status, _) = api.post("Tickets?returnall=maybe", &batch("bad")).await;
    assert_eq!(status, 400, "a value that does not bind");
    let (_, one) = api.get("Tickets/1").await;
    assert_eq!(one["summary"], "not 1", "a refused flag saves nothing");

    // The other rows of the ticket schema do the same; other rows always answer the array.
    let (_, opportunity) = api
        .post(
            "Opportunities",
            &json!([{"id": 2, "summary": "b"}, {"id": 1, "summary": "a"}]),
        )
        .await;
    assert_eq!(opportunity["id"], 2);
    let (_, projects) = api
        .post(
            "Projects?returnall=true",
            &json!([{"id": 2, "summary": "b"}, {"id": 1, "summary": "a"}]),
        )
        .await;
    assert_eq!(ids(&projects), [2, 1]);
    let (status, clients) = api
        .post(
            "Client",
            &json!([{"id": 2, "name": "Two"}, {"name": "New Co"}]),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(ids(&clients), [2, 9]);
}

#[tokio::test]
async fn an_array_over_the_limit_is_refused_whole() {
    let api = Api::start(small()).await;
    let many = |n: usize| {
        Value::Array(
            (0..n)
                .map(|i| json!({"summary": format!("t{i}")}))
                .collect(),
        )
    };
    let before = api.count("Tickets").await;
    let (status, body) = api.post("Tickets", &many(120)).await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"message": "Too many objects in one request: 120 (at most 100)."})
        )
    );
    assert_eq!(api.count("Tickets").await, before, "nothing saved");
    let (status, saved) = api.post("Tickets?returnall=true", &many(100)).await;
    assert_eq!(status, 200);
    assert_eq!(
        saved.as_array().map(Vec::len),
        Some(100),
        "the limit itself is fine"
    );

    let api = Api::start(SandboxConfig {
        max_post_items: 3,
        ..small()
    })
    .await;
    let (status, body) = api
        .post(
            "Client",
            &json!([{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "d"}]),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "Too many objects in one request: 4 (at most 3)."
    );

    let api = Api::start(SandboxConfig {
        max_post_items: 0,
        ..small()
    })
    .await;
    let (status, saved) = api.post("Tickets?returnall=true", &many(120)).await;
    assert_eq!(status, 200, "0 is no limit");
    assert_eq!(saved.as_array().map(Vec::len), Some(120));
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

#[tokio::test]
async fn the_journal_names_what_each_write_saved() {
    let api = Api::start(small()).await;
    let (status, _) = api
        .post(
            "Tickets?returnall=true",
            &json!([{"id": 7, "summary": "x"}, {"id": 3, "summary": "y"}, {"summary": "new"}]),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = api
        .post("Tickets", &json!([{"id": 4, "summary": "z"}, {"id": 999}]))
        .await;
    assert_eq!(status, 400);
    api.get("Tickets/7").await;
    let (_, action) = api
        .post(
            "Actions",
            &json!([{"ticket_id": 40, "outcome_id": 1, "note": "n"}]),
        )
        .await;
    let (_, hook) = api
        .post(
            "Webhook",
            &json!([{"name": "h", "url": "http://127.0.0.1:9/x"}]),
        )
        .await;
    assert_eq!(api.delete("Tickets/5").await.0, 200);

    let posts: Vec<Vec<String>> = entries(&api, "POST", "")
        .into_iter()
        .map(|e| e.written)
        .collect();
    let action_id = format!("40/{}", action["id"]);
    assert_eq!(
        posts,
        [
            vec!["7".to_string(), "3".into(), "61".into()],
            vec![],
            vec![action_id],
            vec![hook["id"].as_str().unwrap().to_string()],
        ]
    );
    let written: Vec<Vec<String>> = entries(&api, "DELETE", "Tickets")
        .into_iter()
        .map(|e| e.written)
        .collect();
    assert_eq!(written, [vec!["5".to_string()]]);
    assert!(
        entries(&api, "GET", "Tickets")
            .iter()
            .all(|e| e.written.is_empty())
    );
    // Over HTTP too.
    let over_http: Value = http()
        .get(format!("{}/_sandbox/requests", api.sb.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        over_http
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["written"] == json!(["7", "3", "61"])),
        "{over_http}"
    );
}

#[tokio::test]
async fn an_injected_failure_comes_before_the_write() {
    let api = Api::start(small()).await;
    api.sb.set_faults(Faults {
        fail_rate: 1.0,
        ..Faults::default()
    });
    let (status, _) = api
        .post(
            "Tickets",
            &json!([{"summary": "never"}, {"id": 3, "summary": "never"}]),
        )
        .await;
    assert!([500, 502, 503].contains(&status), "{status}");
    let (status, _) = api.delete("Tickets/5").await;
    assert!([500, 502, 503].contains(&status), "{status}");
    api.sb.set_faults(Faults::default());
    assert_eq!(api.get("Tickets/61").await.0, 404, "nothing created");
    assert_ne!(
        api.get("Tickets/3").await.1["summary"],
        "never",
        "nothing updated"
    );
    assert_eq!(api.get("Tickets/5").await.0, 200, "nothing deleted");
    let failed: Vec<JournalEntry> = entries(&api, "POST", "")
        .into_iter()
        .chain(entries(&api, "DELETE", ""))
        .collect();
    assert_eq!(failed.len(), 2);
    assert!(
        failed
            .iter()
            .all(|e| e.written.is_empty() && e.status >= 500)
    );
}

#[tokio::test]
async fn a_cut_write_is_saved_all_the_same() {
    let api = Api::start(small()).await;
    api.sb.set_faults(Faults {
        reset_rate: 1.0,
        ..Faults::default()
    });
    let cut = |resp: reqwest::Result<reqwest::Response>| async move {
        match resp {
            Err(_) => true,
            Ok(r) => r.bytes().await.is_err(),
        }
    };
    let posted = http()
        .post(api.url("Tickets"))
        .bearer_auth(&api.token)
        .json(&json!([{"summary": "outcome unknown"}]))
        .send()
        .await;
    assert!(cut(posted).await, "the reply is cut");
    let deleted = http()
        .delete(api.url("Client/2"))
        .bearer_auth(&api.token)
        .send()
        .await;
    assert!(cut(deleted).await, "the reply is cut");
    api.sb.set_faults(Faults::default());
    let (status, saved) = api.get("Tickets/61").await;
    assert_eq!(
        (status, saved["summary"].as_str()),
        (200, Some("outcome unknown"))
    );
    assert_eq!(api.get("Client/2").await.0, 404, "deleted");
    let post = &entries(&api, "POST", "Tickets")[0];
    assert_eq!(
        (post.status, post.written.clone()),
        (200, vec!["61".to_string()])
    );
    assert_eq!(entries(&api, "DELETE", "Client")[0].written, ["2"]);
    assert_eq!(api.sb.stats().faults, 2);
}
