//! A real read-only SQL engine for `/Report`: T-SQL over views named after Halo's reporting
//! tables, translated to SQLite ([`translate`]) and run on the store's connection with
//! writes impossible (`PRAGMA query_only`, and a statement SQLite does not call read-only is
//! never run). Errors are SQL Server's messages, for `report.load_error`.

pub mod report;
pub mod translate;
pub mod views;

use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;
use rusqlite::types::ValueRef;
use serde_json::Value;

use crate::domain::clock;
use crate::domain::store::Store;
use translate::Period;
use views::SqlType;

/// Rows a query may return. Halo documents no limit; a silently cut report would look
/// complete, so a larger result is an error (`load_error`) asking for `TOP` or a filter.
pub const ROW_CAP: usize = 10_000;
/// How long a query may run before it is interrupted (the store is busy meanwhile).
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A result column: its name as the query gives it, and its SQL Server type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The name.
    pub name: String,
    /// `int`, `float`, `nvarchar`, `datetime` or `bit`.
    pub data_type: &'static str,
}

/// A query's result: columns in the SELECT's order, each row's values in that order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows (integers, reals, text, null).
    pub rows: Vec<Vec<Value>>,
}

/// Runs one read-only T-SQL query (only rows in `period`, when given), at most `cap` rows;
/// `Err` is SQL Server's message.
pub fn run(store: &Store, sql: &str, period: Option<&Period>, cap: usize) -> Result<Table, String> {
    let translated = translate::translate(sql, &sqlite_time(clock::now_unix()), period)?;
    store
        .query_only(views::create, |conn| execute(conn, &translated, cap))
        .map_err(|e| e.to_string())?
}

/// A Unix time as SQLite time text, `YYYY-MM-DD HH:MM:SS`.
fn sqlite_time(unix: i64) -> String {
    clock::iso(unix).trim_end_matches('Z').replacen('T', " ", 1)
}

/// Runs translated SQL under a watchdog that interrupts it after [`TIMEOUT`].
fn execute(conn: &Connection, sql: &str, cap: usize) -> Result<Table, String> {
    let handle = conn.get_interrupt_handle();
    let (done, wait) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if wait.recv_timeout(TIMEOUT) == Err(mpsc::RecvTimeoutError::Timeout) {
            handle.interrupt();
        }
    });
    let result = rows(conn, sql, cap);
    drop(done);
    let _ = watchdog.join();
    result
}

fn rows(conn: &Connection, sql: &str, cap: usize) -> Result<Table, String> {
    let mut stmt = conn.prepare(sql).map_err(message)?;
    // The last guard: whatever translation let through, SQLite must call it read-only.
    if !stmt.readonly() {
        return Err(halopsa::sql::SqlRefusal::Writes("the statement".into()).to_string());
    }
    let names: Vec<String> = stmt.column_names().map(String::from).collect();
    let mut found = stmt.query([]).map_err(message)?;
    let mut rows = Vec::new();
    while let Some(row) = found.next().map_err(message)? {
        if rows.len() == cap {
            return Err(format!(
                "The query returned more than {cap} rows; narrow it with TOP or a WHERE clause."
            ));
        }
        let values = (0..names.len())
            .map(|i| row.get_ref(i).map(json).map_err(message))
            .collect::<Result<Vec<_>, _>>()?;
        rows.push(values);
    }
    let columns = names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let ty = views::column_type(&name).unwrap_or_else(|| inferred(&rows, i));
            Column {
                name,
                data_type: ty.name(),
            }
        })
        .collect::<Vec<_>>();
    // Dates go back to the client as ISO (`YYYY-MM-DDTHH:MM:SS`), as Halo sends them.
    for (i, column) in columns.iter().enumerate() {
        if column.data_type == SqlType::DateTime.name() {
            for row in &mut rows {
                if let Value::String(s) = &mut row[i]
                    && is_sqlite_time(s)
                {
                    s.replace_range(10..11, "T");
                }
            }
        }
    }
    Ok(Table { columns, rows })
}

/// A column's type from its first non-null value (for columns no view names).
fn inferred(rows: &[Vec<Value>], i: usize) -> SqlType {
    let first = rows.iter().map(|r| &r[i]).find(|v| !v.is_null());
    match first {
        Some(Value::Number(n)) if n.is_i64() => SqlType::Int,
        Some(Value::Number(_)) => SqlType::Float,
        Some(Value::String(s)) if is_sqlite_time(s) => SqlType::DateTime,
        _ => SqlType::Text,
    }
}

/// Whether text is SQLite time, `YYYY-MM-DD HH:MM:SS`.
fn is_sqlite_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

/// One SQLite value as JSON (a blob as base64 text).
fn json(v: ValueRef<'_>) -> Value {
    use base64::Engine;
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::String(base64::engine::general_purpose::STANDARD.encode(b)),
    }
}

/// SQLite's error as SQL Server's message.
fn message(e: rusqlite::Error) -> String {
    if let rusqlite::Error::SqliteFailure(failure, _) = &e
        && failure.code == rusqlite::ErrorCode::OperationInterrupted
    {
        return "Execution Timeout Expired. The timeout period elapsed prior to completion of the operation.".into();
    }
    let text = match &e {
        rusqlite::Error::SqliteFailure(_, Some(m)) => m.clone(),
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    };
    let after = |prefix: &str| text.strip_prefix(prefix).map(str::trim);
    if let Some(column) = after("no such column:") {
        return if column.contains('.') {
            format!("The multi-part identifier \"{column}\" could not be bound.")
        } else {
            format!("Invalid column name '{column}'.")
        };
    }
    if let Some(table) = after("no such table:") {
        return format!("Invalid object name '{table}'.");
    }
    if let Some(function) = after("no such function:") {
        return format!("'{function}' is not a recognized built-in function name.");
    }
    if let Some(column) = after("ambiguous column name:") {
        return format!("Ambiguous column name '{column}'.");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::seed::{SeedSize, seed};
    use serde_json::json;

    fn seeded() -> Store {
        let store = Store::open(None).unwrap();
        seed(&store, SeedSize { tickets: 300 }).unwrap();
        store
    }

    fn query(store: &Store, sql: &str) -> Table {
        run(store, sql, None, ROW_CAP).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    fn one(store: &Store, sql: &str) -> Value {
        query(store, sql).rows.remove(0).remove(0)
    }

    fn error(store: &Store, sql: &str) -> String {
        run(store, sql, None, ROW_CAP).expect_err(sql)
    }

    #[test]
    fn every_view_has_the_stores_rows() {
        let store = seeded();
        let counts = store.counts().unwrap();
        for view in views::VIEWS {
            let n = one(&store, &format!("SELECT COUNT(*) AS n FROM {}", view.name));
            assert_eq!(n, json!(counts[view.resource]), "{}", view.name);
            // Every declared column exists and reads.
            let names: Vec<&str> = view.columns.iter().map(|c| c.name).collect();
            let t = query(
                &store,
                &format!("SELECT TOP 1 {} FROM {}", names.join(", "), view.name),
            );
            let got: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(got, names);
        }
    }

    #[test]
    fn faults_show_the_tickets_fields() {
        let store = seeded();
        let doc = store.get("Tickets", 0, 7).unwrap().unwrap();
        let t = query(
            &store,
            "SELECT Faultid, Symptom, Areaint, Status, Dateoccured FROM Faults WHERE Faultid = 7",
        );
        let types: Vec<&str> = t.columns.iter().map(|c| c.data_type).collect();
        assert_eq!(types, ["int", "nvarchar", "int", "int", "datetime"]);
        let row = &t.rows[0];
        assert_eq!(row[1], doc["summary"]);
        assert_eq!(row[2], doc["client_id"]);
        assert_eq!(row[3], doc["status_id"]);
        let iso = doc["dateoccurred"].as_str().unwrap().trim_end_matches('Z');
        assert_eq!(row[4], json!(iso), "dates go back as ISO");
    }

    #[test]
    fn deleted_tickets_only_when_asked_by_fdeleted() {
        let store = seeded();
        let mut doc = store.get("Tickets", 0, 5).unwrap().unwrap();
        doc.insert("deleted".into(), json!(true));
        let key = crate::domain::store::Key {
            parent: 0,
            id: 5,
            uid: None,
        };
        store.put("Tickets", key, doc).unwrap();
        assert_eq!(one(&store, "SELECT COUNT(*) FROM Faults"), json!(299));
        assert_eq!(
            one(
                &store,
                "SELECT COUNT(*) FROM Faults WHERE FDeleted IN (0, 1)"
            ),
            json!(300)
        );
        assert_eq!(
            one(&store, "SELECT COUNT(*) FROM Faults WHERE FDeleted = 1"),
            json!(1)
        );
        assert_eq!(
            one(&store, "SELECT COUNT(*) FROM Faults f WHERE f.Faultid = 5"),
            json!(0)
        );
    }

    #[test]
    fn top_order_joins_and_brackets() {
        let store = seeded();
        let t = query(
            &store,
            "SELECT TOP 5 [Faultid] FROM dbo.Faults WITH (NOLOCK) ORDER BY Faultid DESC",
        );
        let ids: Vec<Value> = t.rows.iter().map(|r| r[0].clone()).collect();
        assert_eq!(
            ids,
            [json!(300), json!(299), json!(298), json!(297), json!(296)]
        );
        let t = query(
            &store,
            "SELECT TOP 3 a.Aareadesc, COUNT(*) AS n FROM Faults f JOIN Area a ON a.Aarea = f.Areaint \
             GROUP BY a.Aareadesc ORDER BY n DESC, a.Aareadesc",
        );
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.columns[0].name, "Aareadesc");
        let total: i64 = query(
            &store,
            "SELECT COUNT(*) AS n FROM Faults f JOIN Area a ON a.Aarea = f.Areaint",
        )
        .rows[0][0]
            .as_i64()
            .unwrap();
        assert_eq!(total, 300, "every ticket's client is in Area");
        let users = one(
            &store,
            "SELECT COUNT(*) FROM Users u JOIN Site s ON s.Ssitenum = u.Usite",
        );
        assert_eq!(users, json!(store.counts().unwrap()["Users"]));
    }

    #[test]
    fn text_compares_case_insensitively_and_like_works() {
        let store = seeded();
        let name = one(&store, "SELECT Aareadesc FROM Area WHERE Aarea = 1");
        let upper = name.as_str().unwrap().to_uppercase();
        assert_eq!(
            one(
                &store,
                &format!("SELECT COUNT(*) FROM Area WHERE Aareadesc = '{upper}'")
            ),
            json!(1)
        );
        let printers = one(
            &store,
            "SELECT COUNT(*) FROM Faults WHERE Symptom LIKE 'PRINTER%'",
        );
        let expected = (1..=300)
            .filter(|id| {
                let doc = store.get("Tickets", 0, *id).unwrap().unwrap();
                doc["summary"].as_str().unwrap().starts_with("Printer")
            })
            .count();
        assert_eq!(printers, json!(expected));
        assert!(expected > 0);
    }

    #[test]
    fn dates_add_differ_and_convert_as_sql_server() {
        let store = Store::open(None).unwrap();
        let cases = [
            (
                "DATEADD(month, 1, '2025-01-31')",
                json!("2025-02-28T00:00:00"),
            ),
            (
                "DATEADD(day, -7, '2026-03-03 10:00:00')",
                json!("2026-02-24T10:00:00"),
            ),
            (
                "DATEADD(hh, 5, '2026-03-03 22:00:00')",
                json!("2026-03-04T03:00:00"),
            ),
            (
                "DATEADD(year, 1, '2024-02-29')",
                json!("2025-02-28T00:00:00"),
            ),
            (
                "DATEADD(quarter, 1, '2026-01-15')",
                json!("2026-04-15T00:00:00"),
            ),
            (
                "DATEDIFF(year, '2025-12-31 23:59:59', '2026-01-01')",
                json!(1),
            ),
            ("DATEDIFF(month, '2026-01-31', '2026-02-01')", json!(1)),
            ("DATEDIFF(quarter, '2026-03-31', '2026-04-01')", json!(1)),
            (
                "DATEDIFF(day, '2026-01-01 23:59:00', '2026-01-02 00:01:00')",
                json!(1),
            ),
            ("DATEDIFF(day, '2026-01-10', '2026-01-01')", json!(-9)),
            // 2026-01-03 is a Saturday, 2026-01-04 a Sunday.
            ("DATEDIFF(week, '2026-01-03', '2026-01-04')", json!(1)),
            ("DATEDIFF(week, '2026-01-04', '2026-01-10')", json!(0)),
            (
                "DATEDIFF(hour, '2026-01-01 10:59:59', '2026-01-01 11:00:00')",
                json!(1),
            ),
            (
                "DATEDIFF(minute, '2026-01-01 10:00:59', '2026-01-01 10:01:00')",
                json!(1),
            ),
            (
                "DATEDIFF(second, '2026-01-01 10:00:00', '2026-01-01 10:01:00')",
                json!(60),
            ),
            (
                "CONVERT(varchar(10), CAST('2026-03-04 05:06:07' AS datetime), 120)",
                json!("2026-03-04"),
            ),
            (
                "CONVERT(varchar, CAST('2026-03-04 05:06:07' AS datetime), 103)",
                json!("04/03/2026"),
            ),
            (
                "CONVERT(varchar, CAST('2026-03-04 05:06:07' AS datetime), 101)",
                json!("03/04/2026"),
            ),
            (
                "CONVERT(varchar, CAST('2026-03-04 05:06:07' AS datetime), 23)",
                json!("2026-03-04"),
            ),
            (
                "CONVERT(varchar(19), CAST('2026-03-04 05:06:07' AS datetime), 126)",
                json!("2026-03-04T05:06:07"),
            ),
            ("CONVERT(date, '04/03/2026', 103)", json!("2026-03-04")),
            ("CONVERT(date, '03/04/2026', 101)", json!("2026-03-04")),
            ("CAST('2026-03-04T05:06:07' AS date)", json!("2026-03-04")),
            ("CAST('42' AS int) + 1", json!(43)),
            ("CAST(2.5 AS float)", json!(2.5)),
            ("CAST(2.345 AS decimal(10, 2))", json!(2.35)),
            (
                "YEAR('2026-03-04') * 100 + MONTH('2026-03-04')",
                json!(202_603),
            ),
            ("DAY('2026-03-04')", json!(4)),
            ("DATEPART(weekday, '2026-01-04')", json!(1)),
            ("ISNULL(NULL, 'x')", json!("x")),
            ("COALESCE(NULL, NULL, 3)", json!(3)),
            ("LEN('abc  ')", json!(3)),
            (
                "UPPER('a') + LOWER('B') + LTRIM('  c') + RTRIM('d  ')",
                json!("Abcd"),
            ),
            ("SUBSTRING('halo psa', 6, 3)", json!("psa")),
            ("CHARINDEX('PSA', 'halo psa')", json!(6)),
            ("CHARINDEX('a', 'halo psa', 3)", json!(8)),
            ("ROUND(2.567, 1)", json!(2.6)),
            ("ABS(-3)", json!(3)),
            ("LEFT('halo', 2) + RIGHT('halo', 2)", json!("halo")),
            (
                "'#' + CAST(7 AS varchar) + ' ' + LOWER('OK')",
                json!("#7 ok"),
            ),
            (
                "DATEADD(day, 1, '2026-03-04') + 0.5",
                json!("2026-03-05T12:00:00"),
            ),
        ];
        for (expr, want) in cases {
            assert_eq!(one(&store, &format!("SELECT {expr} AS v")), want, "{expr}");
        }
    }

    #[test]
    fn getdate_is_the_clock() {
        let store = Store::open(None).unwrap();
        let before = sqlite_time(clock::now_unix());
        let t = query(
            &store,
            "SELECT GETDATE() AS now, DATEDIFF(day, GETDATE(), GETDATE()) AS zero",
        );
        let after = sqlite_time(clock::now_unix());
        let got = t.rows[0][0].as_str().unwrap().replace('T', " ");
        assert!(
            before <= got && got <= after,
            "{before} <= {got} <= {after}"
        );
        assert_eq!(t.columns[0].data_type, "datetime");
        assert_eq!(t.rows[0][1], json!(0));
    }

    #[test]
    fn errors_are_sql_servers() {
        let store = seeded();
        assert_eq!(
            error(&store, "SELECT Nope FROM Faults"),
            "Invalid column name 'Nope'."
        );
        assert_eq!(
            error(&store, "SELECT f.Nope FROM Faults f"),
            "The multi-part identifier \"f.Nope\" could not be bound."
        );
        assert_eq!(
            error(&store, "SELECT * FROM Tickets"),
            "Invalid object name 'Tickets'."
        );
        assert_eq!(
            error(&store, "SELECT * FROM objects"),
            "Invalid object name 'objects'."
        );
        assert_eq!(
            error(&store, "SELECT name FROM sqlite_master"),
            "Invalid object name 'sqlite_master'."
        );
        assert_eq!(
            error(&store, "SELECT FOO(Faultid) FROM Faults"),
            "'FOO' is not a recognized built-in function name."
        );
        assert_eq!(
            error(&store, "SELECT Faultid FROM Faults WHERE"),
            "Incorrect syntax near 'WHERE'."
        );
        assert_eq!(
            error(
                &store,
                "SELECT Faultid FROM Faults f JOIN Actions a ON a.Faultid = f.Faultid"
            ),
            "Ambiguous column name 'Faultid'."
        );
        for write in [
            "DELETE FROM Faults",
            "SELECT 1; DROP TABLE Faults",
            "EXEC sp_who",
            "SELECT * INTO t FROM Faults",
            "UPDATE Faults SET Status = 9",
            "INSERT INTO Faults (Symptom) SELECT Symptom FROM Faults",
            "DROP TABLE objects",
        ] {
            assert_eq!(
                error(&store, write),
                halopsa::sql::check(write).unwrap_err().to_string()
            );
        }
        assert_eq!(store.counts().unwrap()["Tickets"], 300, "nothing changed");
    }

    #[test]
    fn the_connection_refuses_writes_while_querying() {
        let store = Store::open(None).unwrap();
        let refused = store
            .query_only(views::create, |conn| {
                conn.execute("DELETE FROM objects", [])
            })
            .unwrap();
        assert!(refused.is_err());
        assert!(execute_raw_write_is_refused(&store));
    }

    /// A write that slipped past translation is refused by the read-only statement guard.
    fn execute_raw_write_is_refused(store: &Store) -> bool {
        store
            .query_only(views::create, |conn| rows(conn, "DELETE FROM objects", 10))
            .unwrap()
            .is_err_and(|e| e.contains("changes data"))
    }

    #[test]
    fn the_row_cap_is_an_error() {
        let store = seeded();
        assert_eq!(
            run(&store, "SELECT Faultid FROM Faults", None, 300)
                .unwrap()
                .rows
                .len(),
            300
        );
        assert_eq!(
            run(&store, "SELECT Faultid FROM Faults", None, 299).unwrap_err(),
            "The query returned more than 299 rows; narrow it with TOP or a WHERE clause."
        );
    }

    #[test]
    fn a_period_keeps_rows_within_it() {
        let store = seeded();
        let period = Period {
            field: "Dateoccured".into(),
            start: "2025-03-01 00:00:00".into(),
            end: "2025-03-31 23:59:59".into(),
        };
        let t = run(
            &store,
            "SELECT Faultid, Dateoccured FROM Faults",
            Some(&period),
            ROW_CAP,
        )
        .unwrap();
        let expected = (1..=300)
            .filter(|id| {
                let doc = store.get("Tickets", 0, *id).unwrap().unwrap();
                doc["dateoccurred"].as_str().unwrap().starts_with("2025-03")
            })
            .count();
        assert!(expected > 0);
        assert_eq!(t.rows.len(), expected);
        assert_eq!(t.columns[1].data_type, "datetime");
        let missing = Period {
            field: "Nope".into(),
            ..period
        };
        assert_eq!(
            run(
                &store,
                "SELECT Faultid FROM Faults",
                Some(&missing),
                ROW_CAP
            )
            .unwrap_err(),
            "Invalid column name 'Nope'."
        );
    }
}
