//! Every command family run in-process through `Context::test()` against an in-process
//! sandbox, asserting on what the context captured.

use halo_cli::{Captured, Context};
use halo_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;

const SECRET: &str = "halo-sandbox-secret";

/// A sandbox and a config dir of its own.
struct Here {
    sandbox: Sandbox,
    dir: tempfile::TempDir,
}

/// What one command did.
struct Ran {
    code: u8,
    printed: Captured,
}

impl Ran {
    fn out(&self) -> String {
        self.printed.out()
    }

    fn err(&self) -> String {
        self.printed.err()
    }

    fn json(&self) -> Value {
        assert_eq!(self.code, 0, "{}", self.err());
        serde_json::from_str(&self.out()).unwrap_or_else(|e| panic!("{e}: {}", self.out()))
    }
}

impl Here {
    async fn new(config: SandboxConfig) -> Here {
        Here {
            sandbox: Sandbox::start(config).await.unwrap(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A connected sandbox of `tickets` tickets.
    async fn connected(tickets: u64) -> Here {
        let here = Here::new(SandboxConfig {
            seed_tickets: tickets,
            ..SandboxConfig::default()
        })
        .await;
        let ran = here.connect(SECRET).await;
        assert_eq!(ran.code, 0, "{}", ran.err());
        here
    }

    fn context(&self) -> (Context, Captured) {
        let (ctx, printed) = Context::test();
        (
            ctx.env_var("HALO_CONFIG_DIR", self.dir.path().to_string_lossy()),
            printed,
        )
    }

    async fn halo(&self, args: &[&str]) -> Ran {
        self.halo_with(args, "").await
    }

    async fn halo_with(&self, args: &[&str], stdin: &str) -> Ran {
        let (ctx, printed) = self.context();
        let mut ctx = ctx.stdin(stdin);
        let code = halo_cli::run(
            &mut ctx,
            std::iter::once("halo").chain(args.iter().copied()),
        )
        .await;
        Ran { code, printed }
    }

    async fn connect(&self, secret: &str) -> Ran {
        let url = self.sandbox.url();
        self.halo_with(
            &[
                "connect",
                "--url",
                &url,
                "--client-id",
                "halo-sandbox-client",
                "--client-secret-stdin",
            ],
            secret,
        )
        .await
    }
}

#[tokio::test]
async fn connect_stores_a_profile_only_when_the_connection_works() {
    let here = Here::new(SandboxConfig::default()).await;
    let wrong = here.connect("not-the-secret").await;
    assert_eq!(wrong.code, 3);
    assert_eq!(wrong.err().lines().count(), 1, "{}", wrong.err());
    assert!(
        wrong
            .err()
            .contains("client ID or client secret was rejected")
    );
    assert!(!here.dir.path().join("config.toml").exists());
    let ran = here.connect(SECRET).await;
    assert_eq!(ran.code, 0, "{}", ran.err());
    assert!(ran.out().contains("acting as: API Agent"), "{}", ran.out());
    assert!(
        ran.out()
            .contains("stored as profile 'default' (now current)")
    );
    assert!(
        ran.err().contains("no OS keyring is reachable"),
        "the fallback is said"
    );
    let config = std::fs::read_to_string(here.dir.path().join("config.toml")).unwrap();
    assert!(!config.contains(SECRET));
    assert_eq!(
        here.sandbox.stats().token_requests,
        2,
        "the wrong one and the right one"
    );
}

#[tokio::test]
async fn profiles_are_listed_shown_chosen_and_removed() {
    let here = Here::connected(10).await;
    let url = here.sandbox.url();
    let second = here
        .halo_with(
            &[
                "--profile",
                "second",
                "connect",
                "--url",
                &url,
                "--client-id",
                "halo-sandbox-client",
                "--client-secret-stdin",
                "--header",
                "X-Api-Key: k123",
            ],
            SECRET,
        )
        .await;
    assert_eq!(second.code, 0, "{}", second.err());
    let list = here.halo(&["profile", "list", "-o", "table"]).await.out();
    let lines: Vec<&str> = list.lines().collect();
    assert!(
        lines[0].contains("current") && lines[0].contains("name"),
        "{list}"
    );
    assert!(
        lines[2].contains("default") && !lines[2].contains('*'),
        "{list}"
    );
    assert!(
        lines[3].contains("* ") && lines[3].contains("second"),
        "{list}"
    );
    let json = here.halo(&["profile", "list", "-o", "json"]).await.json();
    assert_eq!(json[1]["current"], true, "{json}");
    assert_eq!(here.halo(&["profile", "use", "default"]).await.code, 0);
    let show = here.halo(&["profile", "show", "second"]).await;
    assert!(
        show.out().contains("header:       X-Api-Key: [redacted]"),
        "{}",
        show.out()
    );
    assert!(!show.out().contains(SECRET) && !show.out().contains("k123"));
    let unknown = here.halo(&["profile", "use", "nope"]).await;
    assert_eq!(unknown.code, 2);
    assert!(unknown.err().contains("profiles: default, second"));
    assert_eq!(here.halo(&["profile", "remove", "second"]).await.code, 0);
    assert!(
        !here
            .halo(&["profile", "list"])
            .await
            .out()
            .contains("second")
    );
}

#[tokio::test]
async fn auth_status_and_logout() {
    let here = Here::connected(10).await;
    let status = here.halo(&["auth", "status"]).await;
    assert_eq!(status.code, 0, "{}", status.err());
    assert!(
        status.out().starts_with("profile 'default'\n"),
        "{}",
        status.out()
    );
    assert!(status.out().contains("acting as: API Agent"));
    assert_eq!(
        here.sandbox.stats().token_requests,
        1,
        "the cached token is reused"
    );
    let out = here.halo(&["logout"]).await;
    assert!(out.out().contains("logged out of 'default'"));
    let after = here.halo(&["auth", "status"]).await;
    assert_eq!(after.code, 3);
    assert!(
        after.err().contains("no client secret is stored"),
        "{}",
        after.err()
    );
}

#[tokio::test]
async fn resource_list_get_and_count() {
    let here = Here::connected(150).await;
    let first = here.halo(&["tickets", "list", "-o", "json"]).await;
    assert_eq!(first.json().as_array().unwrap().len(), 100);
    assert!(
        first
            .err()
            .contains("(showing 100 of 150 tickets; --all for every row")
    );
    let all = here
        .halo(&["tickets", "list", "--all", "-o", "ndjson"])
        .await;
    assert_eq!(all.out().lines().count(), 150, "{}", all.err());
    let page = here
        .halo(&[
            "tickets",
            "list",
            "--page",
            "2",
            "--page-size",
            "40",
            "-o",
            "json",
        ])
        .await;
    assert_eq!(page.json().as_array().unwrap().len(), 40);
    assert!(page.err().contains("page 2: 40 rows of 150"));
    let count = here.halo(&["tickets", "count"]).await;
    assert_eq!(count.out(), "150\n");
    let open = here.halo(&["tickets", "count", "--open-only"]).await;
    assert!(open.out().trim().parse::<u64>().unwrap() < 150);
    let one = here.halo(&["tickets", "get", "7", "-o", "json"]).await;
    assert_eq!(one.json()["id"], 7);
    let missing = here.halo(&["tickets", "get", "99999"]).await;
    assert_eq!(missing.code, 4);
    let bad = here
        .halo(&["tickets", "list", "--filter", "team_id=3"])
        .await;
    assert_eq!(bad.code, 2);
    assert!(bad.err().contains("did you mean"), "{}", bad.err());
    let table = {
        let (ctx, printed) = here.context();
        let mut ctx = ctx.terminal(120);
        let code = halo_cli::run(
            &mut ctx,
            [
                "halo",
                "tickets",
                "list",
                "--limit",
                "3",
                "--columns",
                "id,summary",
            ],
        )
        .await;
        assert_eq!(code, 0);
        printed.out()
    };
    // A table on a terminal: a styled header, a rule, three rows.
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].contains("id") && lines[0].contains("summary") && lines[0].contains("\u{1b}["),
        "{table}"
    );
    assert_eq!(lines.len(), 5, "{table}");
    assert!(lines[2].trim_start().starts_with("1 "), "{table}");
}

#[tokio::test]
async fn resource_create_update_delete_and_their_dry_runs() {
    let here = Here::connected(10).await;
    let dry = here
        .halo(&[
            "tickets",
            "create",
            "--set",
            "summary=Dry",
            "--set",
            "client_id=1",
            "--dry-run",
        ])
        .await;
    assert_eq!(dry.code, 0);
    assert!(dry.out().starts_with("POST ") && dry.out().contains("(dry run: nothing was sent)"));
    let created = here
        .halo(&[
            "tickets",
            "create",
            "--set",
            "summary=Printer",
            "--set",
            "client_id=1",
            "--set",
            "site_id=1",
            "-o",
            "json",
        ])
        .await
        .json();
    let id = created["id"].to_string();
    assert_eq!(created["client_name"], "Acme Ltd");
    let updated = here
        .halo(&[
            "tickets",
            "update",
            &id,
            "--set",
            "summary=Printer fixed",
            "-o",
            "json",
        ])
        .await
        .json();
    assert_eq!(updated["summary"], "Printer fixed");
    let lost = here
        .halo(&["tickets", "update", "99999", "--set", "summary=x"])
        .await;
    assert_eq!(lost.code, 4, "read back first: {}", lost.err());
    let json_in = here
        .halo_with(
            &["tickets", "update", &id, "--json", "-", "-o", "json"],
            r#"{"details": "from stdin"}"#,
        )
        .await
        .json();
    assert_eq!(json_in["details"], "from stdin");
    let deleted = here
        .halo(&["tickets", "delete", &id, "--yes", "--reason", "test"])
        .await;
    assert_eq!(deleted.out(), format!("deleted tickets {id}\n"));
    assert_eq!(here.halo(&["tickets", "get", &id]).await.code, 4);
    // Action ids are numbered per ticket: --ticket-id is required, and only there.
    let no_ticket = here.halo(&["actions", "get", "1"]).await;
    assert_eq!(no_ticket.code, 2);
    assert!(
        no_ticket.err().contains("--ticket-id"),
        "{}",
        no_ticket.err()
    );
    let wrong_flag = here
        .halo(&["tickets", "get", "1", "--ticket-id", "3"])
        .await;
    assert_eq!(wrong_flag.code, 2);
}

#[tokio::test]
async fn api_reaches_any_path_and_walks_pages() {
    let here = Here::connected(120).await;
    let one = here.halo(&["api", "Tickets/3"]).await.json();
    assert_eq!(one["id"], 3);
    let walked = here
        .halo(&["api", "Tickets", "--paginate", "-o", "ndjson"])
        .await;
    assert_eq!(walked.out().lines().count(), 120, "{}", walked.err());
    let refused = here
        .halo(&["api", "Tickets", "--paginate", "-q", "page_no=2"])
        .await;
    assert_eq!(refused.code, 2);
    let resources = here.halo(&["resources", "-o", "json"]).await.json();
    assert!(
        resources
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "tickets")
    );
}

#[tokio::test]
async fn export_to_standard_output_and_to_a_file() {
    let here = Here::connected(230).await;
    let out = here.halo(&["export", "tickets", "--page-size", "50"]).await;
    assert_eq!(out.code, 0, "{}", out.err());
    assert_eq!(out.out().lines().count(), 230);
    assert!(
        out.err()
            .contains("exported 230 tickets to standard output"),
        "{}",
        out.err()
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.csv");
    let to_file = here
        .halo(&[
            "export",
            "tickets",
            "--format",
            "csv",
            "--out",
            file.to_str().unwrap(),
        ])
        .await;
    assert_eq!(to_file.code, 0, "{}", to_file.err());
    assert_eq!(to_file.out(), "", "nothing on standard output");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 231, "a header and 230 rows");
    let again = here
        .halo(&["export", "tickets", "--out", file.to_str().unwrap()])
        .await;
    assert_eq!(again.code, 2);
    assert!(again.err().contains("exists"), "{}", again.err());
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        text,
        "nothing the user had is lost"
    );
}

#[tokio::test]
async fn help_and_usage_errors_come_through_the_context() {
    let here = Here::new(SandboxConfig::default()).await;
    let help = here.halo(&["tickets", "list", "--help"]).await;
    assert_eq!(help.code, 0);
    assert!(help.out().starts_with("List tickets: "), "{}", help.out());
    let export_help = here.halo(&["export", "tickets", "--help"]).await;
    assert!(
        export_help.out().starts_with("Export every row of tickets"),
        "{}",
        export_help.out()
    );
    let bad = here.halo(&["tickets", "list", "--bogus"]).await;
    assert_eq!(bad.code, 2);
    assert!(bad.err().contains("--bogus"));
    let none = here.halo(&["tickets", "list"]).await;
    assert_eq!(none.code, 2, "no profile yet");
    assert!(none.err().contains("halo connect"), "{}", none.err());
}
