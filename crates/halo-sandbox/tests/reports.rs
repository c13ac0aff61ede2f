//! `/Report` runs SQL over the sandbox's data: ad-hoc (`_loadreportonly`) and saved reports
//! (`loadreport=true`, with a reporting period), errors as status 200 with `load_error`.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::{Value, json};

/// Runs `sql` ad hoc: the status and the raw body text.
async fn run_sql(api: &Api, sql: &str) -> (u16, String) {
    let resp = http()
        .post(api.url("Report"))
        .bearer_auth(&api.token)
        .json(&json!([{"id": 0, "name": "", "sql": sql, "_loadreportonly": true}]))
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

async fn rows(api: &Api, sql: &str) -> Vec<Value> {
    let (status, text) = run_sql(api, sql).await;
    assert_eq!(status, 200);
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["report"]["load_error"], "", "{sql}");
    body["report"]["rows"].as_array().unwrap().clone()
}

/// Every ticket, from the list.
async fn tickets(api: &Api) -> Vec<Value> {
    let (status, body) = api
        .get("Tickets?pageinate=true&page_size=100&page_no=1")
        .await;
    assert_eq!(status, 200);
    let all = body["tickets"].as_array().unwrap().clone();
    assert_eq!(all.len() as u64, body["record_count"].as_u64().unwrap());
    all
}

fn now_unix() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// A Unix time as `YYYY-MM-DDTHH:MM:SS` (UTC).
fn iso(unix: i64) -> String {
    jiff::Timestamp::from_second(unix)
        .expect("a time in range")
        .strftime("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// Ids of tickets whose `dateoccurred` is after `since` (ISO, compared as text).
fn ids_after(all: &[Value], since: &str) -> BTreeSet<i64> {
    all.iter()
        .filter(|t| t["dateoccurred"].as_str().unwrap().trim_end_matches('Z') > since)
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn top_five_by_id_descending_with_their_summaries() {
    let api = Api::start(small()).await;
    let (status, text) = run_sql(
        &api,
        "SELECT TOP 5 Faultid, Symptom FROM Faults ORDER BY Faultid DESC",
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        text.starts_with(r#"{"id":0,"name":"","sql":"SELECT TOP 5"#),
        "keys in Halo's order: {text}"
    );
    assert!(
        text.contains(r#"[{"Faultid":60,"Symptom":"#),
        "row keys in column order"
    );
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["report"]["loaded"], true);
    assert_eq!(
        body["available_columns"],
        json!([
            {"id": 1, "name": "Faultid", "data_type": "int", "sequence": 1},
            {"id": 2, "name": "Symptom", "data_type": "nvarchar", "sequence": 2},
        ])
    );
    let rows = body["report"]["rows"].as_array().unwrap();
    let ids: Vec<i64> = rows
        .iter()
        .map(|r| r["Faultid"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [60, 59, 58, 57, 56]);
    for row in rows {
        let (_, ticket) = api.get(&format!("Tickets/{}", row["Faultid"])).await;
        assert_eq!(row["Symptom"], ticket["summary"]);
    }
}

#[tokio::test]
async fn a_getdate_dateadd_filter_matches_the_last_seven_days() {
    let api = Api::start(small()).await;
    let now = now_unix();
    let (status, _) = api
        .post(
            "Tickets",
            &json!([
                {"summary": "two days ago", "client_id": 1, "dateoccurred": format!("{}Z", iso(now - 2 * 86_400))},
                {"summary": "ten days ago", "client_id": 1, "dateoccurred": format!("{}Z", iso(now - 10 * 86_400))},
            ]),
        )
        .await;
    assert_eq!(status, 200);
    let all = tickets(&api).await;
    let before = now_unix();
    let found = rows(
        &api,
        "SELECT Faultid FROM Faults WHERE Dateoccured > DATEADD(day, -7, GETDATE())",
    )
    .await;
    let after = now_unix();
    let found: BTreeSet<i64> = found
        .iter()
        .map(|r| r["Faultid"].as_i64().unwrap())
        .collect();
    // The clock moves on during the request: the window can only have shrunk.
    let widest = ids_after(&all, &iso(before - 7 * 86_400));
    let narrowest = ids_after(&all, &iso(after - 7 * 86_400));
    assert!(
        found.is_subset(&widest) && narrowest.is_subset(&found),
        "{found:?}"
    );
    let recent = all.iter().find(|t| t["summary"] == "two days ago").unwrap();
    let old = all.iter().find(|t| t["summary"] == "ten days ago").unwrap();
    assert!(found.contains(&recent["id"].as_i64().unwrap()));
    assert!(!found.contains(&old["id"].as_i64().unwrap()));
}

#[tokio::test]
async fn errors_and_writes_answer_200_with_load_error() {
    let api = Api::start(small()).await;
    let (status, text) = run_sql(&api, "SELECT Faultid FROM Faults WHERE").await;
    assert_eq!(status, 200);
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        body["report"],
        json!({"loaded": false, "load_error": "Incorrect syntax near 'WHERE'.", "rows": []})
    );
    assert_eq!(body["available_columns"], json!([]));
    let before = api.count("Tickets").await;
    for sql in [
        "DELETE FROM Faults",
        "SELECT 1; DROP TABLE Faults",
        "EXEC sp_who",
    ] {
        let (status, text) = run_sql(&api, sql).await;
        assert_eq!(status, 200);
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            body["report"]["load_error"],
            halopsa::sql::check(sql).unwrap_err().to_string()
        );
    }
    assert_eq!(api.count("Tickets").await, before);
    let (_, text) = run_sql(&api, "SELECT * FROM objects").await;
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        body["report"]["load_error"],
        "Invalid object name 'objects'."
    );
}

#[tokio::test]
async fn a_saved_report_runs_with_its_period_and_saving_still_saves() {
    let api = Api::start(small()).await;
    let (status, plain) = api.get("Report/2").await;
    assert_eq!(status, 200);
    assert_eq!(plain["reportingperioddatefield"], "Dateoccured");
    assert!(
        plain.get("report").is_none(),
        "without loadreport: the object"
    );

    let (from, to) = ("2025-03-01", "2025-08-31");
    let (status, body) = api
        .get(&format!(
            "Report/2?loadreport=true&reportingperiodstartdate={from}T00:00:00&reportingperiodenddate={to}"
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["id"], 2);
    assert_eq!(body["name"], plain["name"]);
    assert_eq!(body["report"]["load_error"], "");
    let names: Vec<&str> = body["available_columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Faultid", "Symptom", "Dateoccured", "Status"]);
    let got: BTreeSet<i64> = body["report"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Faultid"].as_i64().unwrap())
        .collect();
    let expected: BTreeSet<i64> = tickets(&api)
        .await
        .iter()
        .filter(|t| {
            let day = &t["dateoccurred"].as_str().unwrap()[..10];
            (from..=to).contains(&day)
        })
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert!(!expected.is_empty() && expected.len() < 60);
    assert_eq!(got, expected);
    let first = &body["report"]["rows"][0]["Dateoccured"];
    assert_eq!(first.as_str().unwrap().as_bytes()[10], b'T', "ISO dates");

    let (status, all) = api.get("Report/2?loadreport=true").await;
    assert_eq!(status, 200);
    assert_eq!(all["report"]["rows"].as_array().unwrap().len(), 60);
    for id in 1..=4 {
        let (status, report) = api.get(&format!("Report/{id}?loadreport=true")).await;
        assert_eq!(status, 200);
        assert_eq!(report["report"]["loaded"], true, "{report}");
    }
    let (status, _) = api.get("Report/99?loadreport=true").await;
    assert_eq!(status, 404);

    let (status, saved) = api
        .post(
            "Report",
            &json!([{"name": "Mine", "sql": "SELECT Faultid FROM Faults"}]),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(saved["name"], "Mine");
    let (_, again) = api
        .get(&format!("Report/{}?loadreport=true", saved["id"]))
        .await;
    assert_eq!(again["report"]["rows"].as_array().unwrap().len(), 60);
}
