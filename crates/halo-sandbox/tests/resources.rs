//! The resource API by raw HTTP: shapes, paging, filters, writes, deletes, errors.

mod common;

use common::*;
use halo_sandbox::SandboxConfig;
use halopsa::resource::{IdKind, ListShape, Ops, RESOURCES};
use serde_json::{Value, json};

fn rows<'a>(body: &'a Value, key: &str) -> &'a Vec<Value> {
    body[key]
        .as_array()
        .unwrap_or_else(|| panic!("no '{key}' array in {body}"))
}

#[tokio::test]
async fn every_resource_lists_in_its_shape_and_gets_by_id() {
    let api = Api::start(small()).await;
    for res in RESOURCES {
        let query = if res.paged {
            "?pageinate=true&page_size=5"
        } else {
            ""
        };
        let (status, body) = api.get(&format!("{}{query}", res.path)).await;
        assert_eq!(status, 200, "{}: {body}", res.path);
        let items = match res.list {
            ListShape::Wrapped(key) => {
                assert!(body["record_count"].is_u64(), "{}: {body}", res.path);
                rows(&body, key).clone()
            }
            ListShape::Bare => body
                .as_array()
                .unwrap_or_else(|| panic!("{} not bare: {body}", res.path))
                .clone(),
            _ => {
                assert!(body.is_object(), "{}", res.path);
                continue;
            }
        };
        assert!(!items.is_empty(), "{} is seeded", res.path);
        if !res.ops.contains(Ops::GET) {
            continue;
        }
        let first = &items[0];
        let id = match &first["id"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let path = match res.id {
            IdKind::PerTicket => format!("{}/{id}?ticket_id={}", res.path, first["ticket_id"]),
            // A file's GET is its bytes; its metadata comes with includedetails.
            _ if res.file_download => format!("{}/{id}?includedetails=true", res.path),
            _ => format!("{}/{id}", res.path),
        };
        let (status, one) = api.get(&path).await;
        assert_eq!(status, 200, "{path}: {one}");
        assert_eq!(one["id"], first["id"], "{path}");
    }
}

#[tokio::test]
async fn paths_and_parameter_names_are_case_insensitive() {
    let api = Api::start(small()).await;
    let (status, body) = api.get("TICKETS?PageInate=True&Page_Size=3").await;
    assert_eq!(status, 200);
    assert_eq!(rows(&body, "tickets").len(), 3);
    assert_eq!(body["page_size"], 3);
}

#[tokio::test]
async fn pages_are_capped_and_echoed() {
    let api = Api::start(SandboxConfig {
        seed_tickets: 230,
        ..SandboxConfig::default()
    })
    .await;
    let (_, body) = api
        .get("Tickets?pageinate=true&page_size=1000&page_no=1")
        .await;
    assert_eq!(
        (body["page_no"].as_u64(), body["page_size"].as_u64()),
        (Some(1), Some(100))
    );
    assert_eq!(body["record_count"], 230);
    assert_eq!(rows(&body, "tickets").len(), 100);
    let (_, last) = api
        .get("Tickets?pageinate=true&page_size=100&page_no=3")
        .await;
    assert_eq!(rows(&last, "tickets").len(), 30);
    let (_, beyond) = api
        .get("Tickets?pageinate=true&page_size=100&page_no=4")
        .await;
    assert!(rows(&beyond, "tickets").is_empty());
    assert_eq!(beyond["record_count"], 230);
    // Asset pages are 50 whatever is asked, and the effective size is echoed.
    let (_, assets) = api.get("Asset?pageinate=true&page_size=10").await;
    assert_eq!(assets["page_size"], 50);
    // Without pageinate: the whole list, or `count` rows.
    let (_, all) = api.get("Tickets").await;
    assert_eq!(rows(&all, "tickets").len(), 230);
    assert!(all.get("page_size").is_none());
    let (_, top) = api.get("Tickets?count=7").await;
    assert_eq!(rows(&top, "tickets").len(), 7);
    // page_size and page_no are ignored without pageinate (Halo's spelling).
    let (_, ignored) = api.get("Tickets?page_size=5&page_no=2").await;
    assert_eq!(rows(&ignored, "tickets").len(), 230);
}

#[tokio::test]
async fn the_page_cap_is_configurable() {
    let api = Api::start(SandboxConfig {
        seed_tickets: 60,
        page_cap: 25,
        ..SandboxConfig::default()
    })
    .await;
    let (_, body) = api.get("Tickets?pageinate=true&page_size=100").await;
    assert_eq!(body["page_size"], 25);
    assert_eq!(rows(&body, "tickets").len(), 25);
}

#[tokio::test]
async fn filters_narrow_and_record_count_follows() {
    let api = Api::start(small()).await;
    let total = api.count("Tickets").await;
    let open = api.count("Tickets?open_only=true").await;
    let closed = api.count("Tickets?closed_only=true").await;
    assert_eq!(open + closed, total);
    assert!(open > 0 && closed > 0);
    let (_, body) = api.get("Tickets?client_id=2").await;
    let list = rows(&body, "tickets");
    assert_eq!(body["record_count"].as_u64().unwrap() as usize, list.len());
    assert!(list.iter().all(|t| t["client_id"] == 2));
    let (_, body) = api.get("Tickets?ticketids=3,5,7").await;
    let ids: Vec<_> = rows(&body, "tickets")
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![3, 5, 7]);
    let (_, body) = api.get("Tickets?order=id&orderdesc=true&count=2").await;
    assert_eq!(rows(&body, "tickets")[0]["id"], 60);
    let (_, body) = api.get("Tickets?search=printer").await;
    assert!(rows(&body, "tickets").iter().all(|t| {
        t["summary"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("printer")
    }));
    // A misspelt filter is ignored silently, as Halo does.
    assert_eq!(api.count("Tickets?closedonly=true").await, total);
    let (_, body) = api
        .get("Tickets?datesearch=dateoccured&startdate=2026-01-01T00:00:00Z")
        .await;
    assert!(
        rows(&body, "tickets")
            .iter()
            .all(|t| t["dateoccurred"].as_str().unwrap() >= "2026-01-01")
    );
    let (_, body) = api.get("Actions?ticket_id=2").await;
    assert!(rows(&body, "actions").iter().all(|a| a["ticket_id"] == 2));
    let (_, body) = api.get("Site?client_id=3").await;
    assert!(rows(&body, "sites").iter().all(|s| s["client_id"] == 3));
}

#[tokio::test]
async fn create_update_and_their_guards() {
    let api = Api::start(small()).await;
    let (status, t) = api
        .post("Tickets", &json!([{"summary": "Disk full", "client_id": 1, "site_id": 1, "user_id": 1, "x_custom": {"kept": [1, 2]}}]))
        .await;
    assert_eq!(status, 200, "{t}");
    assert!(t.is_object(), "one in, one out");
    assert_eq!(t["id"], 61);
    assert!(
        t["client_name"].as_str().is_some_and(|n| !n.is_empty()),
        "names filled: {t}"
    );
    assert_eq!(t["status_name"], "New");
    assert_eq!(t["targetdate"], "1900-01-01T00:00:00");
    let (_, got) = api.get("Tickets/61").await;
    assert_eq!(
        got["x_custom"],
        json!({"kept": [1, 2]}),
        "unknown fields kept"
    );

    let (status, updated) = api
        .post(
            "Tickets",
            &json!([{"id": 61, "summary": "Disk really full"}]),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(updated["summary"], "Disk really full");
    assert_eq!(
        updated["x_custom"],
        json!({"kept": [1, 2]}),
        "partial update keeps the rest"
    );
    let (_, closed) = api
        .post("Tickets", &json!([{"id": "61", "status_id": 9.0}]))
        .await;
    assert_eq!(closed["hasbeenclosed"], true);
    assert!(closed["dateclosed"].is_string());

    let (status, many) = api
        .post(
            "Tickets?returnall=true",
            &json!([{"summary": "a"}, {"summary": "b"}]),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        many.as_array().map(Vec::len),
        Some(2),
        "several in, array out"
    );
    assert_eq!(
        (many[0]["id"].as_i64(), many[1]["id"].as_i64()),
        (Some(62), Some(63))
    );

    let before = api.count("Tickets").await;
    let (status, err) = api
        .post("Tickets", &json!([{"id": 99_999, "summary": "lost id"}]))
        .await;
    assert_eq!(status, 400);
    assert!(err["message"].as_str().unwrap().contains("99999"), "{err}");
    let (status, _) = api
        .post("Tickets", &json!([{"summary": "ok"}, {"id": 99_999}]))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        api.count("Tickets").await,
        before,
        "nothing created by a refused batch"
    );
    let (status, err) = api
        .post("Tickets", &json!([{"summary": "bad", "client_id": 4242}]))
        .await;
    assert_eq!(
        (status, err["message"].as_str().unwrap()),
        (400, "The client_id 4242 does not exist.")
    );
    let (status, err) = api
        .post("Tickets", &json!([{"summary": "u", "user_id": 1}]))
        .await;
    assert_eq!(status, 400, "a user needs a site: {err}");
    let (status, _) = api
        .post("Tickets", &json!({"summary": "not an array"}))
        .await;
    assert_eq!(status, 400);
    let (status, _) = api.post("Agent", &json!([{"email": "x@y"}])).await;
    assert_eq!(status, 400, "agents need a name");
    let (status, w) = api
        .post(
            "Webhook",
            &json!([{"name": "hook", "url": "http://127.0.0.1:9/x"}]),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(w["id"].as_str().map(str::len), Some(36), "GUID ids: {w}");
}

#[tokio::test]
async fn malformed_bodies_are_400_never_500() {
    let api = Api::start(small()).await;
    for body in ["{not json", "[1, 2]", "[]", "\"text\""] {
        let resp = http()
            .post(api.url("Tickets"))
            .bearer_auth(&api.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let (status, msg) = decode(resp).await;
        assert_eq!(status, 400, "{body}: {msg}");
        assert!(msg["message"].is_string(), "{msg}");
    }
    let (status, _) = api.get("Tickets?page_size=abc&pageinate=true").await;
    assert_eq!(status, 400);
    let (status, _) = api.get("Tickets?open_only=maybe").await;
    assert_eq!(status, 400);
    let huge = format!("[{{\"summary\": \"{}\"}}]", "x".repeat(5 * 1024 * 1024));
    let resp = http()
        .post(api.url("Tickets"))
        .bearer_auth(&api.token)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    let (status, body) = api.get("NoSuchResource").await;
    assert_eq!(status, 404);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("/api/NoSuchResource")
    );
    let (status, _) = api.get("Tickets/1/Actions").await;
    assert_eq!(status, 404, "invented sub-paths do not exist");
    let (status, _) = api.get("Tickets/abc").await;
    assert_eq!(status, 404);
    let resp = http()
        .put(api.url("Tickets/1"))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405, "no PUT");
    let (status, _) = api.delete("Timesheet/1").await;
    assert_eq!(status, 405, "no DELETE on timesheets");
    assert_eq!(api.sb.stats().faults, 0);
}

#[tokio::test]
async fn tickets_are_soft_deleted_and_recovered() {
    let api = Api::start(small()).await;
    let total = api.count("Tickets").await;
    let (status, body) = api.delete("Tickets/5?reason=duplicate").await;
    assert_eq!((status, body), (200, json!({"id": 5})));
    assert_eq!(api.get("Tickets/5").await.0, 404);
    assert_eq!(api.count("Tickets").await, total - 1);
    let (_, deleted) = api.get("Tickets?deleted=true").await;
    let list = rows(&deleted, "tickets");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["deletion_reason"], "duplicate");
    assert_eq!(api.delete("Tickets/5").await.0, 404, "already deleted");
    let (status, _) = api
        .post(
            "Tickets",
            &json!([{"id": 5, "_recover": true, "_validate_updates": true}]),
        )
        .await;
    assert_eq!(status, 200);
    let (status, back) = api.get("Tickets/5").await;
    assert_eq!(status, 200);
    assert!(
        back.get("_recover").is_none(),
        "control flags are not stored"
    );
    assert_eq!(api.count("Tickets").await, total);
    // Other resources are deleted for good.
    assert_eq!(api.delete("Client/2").await.0, 200);
    assert_eq!(api.get("Client/2").await.0, 404);
}

#[tokio::test]
async fn actions_need_an_outcome_and_are_numbered_per_ticket() {
    let api = Api::start(small()).await;
    let (status, err) = api
        .post("Actions", &json!([{"ticket_id": 7, "note": "hi"}]))
        .await;
    assert_eq!(status, 400);
    assert_eq!(err["message"], "An Outcome must be entered for this Action");
    let (status, _) = api
        .post("Actions", &json!([{"note": "no ticket", "outcome_id": 1}]))
        .await;
    assert_eq!(status, 400);
    let (_, existing) = api.get("Actions?ticket_id=40").await;
    let n = rows(&existing, "actions").len() as i64;
    let (status, a) = api
        .post(
            "Actions",
            &json!([{"ticket_id": 40, "outcome_id": 3, "note": "called", "new_status": 9}]),
        )
        .await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["id"], n + 1, "ids restart within each ticket");
    assert_eq!(a["outcome"], "Phone Call");
    assert_eq!(a["who"], "API Agent");
    assert_eq!(
        api.get(&format!("Actions/{}?ticket_id=40", n + 1)).await.0,
        200
    );
    assert_eq!(
        api.get(&format!("Actions/{}", n + 1)).await.0,
        400,
        "ticket_id required"
    );
    let (_, ticket) = api.get("Tickets/40").await;
    assert_eq!(
        (
            ticket["status_id"].as_i64(),
            ticket["hasbeenclosed"].as_bool()
        ),
        (Some(9), Some(true))
    );
    assert_eq!(api.delete(&format!("Actions/{}", n + 1)).await.0, 400);
    assert_eq!(
        api.delete(&format!("Actions/{}?ticket_id=40", n + 1))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn details_only_when_asked() {
    let api = Api::start(small()).await;
    let (_, plain) = api.get("Invoice/1").await;
    assert!(plain.get("lines").is_none());
    let (_, full) = api.get("Invoice/1?includedetails=true").await;
    assert!(full["lines"].as_array().is_some_and(|l| !l.is_empty()));
    let (status, empty) = api.get("Timesheet/999?agent_id=2&date=2026-01-01").await;
    assert_eq!(
        (status, &empty["id"]),
        (200, &json!(0)),
        "an empty timesheet is id 0, not 404"
    );
    let (_, attachments) = api.get("Attachment?ticket_id=1").await;
    assert!(attachments["folders"].is_array(), "sidecar array present");
}

#[tokio::test]
async fn scopes_are_enforced_per_area() {
    let api = Api::start(small()).await;
    let read_tickets = token(&api.sb, "read:tickets").await;
    let get = |path: &'static str, tok: String| {
        let url = api.url(path);
        async move {
            http()
                .get(url)
                .bearer_auth(tok)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(get("Tickets", read_tickets.clone()).await, 200);
    assert_eq!(
        get("Actions?ticket_id=1", read_tickets.clone()).await,
        200,
        "actions come under tickets"
    );
    assert_eq!(get("Client", read_tickets.clone()).await, 403);
    assert_eq!(
        get("Agent", read_tickets.clone()).await,
        403,
        "agents need all or admin"
    );
    let resp = http()
        .post(api.url("Tickets"))
        .bearer_auth(&read_tickets)
        .json(&json!([{"summary": "x"}]))
        .send()
        .await
        .unwrap();
    let (status, body) = decode(resp).await;
    assert_eq!(status, 403);
    assert!(body["message"].as_str().unwrap().contains("edit:tickets"));
    let edit_customers = token(&api.sb, "edit:customers").await;
    assert_eq!(
        get("Site", edit_customers.clone()).await,
        200,
        "edit implies read; sites under customers"
    );
    let standard = token(&api.sb, "all:standard").await;
    assert_eq!(get("Invoice", standard.clone()).await, 200);
    assert_eq!(get("Agent", standard).await, 403);
    let resp = http().get(api.url("Tickets")).send().await.unwrap();
    let (status, body) = decode(resp).await;
    assert_eq!(
        (status, body),
        (
            401,
            json!({"message": "Authorization has been denied for this request."})
        )
    );
}

#[tokio::test]
async fn the_rate_limit_rolls_per_client() {
    let config = SandboxConfig {
        rate_limit: Some(halo_sandbox::RateLimit {
            requests: 3,
            window: std::time::Duration::from_secs(1),
        }),
        ..small()
    };
    let api = Api::start(config).await;
    for _ in 0..3 {
        assert_eq!(api.get("Status").await.0, 200);
    }
    let (status, body) = api.get("Status").await;
    assert_eq!(status, 429);
    assert_eq!(
        body,
        json!("Rate Limit Reached - 3 Requests per rolling 1 second window")
    );
    assert_eq!(api.sb.stats().rate_limited, 1);
    tokio::time::sleep(std::time::Duration::from_millis(1050)).await;
    assert_eq!(api.get("Status").await.0, 200, "the window rolled");
}

#[tokio::test]
async fn stats_count_objects_and_reset_restores_the_seed() {
    let api = Api::start(small()).await;
    let before = api.sb.stats().objects;
    assert_eq!(before["Tickets"], 60);
    api.post("Tickets", &json!([{"summary": "temp"}])).await;
    assert_eq!(api.sb.stats().objects["Tickets"], 61);
    let resp = http()
        .post(format!("{}/_sandbox/reset", api.sb.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(api.sb.stats().objects, before);
    assert_eq!(api.get("Tickets/61").await.0, 404);
    let over_http: Value = http()
        .get(format!("{}/_sandbox/stats", api.sb.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for key in [
        "requests",
        "token_requests",
        "rate_limited",
        "faults",
        "objects",
    ] {
        assert!(over_http.get(key).is_some(), "{key} in {over_http}");
    }
}

#[tokio::test]
async fn data_survives_a_restart_with_a_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let config = SandboxConfig {
        data_dir: Some(dir.path().to_path_buf()),
        ..small()
    };
    let api = Api::start(config.clone()).await;
    let (_, t) = api
        .post("Tickets", &json!([{"summary": "remember me"}]))
        .await;
    let id = t["id"].as_i64().unwrap();
    api.sb.shutdown().await;
    let api = Api::start(config).await;
    let (status, back) = api.get(&format!("Tickets/{id}")).await;
    assert_eq!(
        (status, back["summary"].as_str()),
        (200, Some("remember me"))
    );
    assert_eq!(api.count("Tickets").await, 61, "not seeded twice");
}

#[tokio::test]
async fn objects_are_sent_id_first_as_halo_does() {
    let api = Api::start(small()).await;
    let text = |path: String| {
        let (url, token) = (api.url(&path), api.token.clone());
        async move {
            let resp = http().get(url).bearer_auth(token).send().await.unwrap();
            resp.text().await.unwrap()
        }
    };
    let list = text("Tickets?pageinate=true&page_size=2".into()).await;
    assert!(list.contains(r#""tickets":[{"id":"#), "{list}");
    assert!(text("Tickets/3".into()).await.starts_with(r#"{"id":3,"#));
    let (status, created) = api.post("Client", &json!([{"name": "Id First Ltd"}])).await;
    assert_eq!(status, 200, "{created}");
    let page = text(format!("Client/{}", created["id"])).await;
    assert!(page.starts_with(r#"{"id":"#), "{page}");
}
