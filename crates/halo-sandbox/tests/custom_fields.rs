//! Custom fields by raw HTTP: the definitions (`/FieldInfo` by `typeid`, lookup values only
//! when asked), the values seeded objects carry, and writes (checked, completed, and the
//! posted array replacing the stored one whole: HaloAPI #13).

mod common;

use common::*;
use serde_json::{Value, json};

fn ids(rows: &Value) -> Vec<i64> {
    rows.as_array()
        .unwrap_or_else(|| panic!("not a bare array: {rows}"))
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn definitions_are_listed_by_typeid_without_their_values() {
    let api = Api::start(small()).await;
    let (status, tickets) = api.get("FieldInfo?typeid=1").await;
    assert_eq!(status, 200, "{tickets}");
    assert_eq!(ids(&tickets), [101, 102, 103, 104, 105, 106]);
    for def in tickets.as_array().unwrap() {
        assert_eq!(def["typeid"], 1);
        assert!(def.get("values").is_none(), "a list omits values: {def}");
        for key in [
            "name",
            "label",
            "type",
            "inputtype",
            "usage",
            "readonly",
            "characterlimit",
            "custom",
        ] {
            assert!(def.get(key).is_some(), "{key} in {def}");
        }
    }
    assert_eq!(tickets[0]["name"], "CFContractRef");
    let (_, clients) = api.get("FieldInfo?typeid=2").await;
    assert_eq!(ids(&clients), [201, 202, 203, 204]);
    assert_eq!(
        clients[0]["name"], "CFContractRef",
        "clients have a contract reference too"
    );
    let (_, all) = api.get("FieldInfo").await;
    assert!(ids(&all).len() > 12, "no typeid: every entity's");
    let (_, with) = api.get("FieldInfo?typeid=1&includevalues=true").await;
    assert_eq!(with[3]["values"][0], json!({"id": 11, "name": "North"}));
}

#[tokio::test]
async fn a_definition_gives_its_lookup_values_with_getlookupvalues() {
    let api = Api::start(small()).await;
    let (_, plain) = api.get("FieldInfo/104").await;
    assert!(plain.get("values").is_none(), "{plain}");
    let (status, region) = api.get("FieldInfo/104?getlookupvalues=true").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = region["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["North", "South", "East", "West"]);
    assert_eq!(
        (region["type"].as_i64(), region["label"].as_str()),
        (Some(2), Some("Region"))
    );
}

#[tokio::test]
async fn seeded_objects_carry_three_values_as_halo_returns_them() {
    let api = Api::start(small()).await;
    let (_, ticket) = api.get("Tickets/7").await;
    let fields = ticket["customfields"].as_array().unwrap();
    assert_eq!(fields.len(), 3, "{ticket}");
    let region = fields.iter().find(|f| f["id"] == 104).unwrap();
    for key in ["id", "name", "label", "type", "value", "display"] {
        assert!(region.get(key).is_some(), "{key} in {region}");
    }
    let north_south = ["North", "South", "East", "West"];
    assert!(north_south.contains(&region["display"].as_str().unwrap()));
    assert_eq!(fields[0]["name"], "CFContractRef");
    assert_eq!(fields[0]["value"], format!("C-{}", ticket["client_id"]));
    for path in ["Client/1", "Site/1", "Asset/1"] {
        let (_, obj) = api.get(path).await;
        assert_eq!(
            obj["customfields"].as_array().unwrap().len(),
            3,
            "{path}: {obj}"
        );
    }
}

#[tokio::test]
async fn the_posted_array_replaces_the_stored_one_whole() {
    let api = Api::start(small()).await;
    let (status, saved) = api
        .post(
            "Tickets",
            &json!([{"id": 7, "customfields": [{"name": "CFRegion", "value": 13}]}]),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    let (_, ticket) = api.get("Tickets/7").await;
    assert_eq!(
        ticket["customfields"],
        json!([{"id": 104, "name": "CFRegion", "label": "Region", "type": 2, "display": "East", "value": 13}]),
        "the entries not posted are gone (HaloAPI #13)"
    );
    let (_, _) = api
        .post(
            "Tickets",
            &json!([{"id": 7, "summary": "Changed, custom fields not posted"}]),
        )
        .await;
    let (_, ticket) = api.get("Tickets/7").await;
    assert_eq!(
        ticket["customfields"].as_array().unwrap().len(),
        1,
        "not posted: kept"
    );
}

#[tokio::test]
async fn posted_values_are_checked_against_the_definitions() {
    let api = Api::start(small()).await;
    let post = |fields: Value| {
        let api = &api;
        async move {
            api.post("Tickets", &json!([{"id": 7, "customfields": fields}]))
                .await
        }
    };
    for (fields, says) in [
        (json!([{"id": 999, "value": "x"}]), "id 999"),
        (json!([{"name": "CFNope", "value": "x"}]), "'CFNope'"),
        (json!([{"id": 201, "value": "x"}]), "id 201"),
        (json!([{"id": 104, "value": 21}]), "CFRegion"),
        (json!([{"id": 104, "value": "North"}]), "CFRegion"),
        (json!([{"id": 105, "value": [21, 11]}]), "CFServices"),
        (json!([{"id": 102, "value": "lots"}]), "CFHoursBudget"),
        (json!([{"id": 103, "value": "soon"}]), "CFGoLiveDate"),
        (json!({"id": 104}), "array"),
    ] {
        let (status, body) = post(fields.clone()).await;
        assert_eq!(status, 400, "{fields}: {body}");
        assert!(body.to_string().contains(says), "{fields}: {body}");
    }
    let (_, before) = api.get("Tickets/7").await;
    assert_eq!(
        before["customfields"].as_array().unwrap().len(),
        3,
        "nothing saved"
    );
    let (status, saved) = post(json!([
        {"id": 105, "value": [21, 24]}, {"name": "cfhoursbudget", "value": "12.5"},
        {"id": "103", "value": "2026-03-01"},
    ]))
    .await;
    assert_eq!(status, 200, "{saved}");
    let fields = &saved["customfields"];
    assert_eq!(fields[0]["display"], "Backup, Security");
    assert_eq!(
        fields[1]["value"],
        json!(12.5),
        "a numeric string is stored as a number"
    );
    assert_eq!(fields[2]["label"], "Go-live date");
}
