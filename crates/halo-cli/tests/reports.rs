//! `halo sql` and `halo reports`, in-process against the sandbox's SQL engine: rows checked
//! against the sandbox's own data, refusals checked in its journal.

mod common;

use common::desk::Desk;
use serde_json::Value;

/// Requests to `/api/Report` the sandbox has seen.
fn report_requests(desk: &Desk) -> usize {
    desk.sandbox
        .journal()
        .iter()
        .filter(|e| e.path.to_ascii_lowercase().starts_with("/api/report"))
        .count()
}

/// Every ticket, as the API lists them.
async fn tickets(desk: &Desk) -> Vec<Value> {
    let all = desk
        .halo(&["tickets", "list", "--all", "-o", "json"])
        .await
        .json();
    all.as_array().unwrap().clone()
}

#[tokio::test]
async fn sql_returns_halo_rows_in_halo_column_order() {
    let desk = Desk::connected(60).await;
    let sql = "SELECT TOP 5 Faultid, Symptom FROM Faults ORDER BY Faultid DESC";
    let ran = desk.halo(&["sql", sql, "-o", "json"]).await.ok();
    let text = ran.printed.out();
    let rows: Value = serde_json::from_str(&text).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 5, "{text}");
    // Halo's column order, not sorted keys.
    assert!(text.find("Faultid") < text.find("Symptom"), "{text}");
    let mut all = tickets(&desk).await;
    all.sort_by_key(|t| std::cmp::Reverse(t["id"].as_i64().unwrap()));
    for (row, ticket) in rows.iter().zip(&all) {
        assert_eq!(row["Faultid"], ticket["id"], "{row}");
        assert_eq!(row["Symptom"], ticket["summary"], "{row}");
    }

    // The same from standard input and from a file; CSV keeps the order too.
    let csv = desk
        .halo_with(&["sql", "-o", "csv"], sql)
        .await
        .ok()
        .printed
        .out();
    assert!(csv.starts_with("Faultid,Symptom\n"), "{csv}");
    assert_eq!(csv.lines().count(), 6, "{csv}");
    let file = desk.dir.path().join("q.sql");
    std::fs::write(&file, sql).unwrap();
    let from_file = desk
        .halo(&["sql", "--file", file.to_str().unwrap(), "-o", "json"])
        .await
        .json();
    assert_eq!(from_file.as_array().unwrap(), rows);
}

#[tokio::test]
async fn t_sql_date_functions_filter_as_sql_server_would() {
    let desk = Desk::connected(120).await;
    let sql = "SELECT Faultid, Dateoccured FROM [Faults] WHERE Dateoccured > DATEADD(day, -7, GETDATE()) ORDER BY Faultid";
    let rows = desk.halo(&["sql", sql, "-o", "json"]).await.json();
    let got: Vec<i64> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Faultid"].as_i64().unwrap())
        .collect();
    let now = jiff::Timestamp::now();
    let age = |t: &Value| {
        let when: jiff::Timestamp = t["dateoccurred"].as_str().unwrap().parse().unwrap();
        now.duration_since(when).as_secs()
    };
    let week = 7 * 86_400;
    // A minute of slack either side: the clock moves between the two calls.
    let surely_in: Vec<i64> = tickets(&desk)
        .await
        .iter()
        .filter(|t| age(t) < week - 60)
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert!(!surely_in.is_empty(), "the seed has tickets of this week");
    for id in &surely_in {
        assert!(got.contains(id), "ticket {id} is within 7 days: {got:?}");
    }
    let all = tickets(&desk).await;
    for id in &got {
        let t = all.iter().find(|t| t["id"] == *id).unwrap();
        assert!(age(t) < week + 60, "ticket {id} is older than 7 days");
    }
    assert!(got.len() < all.len(), "the filter left some out");
}

#[tokio::test]
async fn anything_but_one_read_only_query_is_refused_before_sending() {
    let desk = Desk::connected(10).await;
    desk.sandbox.clear_journal();
    for sql in [
        "DELETE FROM Faults",
        "SELECT 1; DROP TABLE Faults",
        "EXEC sp_who",
        "UPDATE Faults SET Status = 9",
        "SELECT * INTO Copy FROM Faults",
    ] {
        let ran = desk.halo(&["sql", sql]).await;
        assert_eq!(ran.code, 2, "{sql}: {}", ran.printed.err());
        let err = ran.printed.err();
        assert!(err.contains("SELECT"), "{sql}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    }
    assert_eq!(
        desk.sandbox.journal().len(),
        0,
        "nothing was sent: {:?}",
        desk.sandbox.journal()
    );
    let long = format!(
        "SELECT Faultid FROM Faults WHERE Symptom = '{}'",
        "x".repeat(8_000)
    );
    let ran = desk.halo(&["sql", &long]).await;
    assert_eq!(ran.code, 2, "{}", ran.printed.err());
    assert!(
        ran.printed.err().contains("8000") || ran.printed.err().contains("8,000"),
        "{}",
        ran.printed.err()
    );
    assert_eq!(report_requests(&desk), 0);
}

#[tokio::test]
async fn halo_load_error_is_an_error_with_its_text() {
    let desk = Desk::connected(10).await;
    let ran = desk
        .halo(&["sql", "SELECT Faultid FROM Faults WHERE"])
        .await;
    assert_eq!(ran.code, 1, "{}", ran.printed.err());
    assert!(
        ran.printed.err().contains("syntax"),
        "{}",
        ran.printed.err()
    );
    assert_eq!(report_requests(&desk), 1, "it was Halo that refused it");
    let ran = desk.halo(&["sql", "SELECT Nosuchcolumn FROM Faults"]).await;
    assert_eq!(ran.code, 1);
    assert!(
        ran.printed.err().contains("Invalid column name"),
        "{}",
        ran.printed.err()
    );
    assert!(ran.printed.out().is_empty(), "no empty result printed");
    // No rows is a result, not an error.
    let none = desk
        .halo(&[
            "sql",
            "SELECT Faultid FROM Faults WHERE Faultid < 0",
            "-o",
            "json",
        ])
        .await
        .json();
    assert_eq!(none, serde_json::json!([]));
}

#[tokio::test]
async fn saved_reports_list_and_run_with_a_period_and_csv_for_excel() {
    let desk = Desk::connected(120).await;
    let list = desk.halo(&["reports", "list", "-o", "json"]).await.json();
    let list = list.as_array().unwrap();
    assert!(list.len() >= 3, "{list:?}");
    let open = list
        .iter()
        .find(|r| {
            r["name"]
                .as_str()
                .unwrap_or("")
                .to_lowercase()
                .contains("open")
        })
        .expect("a seeded open-tickets report");
    let id = halopsa::id::id_text(&open["id"]);

    let csv = desk
        .halo(&["reports", "run", &id, "-o", "csv"])
        .await
        .ok()
        .printed
        .out();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(header.contains(','), "{csv}");
    assert!(lines.count() >= 1, "{csv}");
    let rows = desk
        .halo(&["reports", "run", &id, "-o", "json"])
        .await
        .json();
    // The report's numbers add up to the open tickets the API lists.
    let open_tickets = tickets(&desk)
        .await
        .iter()
        .filter(|t| ![8, 9].contains(&t["status_id"].as_i64().unwrap()))
        .count() as i64;
    let total: i64 = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_object()
                .unwrap()
                .values()
                .filter_map(Value::as_i64)
                .next_back()
                .unwrap()
        })
        .sum();
    assert_eq!(total, open_tickets, "{rows}");

    // A period narrows a report that has a date field.
    let period = list
        .iter()
        .find(|r| {
            r["name"]
                .as_str()
                .unwrap_or("")
                .to_lowercase()
                .contains("period")
        })
        .expect("a seeded report over a period");
    let pid = halopsa::id::id_text(&period["id"]);
    let whole = desk
        .halo(&["reports", "run", &pid, "-o", "json"])
        .await
        .json();
    let week = desk
        .halo(&["reports", "run", &pid, "--from", "7d", "-o", "json"])
        .await
        .json();
    assert!(
        week.as_array().unwrap().len() < whole.as_array().unwrap().len(),
        "{week}"
    );
    let ran = desk
        .halo(&["reports", "run", &pid, "--from", "someday"])
        .await;
    assert_eq!(ran.code, 2);

    // --out for Excel: a BOM, then the CSV; never replaced without --force.
    let out = desk.dir.path().join("open.csv");
    let path = out.to_str().unwrap();
    desk.halo(&["reports", "run", &id, "--out", path, "--excel"])
        .await
        .ok();
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "BOM first");
    assert_eq!(&bytes[3..], csv.as_bytes());
    let ran = desk.halo(&["reports", "run", &id, "--out", path]).await;
    assert_eq!(ran.code, 2, "{}", ran.printed.err());
    assert!(ran.printed.err().contains("--force"));
    assert_eq!(std::fs::read(&out).unwrap(), bytes, "left as it was");
    desk.halo(&["reports", "run", &id, "--out", path, "--force"])
        .await
        .ok();
    assert_eq!(
        std::fs::read(&out).unwrap(),
        csv.as_bytes(),
        "no BOM unless --excel"
    );
    let ran = desk
        .halo(&["reports", "run", &id, "-o", "json", "--excel"])
        .await;
    assert_eq!(ran.code, 2);
}
