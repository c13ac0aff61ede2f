//! `halo mcp` driven by the official SDK's client over stdio (the binary as a child process)
//! and over HTTP, against a sandbox in this process; every answer checked against the
//! sandbox's own data, and every tool result scanned for the secret and the access token.

mod common;

use common::SECRET;
use common::desk::Desk;
use rmcp::model::{CallToolRequestParams, ClientConfig};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;

const READ_TOOLS: &[&str] = &[
    "halo_client_card",
    "halo_find_assets",
    "halo_get",
    "halo_get_ticket",
    "halo_list",
    "halo_open_tickets",
    "halo_query_mirror",
    "halo_resources",
    "halo_search_kb",
    "halo_search_tickets",
    "halo_sql",
];

const WRITE_TOOLS: &[&str] = &[
    "halo_add_note",
    "halo_assign_ticket",
    "halo_close_ticket",
    "halo_create_ticket",
    "halo_update_ticket",
];

/// `halo` as a child process using the desk's profile, nothing inherited.
fn halo(dir: &Path) -> std::process::Command {
    let mut cmd = common::halo_process(dir);
    cmd.env("HALO_DATA_DIR", dir.join("data"));
    cmd
}

/// An MCP client talking to `halo mcp ARGS` over stdio, keeping every tool result's text.
struct Agent {
    client: RunningService<RoleClient, ClientConfig>,
    texts: Vec<String>,
}

impl Agent {
    async fn start(desk: &Desk, args: &[&str]) -> Agent {
        let mut cmd = halo(desk.dir.path());
        cmd.arg("mcp").args(args);
        let (transport, _) = TokioChildProcess::builder(tokio::process::Command::from(cmd))
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let client = ClientConfig::default().serve(transport).await.unwrap();
        Agent {
            client,
            texts: Vec::new(),
        }
    }

    async fn tools(&self) -> BTreeSet<String> {
        let tools = self.client.list_all_tools().await.unwrap();
        tools.iter().map(|t| t.name.to_string()).collect()
    }

    /// The tool's answer: its text parsed as JSON (`Err` with the text for a tool error).
    async fn call(&mut self, name: &str, args: Value) -> Result<Value, String> {
        let Value::Object(args) = args else {
            panic!("arguments are an object")
        };
        let result = self
            .client
            .call_tool(CallToolRequestParams::new(name.to_string()).with_arguments(args))
            .await
            .unwrap_or_else(|e| panic!("{name}: a protocol error: {e}"));
        let text = result
            .content
            .iter()
            .filter_map(|c| c.as_text().map(|t| t.text.clone()))
            .collect::<Vec<_>>()
            .join("");
        self.texts.push(text.clone());
        if result.is_error == Some(true) {
            return Err(text);
        }
        Ok(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}: {text}")))
    }

    async fn ok(&mut self, name: &str, args: Value) -> Value {
        self.call(name, args)
            .await
            .unwrap_or_else(|e| panic!("{name} failed: {e}"))
    }

    async fn fails(&mut self, name: &str, args: Value) -> String {
        match self.call(name, args).await {
            Err(text) => text,
            Ok(v) => panic!("{name} should have failed: {v}"),
        }
    }

    async fn stop(self) -> Vec<String> {
        let _ = self.client.cancel().await;
        self.texts
    }
}

/// The sandbox's list `path` (a wrapped list's rows, or a bare one).
async fn rows(desk: &Desk, path: &str) -> Vec<Value> {
    let v = desk.stored(path).await;
    match v {
        Value::Array(items) => items,
        Value::Object(m) => m
            .into_iter()
            .find_map(|(k, v)| {
                (k != "record_count")
                    .then_some(v)
                    .and_then(|v| v.as_array().cloned())
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// `record_count` of the sandbox's list `path`.
async fn count(desk: &Desk, path: &str) -> u64 {
    desk.stored(path).await["record_count"].as_u64().unwrap()
}

/// Every secret-looking value of the token cache files the server wrote.
fn tokens(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir.join("tokens"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(&text) {
            out.extend(
                m.values()
                    .filter_map(Value::as_str)
                    .filter(|s| s.len() >= 16)
                    .map(str::to_string),
            );
        }
    }
    out
}

/// No tool result holds the client secret or an access token the server was given.
fn assert_no_secret(dir: &Path, texts: &[String]) {
    let tokens = tokens(dir);
    assert!(!tokens.is_empty(), "the server cached no token to look for");
    for text in texts {
        assert!(!text.contains(SECRET), "the client secret in: {text}");
        for t in &tokens {
            assert!(!text.contains(t.as_str()), "an access token in: {text}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_read_tool_answers_what_the_sandbox_holds() {
    let desk = Desk::connected(300).await;
    let db = desk.dir.path().join("mirror.sqlite");
    let db = db.to_str().unwrap();
    let mut agent = Agent::start(&desk, &["--db", db]).await;

    // Read-only: no write tool is listed.
    let listed = agent.tools().await;
    let expected: BTreeSet<String> = READ_TOOLS.iter().map(|s| s.to_string()).collect();
    assert_eq!(listed, expected);

    // One ticket with its actions and attachments.
    let stored = desk.ticket("5").await;
    let got = agent
        .ok("halo_get_ticket", json!({"ticket_id": 5, "actions": 50}))
        .await;
    assert_eq!(got["ticket"]["summary"], stored["summary"]);
    assert_eq!(got["ticket"]["status_name"], stored["status_name"]);
    assert_eq!(got["ticket"]["client_name"], stored["client_name"]);
    let actions = rows(&desk, "Actions?ticket_id=5").await;
    assert_eq!(got["actions"].as_array().unwrap().len(), actions.len());
    let attachments = rows(&desk, "Attachment?ticket_id=5").await;
    assert_eq!(
        got["attachments"].as_array().unwrap().len(),
        attachments.len()
    );
    // An id given as text is read as an id too.
    let again = agent.ok("halo_get_ticket", json!({"ticket_id": "5"})).await;
    assert_eq!(again["ticket"]["id"], 5);

    // Search through Halo (no mirror yet).
    let word = "printer";
    let found = agent
        .ok("halo_search_tickets", json!({"query": word, "limit": 100}))
        .await;
    assert!(found["source"].as_str().unwrap().contains("Halo"));
    let total = count(
        &desk,
        &format!("Tickets?search={word}&pageinate=true&page_size=1&page_no=1"),
    )
    .await;
    assert!(total > 0);
    assert_eq!(found["total"], total);
    for t in found["tickets"].as_array().unwrap() {
        let text = format!("{} {}", t["summary"], t["details"]).to_lowercase();
        assert!(text.contains(word), "{t}");
    }

    // My open tickets, a team's, a client's.
    let me = desk.stored("Agent/me").await;
    let mine = agent
        .ok("halo_open_tickets", json!({"page_size": 100}))
        .await;
    let my_total = count(
        &desk,
        &format!(
            "Tickets?open_only=true&agent_id={}&pageinate=true&page_size=1&page_no=1",
            me["id"]
        ),
    )
    .await;
    assert_eq!(mine["total"], my_total);
    let open = desk
        .halo(&[
            "tickets",
            "list",
            "--all",
            "--filter",
            "open_only=true",
            "-o",
            "json",
        ])
        .await
        .json();
    let open = open.as_array().unwrap();
    let team = &rows(&desk, "Team").await[0];
    let by_team = agent
        .ok(
            "halo_open_tickets",
            json!({"team": team["name"], "page_size": 100}),
        )
        .await;
    let team_open = open.iter().filter(|t| t["team_id"] == team["id"]).count();
    assert!(team_open > 0);
    assert_eq!(by_team["total"], team_open);
    for t in by_team["tickets"].as_array().unwrap() {
        assert_eq!(t["team"], team["name"], "{t}");
        assert!(t.get("dateclosed").is_none(), "{t}");
    }
    let client = desk.stored("Client/1").await;
    let by_client = agent
        .ok("halo_open_tickets", json!({"client": client["name"]}))
        .await;
    let client_open = open.iter().filter(|t| t["client_id"] == 1).count();
    assert_eq!(by_client["total"], client_open);

    // The client card.
    let card = agent
        .ok("halo_client_card", json!({"client": client["name"]}))
        .await;
    assert_eq!(card["client"]["name"], client["name"]);
    assert_eq!(
        card["sites"]["total"],
        count(
            &desk,
            "Site?client_id=1&pageinate=true&page_size=1&page_no=1"
        )
        .await
    );
    assert_eq!(
        card["contacts"]["total"],
        count(
            &desk,
            "Users?client_id=1&pageinate=true&page_size=1&page_no=1"
        )
        .await
    );
    assert_eq!(card["open_tickets"]["total"], client_open);
    assert_eq!(
        card["contracts"]["total"],
        count(
            &desk,
            "ClientContract?client_id=1&pageinate=true&page_size=1&page_no=1"
        )
        .await
    );

    // Assets of a client, and the knowledge base.
    let assets = agent.ok("halo_find_assets", json!({"client": "1"})).await;
    let all_assets = rows(&desk, "Asset?client_id=1").await;
    assert_eq!(assets["total"], all_assets.len());
    assert!(
        assets["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["client_id"] == 1)
    );
    let kb = agent.ok("halo_search_kb", json!({"query": "guide"})).await;
    assert_eq!(
        kb["total"],
        count(
            &desk,
            "KBArticle?search=guide&pageinate=true&page_size=1&page_no=1"
        )
        .await
    );

    // SQL, with the same guard as `halo sql`.
    let sql = "SELECT TOP 5 Faultid, Symptom FROM Faults ORDER BY Faultid DESC";
    let answered = agent.ok("halo_sql", json!({"sql": sql})).await;
    let by_cli = desk.halo(&["sql", sql, "-o", "json"]).await.json();
    let ids: Vec<Value> = answered["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].clone())
        .collect();
    let cli_ids: Vec<Value> = by_cli
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Faultid"].clone())
        .collect();
    assert_eq!(ids, cli_ids);
    let refused = agent
        .fails("halo_sql", json!({"sql": "DELETE FROM Faults"}))
        .await;
    assert!(refused.contains("SELECT"), "{refused}");

    // Any resource: what it takes, a page, one object.
    let described = agent
        .ok("halo_resources", json!({"resource": "tickets"}))
        .await;
    assert!(
        described["filters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f[0] == "open_only")
    );
    let page = agent
        .ok("halo_list", json!({"resource": "clients", "page_size": 5}))
        .await;
    let first: Vec<Value> = rows(&desk, "Client?pageinate=true&page_size=5&page_no=1").await;
    let ids: Vec<&Value> = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert_eq!(ids, first.iter().map(|r| &r["id"]).collect::<Vec<_>>());
    let filtered = agent
        .ok(
            "halo_list",
            json!({"resource": "tickets", "filters": {"client_id": 1, "open_only": true}}),
        )
        .await;
    assert_eq!(filtered["total"], client_open);
    let bogus = agent
        .fails(
            "halo_list",
            json!({"resource": "tickets", "filters": {"opn_only": true}}),
        )
        .await;
    assert!(
        bogus.contains("opn_only") && bogus.contains("open_only"),
        "{bogus}"
    );
    let unknown = agent
        .fails("halo_list", json!({"resource": "tikets"}))
        .await;
    assert!(unknown.contains("did you mean 'tickets'"), "{unknown}");
    let one = agent
        .ok("halo_get", json!({"resource": "clients", "id": 1}))
        .await;
    assert_eq!(one["object"]["name"], client["name"]);

    // Bad arguments are tool errors that say how to mend the call.
    let bad = agent
        .fails("halo_get_ticket", json!({"ticket_id": "abc"}))
        .await;
    assert!(
        bad.contains("argument 'ticket_id'") && bad.contains("ticket_id (integer, required)"),
        "{bad}"
    );
    let misspelt = agent.fails("halo_open_tickets", json!({"tem": "x"})).await;
    assert!(misspelt.contains("did you mean 'team'"), "{misspelt}");
    let nobody = agent
        .fails("halo_open_tickets", json!({"team": "No Such Team"}))
        .await;
    assert!(nobody.contains("No Such Team"), "{nobody}");
    let write = agent
        .fails("halo_create_ticket", json!({"summary": "x"}))
        .await;
    assert!(write.contains("--allow-writes"), "{write}");

    // The mirror: none yet, then `halo sync`, then SQL and search through it.
    let none = agent
        .fails("halo_query_mirror", json!({"schema": true}))
        .await;
    assert!(none.contains("halo sync"), "{none}");
    let synced = halo(desk.dir.path())
        .args(["sync", "--db", db])
        .output()
        .unwrap();
    assert!(
        synced.status.success(),
        "{}",
        String::from_utf8_lossy(&synced.stderr)
    );
    let n = agent
        .ok(
            "halo_query_mirror",
            json!({"sql": "SELECT count(*) AS n FROM tickets"}),
        )
        .await;
    assert_eq!(n["rows"][0][0], 300);
    let schema = agent.ok("halo_query_mirror", json!({"schema": true})).await;
    assert!(
        schema["tables"]["tickets"].get("summary").is_some(),
        "{schema}"
    );
    let write_sql = agent
        .fails("halo_query_mirror", json!({"sql": "DELETE FROM tickets"}))
        .await;
    assert!(write_sql.contains("read-only"), "{write_sql}");
    let found = agent
        .ok("halo_search_tickets", json!({"query": word, "limit": 100}))
        .await;
    assert!(
        found["source"].as_str().unwrap().contains("mirror"),
        "{found}"
    );
    let hits = found["tickets"].as_array().unwrap();
    assert!(!hits.is_empty());
    for h in hits {
        let id = h["id"].as_i64().unwrap();
        let t = desk.ticket(&id.to_string()).await;
        let notes: Vec<Value> = rows(&desk, &format!("Actions?ticket_id={id}")).await;
        let text = format!("{} {} {:?}", t["summary"], t["details"], notes).to_lowercase();
        assert!(text.contains(word), "{id}");
    }

    let texts = agent.stop().await;
    assert_no_secret(desk.dir.path(), &texts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_over_the_cap_is_cut_with_a_note() {
    let desk = Desk::connected(300).await;
    let mut agent = Agent::start(&desk, &["--max-tokens", "2000", "--toolsets", "raw"]).await;
    assert_eq!(
        agent.tools().await,
        ["halo_get", "halo_list", "halo_resources"]
            .map(String::from)
            .into_iter()
            .collect()
    );
    let page = agent
        .ok(
            "halo_list",
            json!({"resource": "tickets", "page_size": 100, "response_format": "detailed"}),
        )
        .await;
    let text = agent.texts.last().unwrap().clone();
    assert!(text.len() <= 2000 * 4, "{}", text.len());
    let shown = page["rows"].as_array().unwrap().len();
    assert!(shown > 0 && shown < 100, "{shown}");
    assert_eq!(page["truncated"]["shown"], shown);
    assert_eq!(page["truncated"]["of"], 100);
    assert!(
        page["truncated"]["rest"]
            .as_str()
            .unwrap()
            .contains("page_size"),
        "{page}"
    );
    // The rows kept are the page's first ones, whole.
    let first: Vec<Value> = rows(&desk, "Tickets?pageinate=true&page_size=100&page_no=1").await;
    for (got, want) in page["rows"].as_array().unwrap().iter().zip(&first) {
        assert_eq!(got, want);
    }
    let texts = agent.stop().await;
    assert_no_secret(desk.dir.path(), &texts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_writes_allowed_an_agent_creates_and_works_a_ticket() {
    let desk = Desk::connected(50).await;
    let mut agent = Agent::start(&desk, &["--allow-writes"]).await;
    let listed = agent.tools().await;
    for w in WRITE_TOOLS.iter().chain(READ_TOOLS) {
        assert!(listed.contains(*w), "{w} not listed");
    }
    let client = desk.stored("Client/2").await;
    let created = agent
        .ok(
            "halo_create_ticket",
            json!({"summary": "Scanner offline (from an agent)", "details": "Since 9am.",
                   "client": client["name"], "agent": "me", "fields": {"impact": 2}}),
        )
        .await;
    let id = created["ticket"]["id"].as_i64().unwrap();
    let stored = desk.ticket(&id.to_string()).await;
    assert_eq!(stored["summary"], "Scanner offline (from an agent)");
    assert_eq!(stored["client_id"], client["id"]);
    assert_eq!(stored["impact"], 2);
    assert_eq!(stored["agent_id"], desk.stored("Agent/me").await["id"]);

    let noted = agent
        .ok(
            "halo_add_note",
            json!({"ticket_id": id, "note": "Rebooted the scanner.", "hours": 0.25}),
        )
        .await;
    assert!(noted["added"].as_str().unwrap().contains(&id.to_string()));
    let actions = rows(&desk, &format!("Actions?ticket_id={id}")).await;
    assert!(
        actions.iter().any(|a| a["note"] == "Rebooted the scanner."),
        "{actions:?}"
    );

    let team = &rows(&desk, "Team").await[1];
    agent
        .ok(
            "halo_assign_ticket",
            json!({"ticket_id": id, "team": team["name"]}),
        )
        .await;
    assert_eq!(desk.ticket(&id.to_string()).await["team"], team["name"]);

    agent
        .ok(
            "halo_update_ticket",
            json!({"ticket_id": id, "summary": "Scanner offline again", "fields": {"impact": 1}}),
        )
        .await;
    let stored = desk.ticket(&id.to_string()).await;
    assert_eq!(stored["summary"], "Scanner offline again");
    assert_eq!(stored["impact"], 1);

    // Checked as the CLI checks: a display name where the id goes, an unknown field, a
    // ticket that does not exist. Nothing is posted for any of them.
    let posts = desk.posts();
    let junk = agent
        .fails(
            "halo_update_ticket",
            json!({"ticket_id": id, "fields": {"client_name": "x"}}),
        )
        .await;
    assert!(junk.contains("client_name"), "{junk}");
    let unknown = agent
        .fails(
            "halo_update_ticket",
            json!({"ticket_id": id, "fields": {"no_such_field_xyz": "red"}}),
        )
        .await;
    assert!(unknown.contains("no_such_field_xyz"), "{unknown}");
    let missing = agent
        .fails(
            "halo_update_ticket",
            json!({"ticket_id": 999_999, "summary": "x"}),
        )
        .await;
    assert!(missing.contains("999999"), "{missing}");
    assert_eq!(desk.posts(), posts);

    agent
        .ok(
            "halo_close_ticket",
            json!({"ticket_id": id, "note": "Fixed."}),
        )
        .await;
    let closed = desk.ticket(&id.to_string()).await;
    assert_eq!(closed["hasbeenclosed"], true, "{closed}");

    let texts = agent.stop().await;
    assert_no_secret(desk.dir.path(), &texts);
}

/// `halo mcp --http 127.0.0.1:0` with `env`: the child, its URL, and what it printed on
/// standard error first.
fn serve_http(
    desk: &Desk,
    env: &[(&str, &str)],
) -> (std::process::Child, String, std::process::ChildStderr) {
    use std::io::{BufRead, BufReader};
    let mut cmd = halo(desk.dir.path());
    cmd.args(["mcp", "--http", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    let err = child.stderr.take().unwrap();
    (child, url, err)
}

/// An `initialize` request, with `token` and `origin` when given: the status.
async fn initialize(url: &str, token: Option<&str>, origin: Option<&str>) -> u16 {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("Accept", "application/json, text/event-stream")
        .header("Content-Type", "application/json")
        .body(
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "test", "version": "1"}}})
            .to_string(),
        );
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(o) = origin {
        req = req.header("Origin", o);
    }
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http_a_token_is_needed_and_foreign_origins_are_refused() {
    let desk = Desk::connected(10).await;
    let token = "a-test-token-of-some-length-1234";
    let (mut child, url, _err) = serve_http(&desk, &[("HALO_MCP_TOKEN", token)]);
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/mcp"),
        "{url}"
    );
    assert_eq!(initialize(&url, None, None).await, 401);
    assert_eq!(initialize(&url, Some("wrong-token"), None).await, 401);
    assert_eq!(
        initialize(&url, Some(token), Some("https://evil.example")).await,
        403
    );
    assert_eq!(initialize(&url, Some(token), None).await, 200);
    assert_eq!(
        initialize(&url, Some(token), Some("http://localhost:6274")).await,
        200
    );
    let _ = child.kill();
    let _ = child.wait();

    // Without HALO_MCP_TOKEN a token is made and printed once, on standard error.
    let (mut child, url, err) = serve_http(&desk, &[]);
    let mut first = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(err), &mut first).unwrap();
    let made = first
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_else(|| panic!("{first}"))
        .to_string();
    assert!(
        first.contains("bearer token") && made.len() >= 32,
        "{first}"
    );
    assert_eq!(initialize(&url, None, None).await, 401);
    assert_eq!(initialize(&url, Some(&made), None).await, 200);
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_share_the_rate_limit_and_halo_never_answers_429() {
    use halo_sandbox::{RateLimit, SandboxConfig};
    let desk = Desk::connected_with(SandboxConfig {
        seed_tickets: 100,
        rate_limit: Some(RateLimit {
            requests: 30,
            window: std::time::Duration::from_secs(1),
        }),
        ..SandboxConfig::default()
    })
    .await;
    // The client's rule a little under Halo's, as the default for hosted instances is: the
    // token request and `halo connect`'s calls count at Halo too.
    let agent = Agent::start(&desk, &["--rate-limit", "25/1s"]).await;
    desk.sandbox.clear_journal();
    // 16 client cards at once: 6 requests each (names, client, four lists), ~100 in all.
    let calls = (1..=16).map(|c| {
        let args = json!({"client": (c % 2 + 1).to_string()});
        let Value::Object(args) = args else {
            unreachable!()
        };
        agent
            .client
            .call_tool(CallToolRequestParams::new("halo_client_card").with_arguments(args))
    });
    for result in futures::future::join_all(calls).await {
        let result = result.unwrap();
        assert_ne!(result.is_error, Some(true), "{:?}", result.content);
    }
    let journal = desk.sandbox.journal();
    let api: Vec<_> = journal
        .iter()
        .filter(|e| e.path.starts_with("/api"))
        .collect();
    assert!(api.len() >= 16 * 5, "{}", api.len());
    assert_eq!(api.iter().filter(|e| e.status == 429).count(), 0);
    agent.stop().await;
}
