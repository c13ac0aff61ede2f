//! Week one of a new user, played in-process against the sandbox: each job one command as
//! a person would type it, its effect checked in the sandbox (not only the exit code).

mod common;

use common::SECRET;
use common::desk::Desk;
use serde_json::Value;

fn id_of(v: &Value) -> String {
    halopsa::id::id_text(&v["id"])
}

#[tokio::test]
async fn week_one() {
    let desk = Desk::new(80).await;
    let url = desk.sandbox.url();

    // Connect, the secret on standard input.
    let connect = [
        "connect",
        "--url",
        &url,
        "--client-id",
        "halo-sandbox-client",
        "--client-secret-stdin",
    ];
    let ran = desk.halo_with(&connect, SECRET).await.ok();
    assert!(
        ran.printed.out().contains("stored as profile 'default'"),
        "{}",
        ran.printed.out()
    );

    // Who am I.
    let me = desk.halo(&["whoami", "-o", "json"]).await.json();
    assert_eq!(me["agent"]["name"], "API Agent", "{me}");
    assert_eq!(
        me["tenant"], "sandbox",
        "the tenant discovery found is kept: {me}"
    );
    assert_eq!(
        desk.sandbox.stats().token_requests,
        1,
        "the token connect minted is the one used next"
    );

    // Find a client by name (part of it, any case).
    let acme = desk
        .halo(&["clients", "get", "acme", "-o", "json"])
        .await
        .json();
    assert_eq!(acme["name"], "Acme Ltd");
    let acme_id = id_of(&acme);

    // Create a ticket for a client given by name.
    let created = desk
        .halo(&[
            "tickets",
            "create",
            "--set",
            "summary=Printer offline",
            "--client",
            "Acme Ltd",
            "-o",
            "json",
        ])
        .await
        .json();
    let ticket = id_of(&created);
    let stored = desk.ticket(&ticket).await;
    assert_eq!(
        id_of(&serde_json::json!({"id": stored["client_id"]})),
        acme_id,
        "{stored}"
    );
    assert_eq!(stored["summary"], "Printer offline");

    // Assign it to me.
    desk.halo(&["tickets", "assign", &ticket, "--agent", "@me"])
        .await
        .ok();
    assert_eq!(desk.ticket(&ticket).await["agent_id"], 1);

    // My open tickets for a client given by name: exactly those the sandbox holds.
    let mine = desk
        .halo(&[
            "tickets",
            "list",
            "--mine",
            "--open-only",
            "--client",
            "Acme Ltd",
            "--all",
            "-o",
            "json",
        ])
        .await
        .json();
    let mine: Vec<String> = mine.as_array().unwrap().iter().map(id_of).collect();
    let every = desk
        .halo(&[
            "api",
            "Tickets",
            "--paginate",
            "-q",
            &format!("client_id={acme_id}"),
            "-o",
            "json",
        ])
        .await
        .json();
    let expected: Vec<String> = every
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["agent_id"] == 1 && t["hasbeenclosed"] != true)
        .map(id_of)
        .collect();
    assert!(mine.contains(&ticket), "{mine:?}");
    assert_eq!(mine, expected);

    // Add a note with the time it took.
    desk.halo(&[
        "tickets",
        "note",
        &ticket,
        "Rebooted the printer",
        "--time",
        "15m",
    ])
    .await
    .ok();
    let actions = desk
        .halo(&["actions", "list", "--ticket-id", &ticket, "-o", "json"])
        .await
        .json();
    let note = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["note"] == "Rebooted the printer")
        .unwrap_or_else(|| panic!("no note in {actions}"));
    assert_eq!(note["outcome"], "Note", "{note}");
    assert_eq!(note["timetaken"].as_f64(), Some(0.25), "{note}");

    // Close it, with a last note.
    desk.halo(&["tickets", "close", &ticket, "--note", "Fixed: new toner"])
        .await
        .ok();
    let closed = desk.ticket(&ticket).await;
    assert_eq!(closed["status_id"], 9, "{closed}");
    assert_eq!(closed["hasbeenclosed"], true);

    // Assets of a client given by name.
    let assets = desk
        .halo(&[
            "assets", "list", "--client", "Acme Ltd", "--all", "-o", "json",
        ])
        .await
        .json();
    let assets = assets.as_array().unwrap();
    assert!(!assets.is_empty());
    assert!(
        assets.iter().all(|a| a["client_name"] == "Acme Ltd"),
        "{assets:?}"
    );

    // Export to CSV with chosen columns, in that order.
    let file = desk.dir.path().join("tickets.csv");
    let out = file.to_string_lossy();
    desk.halo(&[
        "export",
        "tickets",
        "-o",
        "csv",
        "--columns",
        "id,summary,client_name",
        "--out",
        &out,
    ])
    .await
    .ok();
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("id,summary,client_name"));
    assert_eq!(lines.count(), 81, "80 seeded and the one created");

    // CSV for Excel with the columns halo picks: id first.
    let file = desk.dir.path().join("all.csv");
    let out = file.to_string_lossy();
    desk.halo(&["export", "tickets", "-o", "csv", "--out", &out])
        .await
        .ok();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("id,"),
        "{}",
        text.lines().next().unwrap_or("")
    );
    assert!(!text.starts_with('{'), "CSV, not NDJSON");

    // Switch profiles: a second connection as another profile, then back.
    let second = [
        "--profile",
        "night-shift",
        "connect",
        "--url",
        &url,
        "--client-id",
        "halo-sandbox-client",
        "--client-secret-stdin",
    ];
    desk.halo_with(&second, SECRET).await.ok();
    desk.halo(&["profile", "use", "default"]).await.ok();
    let listed = desk.halo(&["profile", "list", "-o", "json"]).await.json();
    let current: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["current"] == true)
        .collect();
    assert_eq!(current.len(), 1, "{listed}");
    assert_eq!(current[0]["name"], "default", "{listed}");
    let who = desk
        .halo(&["--profile", "night-shift", "whoami", "-o", "json"])
        .await
        .json();
    assert_eq!(who["profile"], "night-shift", "{who}");
}

#[tokio::test]
async fn mistakes_are_refused_before_anything_is_sent() {
    let desk = Desk::new(80).await;
    let url = desk.sandbox.url();
    let connect = [
        "connect",
        "--url",
        &url,
        "--client-id",
        "halo-sandbox-client",
        "--client-secret-stdin",
    ];
    desk.halo_with(&connect, SECRET).await.ok();
    let before = desk.ticket("5").await;

    // An unknown field: refused with the nearest names and the name flag.
    let ran = desk
        .halo(&["tickets", "update", "5", "--set", "status=Closed"])
        .await;
    assert_eq!(ran.code, 2);
    let err = ran.printed.err();
    assert!(err.contains("unknown field 'status'"), "{err}");
    assert!(
        err.contains("status_id") && err.contains("--status Closed"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // A display name where the id goes.
    let ran = desk
        .halo(&[
            "tickets",
            "create",
            "--set",
            "summary=x",
            "--set",
            "client_name=Acme Ltd",
        ])
        .await;
    assert_eq!(ran.code, 2);
    assert!(
        ran.printed.err().contains("--client \"Acme Ltd\""),
        "{}",
        ran.printed.err()
    );
    // A name for an integer field.
    let ran = desk
        .halo(&["tickets", "update", "5", "--set", "status_id=Closed"])
        .await;
    assert_eq!(ran.code, 2);
    assert!(
        ran.printed.err().contains("--status Closed"),
        "{}",
        ran.printed.err()
    );
    assert_eq!(desk.ticket("5").await, before, "nothing was changed");
    assert_eq!(
        desk.halo(&["tickets", "count", "-o", "json"]).await.json()["count"],
        80,
        "nothing was created"
    );

    // An ambiguous name: exit 2 with the candidates.
    let ran = desk.halo(&["tickets", "list", "--client", "Ltd"]).await;
    assert_eq!(ran.code, 2);
    let err = ran.printed.err();
    assert!(
        err.contains("'Acme Ltd' (1)") && err.contains("'Northwind Ltd' (2)"),
        "{err}"
    );
    // An unknown one: exit 4 with the nearest.
    let ran = desk.halo(&["tickets", "list", "--client", "Acmee"]).await;
    assert_eq!(ran.code, 4, "{}", ran.printed.err());
    assert!(
        ran.printed.err().contains("Acme Ltd"),
        "{}",
        ran.printed.err()
    );

    // A date Halo would not understand.
    for bad in ["last week", "01/02/2026"] {
        let ran = desk
            .halo(&[
                "tickets",
                "list",
                "--datesearch",
                "dateoccured",
                "--startdate",
                bad,
            ])
            .await;
        assert_eq!(ran.code, 2, "{bad}");
        assert!(ran.printed.err().contains("today"), "{}", ran.printed.err());
    }
    // A filter that needs another.
    let ran = desk.halo(&["tickets", "list", "--orderdesc"]).await;
    assert_eq!(ran.code, 2);
    assert!(
        ran.printed.err().contains("orderdesc needs order"),
        "{}",
        ran.printed.err()
    );

    // A delete with no terminal to confirm on and no --yes.
    let ran = desk.halo(&["tickets", "delete", "5"]).await;
    assert_eq!(ran.code, 2);
    assert!(ran.printed.err().contains("--yes"), "{}", ran.printed.err());
    assert_eq!(desk.ticket("5").await, before, "nothing was deleted");
}
