//! The generic resource layer against the sandbox: every row of the table, paging edge cases,
//! and writes that can never create a duplicate.

use futures::TryStreamExt;
use halo_sandbox::{Sandbox, SandboxConfig};
use halopsa::resource::{IdKind, ListShape, Ops, RESOURCES, find};
use halopsa::{Client, ConnectionSettings, Error, Grant, ListOptions};
use secrecy::SecretString;
use serde_json::{Value, json};

async fn start(config: SandboxConfig) -> (Sandbox, Client) {
    let sb = Sandbox::start(config).await.unwrap();
    let settings = ConnectionSettings::new(
        &sb.url(),
        "halo-sandbox-client",
        Grant::ClientCredentials {
            client_secret: SecretString::from("halo-sandbox-secret"),
        },
    )
    .unwrap();
    (sb, Client::new(settings).unwrap())
}

fn small() -> SandboxConfig {
    SandboxConfig {
        seed_tickets: 40,
        ..SandboxConfig::default()
    }
}

fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn id_of(v: &Value) -> String {
    halopsa::id::id_text(&v["id"])
}

#[tokio::test]
async fn every_resource_lists_gets_and_writes_where_halo_allows() {
    let (_sb, client) = start(small()).await;
    for res in RESOURCES {
        let api = client.resource(res);
        let (stream, _) = api.list(vec![], ListOptions::default());
        let rows: Vec<Value> = stream
            .try_collect()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", res.path));
        assert!(!rows.is_empty(), "{} lists", res.path);
        if res.list == ListShape::Single || !res.ops.contains(Ops::GET) {
            continue;
        }
        let first = &rows[0];
        let query = match res.id {
            IdKind::PerTicket => q(&[("ticket_id", &id_of(&json!({"id": first["ticket_id"]})))]),
            _ => vec![],
        };
        let one = api
            .get(&id_of(first), &query)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", res.path));
        assert_eq!(one["id"], first["id"], "{}", res.path);
        if res.ops.contains(Ops::UPDATE) && res.id != IdKind::None {
            // A file's metadata keeps only its own fields (the sandbox as Halo): its note.
            let (field, value) = if res.file_download {
                ("note", json!("touched"))
            } else {
                ("x_touched", json!(true))
            };
            let mut change = json!({"id": first["id"], field: value});
            if res.id == IdKind::PerTicket {
                change["ticket_id"] = first["ticket_id"].clone();
            }
            let saved = api
                .update(vec![change], true)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", res.path));
            assert_eq!(saved[0][field], value, "{}", res.path);
        }
    }
}

#[tokio::test]
async fn create_update_delete_round_trip() {
    let (_sb, client) = start(small()).await;
    let tickets = client.resource(find("tickets").unwrap());
    let created = tickets
        .create(vec![
            json!({"summary": "From the library", "client_id": 1, "site_id": 1}),
        ])
        .await
        .unwrap();
    let id = id_of(&created[0]);
    let updated = tickets
        .update(
            vec![json!({"id": created[0]["id"], "summary": "Renamed"})],
            true,
        )
        .await
        .unwrap();
    assert_eq!(updated[0]["summary"], "Renamed");
    let gone = tickets
        .delete(&id, &q(&[("reason", "test")]))
        .await
        .unwrap();
    assert_eq!(id_of(&gone), id);
    let err = tickets.get(&id, &[]).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    let actions = client.resource(find("actions").unwrap());
    let a = actions
        .create(vec![
            json!({"ticket_id": 3, "outcome_id": 1, "note": "hello"}),
        ])
        .await
        .unwrap();
    let got = actions
        .get(&id_of(&a[0]), &q(&[("ticket_id", "3")]))
        .await
        .unwrap();
    assert_eq!(got["note"], "hello");
    assert!(matches!(
        actions.get_request("1", &[]),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        actions.delete_request("1", &[]),
        Err(Error::InvalidInput(_))
    ));
}

#[tokio::test]
async fn an_update_of_a_missing_id_is_refused_and_creates_nothing() {
    let (sb, client) = start(small()).await;
    let tickets = client.resource(find("tickets").unwrap());
    let before = tickets.count(&[]).await.unwrap();
    let err = tickets
        .update(vec![json!({"id": 99_999, "summary": "lost"})], true)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "the check read it back: {err}");
    let posts = sb
        .journal()
        .iter()
        .filter(|e| e.method == "POST" && e.path.starts_with("/api"))
        .count();
    assert_eq!(posts, 0, "nothing was sent");
    // Without the check, Halo itself refuses the unknown id (400), still creating nothing.
    let err = tickets
        .update(vec![json!({"id": 99_999})], false)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(matches!(
        tickets.update_request(vec![json!({"summary": "no id"})]),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        tickets.create_request(vec![json!({"id": 5})]),
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(tickets.count(&[]).await.unwrap(), before);
}

async fn walk(
    client: &Client,
    path: &str,
    options: ListOptions,
) -> (Vec<Value>, halopsa::paging::WalkNotes) {
    let (stream, report) = client.resource(find(path).unwrap()).list(vec![], options);
    let rows: Vec<Value> = stream.try_collect().await.unwrap();
    (rows, report.notes())
}

#[tokio::test]
async fn paging_edge_cases() {
    // The server caps pages at 30 although 100 are asked.
    let (sb, client) = start(SandboxConfig {
        seed_tickets: 95,
        page_cap: 30,
        ..SandboxConfig::default()
    })
    .await;
    let (rows, notes) = walk(&client, "tickets", ListOptions::default()).await;
    assert_eq!(rows.len(), 95);
    assert_eq!(notes.pages, 4);
    // Asset: 50 a page whatever is asked.
    let assets = client
        .resource(find("assets").unwrap())
        .count(&[])
        .await
        .unwrap();
    let (rows, notes) = walk(
        &client,
        "assets",
        ListOptions {
            page_size: 10,
            limit: None,
            ..ListOptions::default()
        },
    )
    .await;
    assert_eq!(rows.len() as u64, assets);
    assert_eq!(notes.pages as u64, assets.div_ceil(50).max(1));
    drop(sb);
    // An exact multiple of the page size: no extra empty page.
    let (sb, client) = start(SandboxConfig {
        seed_tickets: 60,
        ..SandboxConfig::default()
    })
    .await;
    sb.clear_journal();
    let (rows, notes) = walk(
        &client,
        "tickets",
        ListOptions {
            page_size: 20,
            limit: None,
            ..ListOptions::default()
        },
    )
    .await;
    assert_eq!((rows.len(), notes.pages), (60, 3));
    // An empty result: one request.
    let (stream, report) = client
        .resource(find("tickets").unwrap())
        .list(q(&[("client_id", "4242")]), ListOptions::default());
    let none: Vec<Value> = stream.try_collect().await.unwrap();
    assert!(none.is_empty());
    assert_eq!(report.notes().pages, 1);
    // --limit: no more pages than needed.
    sb.clear_journal();
    let (rows, _) = walk(
        &client,
        "tickets",
        ListOptions {
            page_size: 100,
            limit: Some(7),
            ..ListOptions::default()
        },
    )
    .await;
    assert_eq!(rows.len(), 7);
    let pages: Vec<_> = sb
        .journal()
        .into_iter()
        .filter(|e| e.path == "/api/Tickets")
        .collect();
    assert_eq!(pages.len(), 1);
    assert_eq!(
        pages[0].query.as_deref(),
        Some("pageinate=true&page_no=1&page_size=7")
    );
}

#[tokio::test]
async fn a_row_inserted_mid_walk_leaves_every_row_exactly_once() {
    let (_sb, client) = start(SandboxConfig {
        seed_tickets: 50,
        ..SandboxConfig::default()
    })
    .await;
    let tickets = client.resource(find("tickets").unwrap());
    let (stream, report) = tickets.list(
        vec![],
        ListOptions {
            page_size: 10,
            limit: None,
            concurrency: 1,
            ..ListOptions::default()
        },
    );
    futures::pin_mut!(stream);
    let mut ids = Vec::new();
    while let Some(row) = stream.try_next().await.unwrap() {
        ids.push(row["id"].as_i64().unwrap());
        if ids.len() == 15 {
            tickets
                .create(vec![json!({"summary": "inserted mid-walk"})])
                .await
                .unwrap();
        }
    }
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "no row twice");
    assert!((1..=50).all(|i| ids.contains(&i)), "every original row");
    assert_eq!(report.notes().count_changed, Some((50, 51)));
}

#[tokio::test]
async fn a_typed_read_modify_write_posts_unknown_fields_back_unchanged() {
    use halopsa::models::Ticket;
    let (_sb, client) = start(small()).await;
    let raw = client.resource(find("tickets").unwrap());
    let created = raw
        .create(vec![json!({"summary": "typed rmw", "x_vendor": {"deep": [1, {"k": "v"}]},
                            "customfields": [{"id": 101, "name": "CFContractRef", "value": "a", "x_cf": true}]})])
        .await
        .unwrap();
    let id = id_of(&created[0]);
    let original = raw.get(&id, &[]).await.unwrap();
    let tickets = client.typed::<Ticket>().unwrap();
    let mut ticket = tickets.get(&id, &[]).await.unwrap();
    ticket.summary = Some("typed rmw changed".into());
    ticket.set_custom_field("CFContractRef", json!("b"));
    // What would be posted is the original object with exactly the two changes.
    let mut expected = original.clone();
    expected["summary"] = json!("typed rmw changed");
    expected["customfields"][0]["value"] = json!("b");
    assert_eq!(serde_json::to_value(&ticket).unwrap(), expected);
    let saved = tickets.update(vec![ticket], true).await.unwrap();
    assert_eq!(saved[0].summary.as_deref(), Some("typed rmw changed"));
    let after = raw.get(&id, &[]).await.unwrap();
    assert_eq!(after["x_vendor"], original["x_vendor"]);
    assert_eq!(after["customfields"][0]["x_cf"], true);
    // Halo's placeholder date reads as none but is written back as it was.
    let t = tickets.get(&id, &[]).await.unwrap();
    assert!(
        t.targetdate
            .as_ref()
            .is_some_and(|d| d.timestamp().is_none())
    );
}

#[tokio::test]
async fn a_row_that_does_not_decode_names_the_field() {
    use halopsa::models::Ticket;
    let (_sb, client) = start(small()).await;
    let raw = client.resource(find("tickets").unwrap());
    let bad = raw
        .create(vec![json!({"summary": "bad impact", "impact": "very"})])
        .await
        .unwrap();
    let err = client
        .typed::<Ticket>()
        .unwrap()
        .get(&id_of(&bad[0]), &[])
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("impact"), "{text}");
}

#[tokio::test]
async fn a_concurrent_walk_yields_every_row_once_in_order() {
    let (sb, client) = start(SandboxConfig {
        seed_tickets: 730,
        ..SandboxConfig::default()
    })
    .await;
    sb.clear_journal();
    let options = ListOptions {
        page_size: 50,
        concurrency: 6,
        ..ListOptions::default()
    };
    let (rows, notes) = walk(&client, "tickets", options).await;
    let ids: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, (1..=730).collect::<Vec<_>>());
    assert_eq!(notes.pages, 15);
    let pages = sb
        .journal()
        .iter()
        .filter(|e| e.path == "/api/Tickets")
        .count();
    assert_eq!(pages, 15, "no page fetched twice, none beyond the last");
    // A limit plans only the pages it needs.
    sb.clear_journal();
    let options = ListOptions {
        page_size: 50,
        limit: Some(120),
        concurrency: 6,
        ..ListOptions::default()
    };
    let (rows, _) = walk(&client, "tickets", options).await;
    assert_eq!(rows.len(), 120);
    assert_eq!(
        sb.journal()
            .iter()
            .filter(|e| e.path == "/api/Tickets")
            .count(),
        3
    );
}
