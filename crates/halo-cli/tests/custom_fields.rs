//! Custom fields by name, in-process against the sandbox: `--field` on update and create
//! (the other fields kept: HaloAPI #13), values checked before anything is posted,
//! `halo fields`, and `--where` on list, get and export (filtered here: HaloAPI #14). Each
//! effect is checked in the sandbox, past the CLI.

mod common;

use common::desk::Desk;
use serde_json::{Value, json};

/// A ticket's custom fields as `(id, value)`, in order.
fn values(ticket: &Value) -> Vec<(i64, Value)> {
    ticket["customfields"]
        .as_array()
        .unwrap_or_else(|| panic!("no customfields in {ticket}"))
        .iter()
        .map(|f| (f["id"].as_i64().unwrap(), f["value"].clone()))
        .collect()
}

#[tokio::test]
async fn setting_one_field_by_label_keeps_the_other_two() {
    let desk = Desk::connected(40).await;
    let before = desk.stored("Tickets/9").await;
    let had = values(&before);
    assert_eq!(had.len(), 3, "seeded with three: {before}");
    let region = had.iter().find(|(id, _)| *id == 104).unwrap().1.clone();
    let south = if region == json!(12) { "East" } else { "South" };
    let want = if south == "East" { 13 } else { 12 };

    // A dry run shows the change as a diff and the whole array it would post.
    let dry = desk
        .halo(&[
            "tickets",
            "update",
            "9",
            "--field",
            &format!("Region={south}"),
            "--dry-run",
        ])
        .await
        .ok();
    let out = dry.printed.out();
    let shown = before["customfields"][1]["display"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        out.starts_with(&format!("- Region: {shown}\n+ Region: {south}\n")),
        "{out}"
    );
    assert!(
        out.contains(&format!("\"value\": {want}")),
        "a lookup by name is sent as its id: {out}"
    );
    assert!(
        out.contains("\"id\": 101") && out.contains("\"id\": 102"),
        "{out}"
    );
    assert_eq!(desk.posts(), 0, "a dry run posts nothing");

    let saved = desk
        .halo(&[
            "tickets",
            "update",
            "9",
            "--field",
            &format!("region={south}"),
            "-o",
            "json",
        ])
        .await
        .json();
    assert_eq!(saved["id"], 9);
    let after = values(&desk.stored("Tickets/9").await);
    let expected: Vec<(i64, Value)> = had
        .iter()
        .map(|(id, v)| (*id, if *id == 104 { json!(want) } else { v.clone() }))
        .collect();
    assert_eq!(
        after, expected,
        "the other two kept, the region changed to its id"
    );
    let stored = desk.stored("Tickets/9").await;
    assert_eq!(stored["customfields"][1]["display"], south);

    // Several at once, by name and CF name, a new one added.
    desk.halo(&[
        "tickets",
        "update",
        "9",
        "--field",
        "CFHoursBudget=12.5",
        "--field",
        "Services=Email, Security",
        "--field",
        "Go-live date=2026-03-01",
    ])
    .await
    .ok();
    let after = values(&desk.stored("Tickets/9").await);
    assert_eq!(after.len(), 5, "{after:?}");
    assert!(after.contains(&(102, json!(12.5))), "{after:?}");
    assert!(after.contains(&(105, json!([22, 24]))), "{after:?}");
    assert!(after.contains(&(103, json!("2026-03-01"))), "{after:?}");
    assert!(after.contains(&(101, had[0].1.clone())), "{after:?}");
}

#[tokio::test]
async fn a_wrong_name_or_value_is_refused_before_anything_is_sent() {
    let desk = Desk::connected(20).await;
    let before = desk.stored("Tickets/5").await;
    for (field, says) in [
        (
            "Region=Up",
            "'Up' is not a value of Region; it takes North, South, East or West",
        ),
        (
            "Regon=North",
            "no custom field is named 'Regon'; did you mean Region (CFRegion)?",
        ),
        ("Hours budget=lots", "is not a number"),
        ("Go-live date=next week", "is not a date"),
        ("Services=Email,Fax", "'Fax' is not a value of Services"),
        ("Region", "is not NAME=VALUE"),
    ] {
        let ran = desk
            .halo(&["tickets", "update", "5", "--field", field])
            .await;
        assert_eq!(ran.code, 2, "{field}: {}", ran.printed.err());
        let err = ran.printed.err();
        assert!(err.contains(says), "{field}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let ran = desk
        .halo(&[
            "tickets",
            "create",
            "--set",
            "summary=x",
            "--field",
            "Region=Up",
        ])
        .await;
    assert_eq!(ran.code, 2);
    assert_eq!(desk.posts(), 0, "nothing was posted");
    assert_eq!(desk.stored("Tickets/5").await, before);
    let ran = desk
        .halo(&["agents", "update", "2", "--field", "Region=North"])
        .await;
    assert_eq!(ran.code, 2, "no --field where there are no custom fields");
}

#[tokio::test]
async fn create_sets_custom_fields_by_name() {
    let desk = Desk::connected(20).await;
    let created = desk
        .halo(&[
            "clients",
            "create",
            "--set",
            "name=Fieldwork Ltd",
            "--field",
            "Contract reference=CON-9000",
            "--field",
            "Support tier=gold",
            "-o",
            "json",
        ])
        .await
        .json();
    let id = halopsa::id::id_text(&created["id"]);
    let stored = desk.stored(&format!("Client/{id}")).await;
    assert_eq!(
        values(&stored),
        [(201, json!("CON-9000")), (202, json!(33))]
    );
    assert_eq!(stored["customfields"][1]["display"], "Gold");
}

#[tokio::test]
async fn fields_lists_the_definitions() {
    let desk = Desk::connected(20).await;
    let fields = desk.halo(&["fields", "tickets", "-o", "json"]).await.json();
    let fields = fields.as_array().unwrap();
    let region = fields.iter().find(|f| f["label"] == "Region").unwrap();
    assert_eq!(region["name"], "CFRegion");
    assert_eq!(region["kind"], "lookup");
    assert_eq!(region["values"][0], json!({"id": 11, "name": "North"}));
    let kinds: Vec<&str> = fields.iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["text", "decimal", "date", "lookup", "multi-select", "memo"]
    );
    let table = desk.halo(&["fields", "clients", "-o", "table"]).await.ok();
    assert!(
        table.printed.out().contains("Bronze, Silver, Gold"),
        "{}",
        table.printed.out()
    );
    // Cached per profile: a second listing asks Halo nothing, --refresh-fields asks again.
    desk.sandbox.clear_journal();
    desk.halo(&["fields", "tickets"]).await.ok();
    let field_info = |desk: &Desk| {
        desk.sandbox
            .journal()
            .iter()
            .filter(|e| e.path.to_lowercase().contains("fieldinfo"))
            .count()
    };
    assert_eq!(field_info(&desk), 0, "from the cache");
    desk.halo(&["fields", "tickets", "--refresh-fields"])
        .await
        .ok();
    assert_eq!(field_info(&desk), 3, "the list and the two lookups' values");
    for (line, code) in [(["fields", "agents"], 2), (["fields", "tikets"], 2)] {
        let ran = desk.halo(&line).await;
        assert_eq!(ran.code, code, "{line:?}: {}", ran.printed.err());
    }
}

#[tokio::test]
async fn where_keeps_the_rows_that_meet_it() {
    let desk = Desk::connected(120).await;
    let all = desk
        .halo(&["api", "Tickets", "--paginate", "-o", "json"])
        .await
        .json();
    let north: Vec<i64> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| values(t).contains(&(104, json!(11))))
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert!(!north.is_empty() && north.len() < 120);
    let listed = desk
        .halo(&[
            "tickets",
            "list",
            "--all",
            "--where",
            "cf.Region=North",
            "-o",
            "json",
        ])
        .await;
    let note = listed.printed.err();
    let listed = listed.json();
    let ids: Vec<i64> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, north, "exactly the sandbox's North tickets");
    assert!(
        note.contains(&format!("({} of 120 tickets matched --where)", north.len())),
        "{note}"
    );

    // ANDed with another condition, on a plain field.
    let both = desk
        .halo(&[
            "tickets",
            "list",
            "--all",
            "--where",
            "cf.Region=North",
            "--where",
            "status_name!=Closed",
            "-o",
            "json",
        ])
        .await
        .json();
    assert!(
        both.as_array()
            .unwrap()
            .iter()
            .all(|t| t["status_name"] != "Closed" && values(t).contains(&(104, json!(11))))
    );

    // get: the object, or exit 4 when it does not meet the condition.
    let first = north[0].to_string();
    desk.halo(&["tickets", "get", &first, "--where", "cf.Region=North"])
        .await
        .ok();
    let other = (1..=120).find(|i| !north.contains(i)).unwrap().to_string();
    let ran = desk
        .halo(&["tickets", "get", &other, "--where", "cf.Region=north"])
        .await;
    assert_eq!(ran.code, 4, "{}", ran.printed.err());

    // A name that names no custom field: exit 2 with the nearest, nothing listed.
    let ran = desk
        .halo(&["tickets", "list", "--where", "cf.Regin=North"])
        .await;
    assert_eq!(ran.code, 2);
    assert!(
        ran.printed
            .err()
            .contains("did you mean Region (CFRegion)?"),
        "{}",
        ran.printed.err()
    );
    let ran = desk.halo(&["tickets", "list", "--where", "Region"]).await;
    assert_eq!(ran.code, 2);

    // export: only the rows that meet it.
    let out = desk.dir.path().join("north.ndjson");
    let exported = desk
        .halo(&[
            "export",
            "tickets",
            "--where",
            "cf.Region=North",
            "--out",
            out.to_str().unwrap(),
        ])
        .await
        .ok();
    assert!(
        exported
            .printed
            .err()
            .contains(&format!("exported {} tickets (of 120 walked", north.len())),
        "{}",
        exported.printed.err()
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let ids: Vec<i64> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(ids, north);
}
