//! `halo webhook register`: the Webhook object in Halo that posts to a receiver, created, or
//! updated when one has the same name or URL (never a second one).

use super::configs::{self, AUTH_BASIC, AUTH_NONE, Payload};
use crate::commands::Globals;
use crate::context::Context;
use crate::exit::Failure;
use crate::output::write_object;
use crate::session::RequestFlags;
use anyhow::Result;
use halopsa::models::Webhook;
use serde_json::{Value, json};

/// `halo webhook register`.
#[derive(Debug, clap::Args)]
pub struct RegisterArgs {
    /// The receiver's URL (http:// or https://), as Halo will post to it.
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// The events, as Halo's event list names them, separated by commas
    /// ("New Ticket Logged,Ticket Updated,Ticket Status Changed").
    #[arg(long, value_name = "E,...", value_delimiter = ',', required = true)]
    pub events: Vec<String>,
    /// Post with HTTP Basic auth as this user (password from --basic-password-stdin or
    /// HALO_WEBHOOK_PASSWORD); without it, no authentication.
    #[arg(long, value_name = "USER")]
    pub basic_user: Option<String>,
    /// Read the Basic password from standard input.
    #[arg(long, requires = "basic_user")]
    pub basic_password_stdin: bool,
    /// The webhook's name in Halo (default: `halo HOST:PORT` of the URL).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// What each payload holds.
    #[arg(long, value_enum, default_value = "full")]
    pub payload: Payload,
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// Runs `halo webhook register`.
pub async fn run(ctx: &mut Context, globals: &Globals, args: RegisterArgs) -> Result<()> {
    let url = receiver_url(&args.url)?;
    let name = match &args.name {
        Some(name) if name.trim().is_empty() => {
            return Err(Failure::usage("--name must not be empty"));
        }
        Some(name) => name.trim().to_string(),
        None => default_name(&url),
    };
    let events = event_list(&args.events)?;
    let basic = match &args.basic_user {
        Some(user) => {
            super::check_user(user)?;
            let password = super::password(ctx, args.basic_password_stdin)?;
            // So that no error or log line can repeat it.
            halopsa::redact::remember(&password);
            Some((user.clone(), password))
        }
        None => None,
    };
    let timeout = args.requests.timeout(false);
    crate::session::bounded(timeout, async {
        let s = ctx.session(globals.profile.as_deref(), &args.requests)?;
        let existing = configs::all(&s.client).await?;
        let matched = matching(&existing, &name, url.as_str())?;
        let created = matched.is_none();
        let mut hook = matched.cloned().unwrap_or_default();
        hook.name = Some(name);
        hook.url = Some(url.to_string());
        hook.content_type = Some(json!("application/json"));
        hook.payload_type = Some(json!(args.payload.number()));
        hook.active = Some(true);
        hook.events = Some(merged_events(&hook, &events));
        match basic {
            Some((user, password)) => {
                hook.authentication_type = Some(json!(AUTH_BASIC));
                hook.basic_username = Some(user);
                hook.basic_password = Some(password);
            }
            None => {
                hook.authentication_type = Some(json!(AUTH_NONE));
                hook.basic_username = Some(String::new());
                hook.basic_password = Some(String::new());
            }
        }
        let typed = s.client.typed::<Webhook>()?;
        let saved = if created {
            typed.create(vec![hook]).await?
        } else {
            typed.update(vec![hook], false).await?
        };
        let Some(saved) = saved.into_iter().next() else {
            anyhow::bail!("Halo answered the webhook's save with no object");
        };
        if globals.output.asks_for_data() {
            let mut shown = configs::row(&saved);
            shown.insert("created".into(), json!(created));
            return write_object(ctx.io.out(), &Value::Object(shown), &globals.output);
        }
        writeln!(
            ctx.io.out(),
            "{} webhook {}\n  events:  {}\n  payload: {}\n  auth:    {}",
            if created { "created" } else { "updated" },
            configs::describe(&saved),
            configs::event_names(&saved).join(", "),
            configs::payload_text(&saved),
            configs::auth_text(&saved)
        )?;
        Ok(())
    })
    .await
}

/// The receiver's URL, checked: absolute, http or https, with a host.
fn receiver_url(text: &str) -> Result<url::Url> {
    let url = url::Url::parse(text.trim())
        .map_err(|e| Failure::usage(format!("--url '{text}' is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Failure::usage(format!(
            "--url '{text}' must be an http:// or https:// URL with a host"
        )));
    }
    Ok(url)
}

/// `halo HOST[:PORT]`: the path is left out, as it may hold the receiver's secret.
fn default_name(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("halo {host}:{port}"),
        None => format!("halo {host}"),
    }
}

/// The event names given, trimmed, each once, in the order given.
fn event_list(given: &[String]) -> Result<Vec<String>> {
    let mut events: Vec<String> = Vec::new();
    for name in given.iter().map(|e| e.trim()) {
        if name.is_empty() {
            return Err(Failure::usage(
                "--events has an empty name: give names separated by commas",
            ));
        }
        if !events.iter().any(|e| e.eq_ignore_ascii_case(name)) {
            events.push(name.to_string());
        }
    }
    Ok(events)
}

/// The webhook to update: the one with this name (ignoring case) or this URL. Two different
/// ones (one has the name, another the URL) are refused rather than guessed between.
fn matching<'a>(hooks: &'a [Webhook], name: &str, url: &str) -> Result<Option<&'a Webhook>> {
    let found: Vec<&Webhook> = hooks
        .iter()
        .filter(|h| {
            h.name
                .as_deref()
                .is_some_and(|n| n.trim().eq_ignore_ascii_case(name))
                || h.url.as_deref().is_some_and(|u| configs::same_url(u, url))
        })
        .collect();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        several => {
            let list: Vec<String> = several.iter().map(|h| configs::describe(h)).collect();
            Err(Failure::usage(format!(
                "{} webhooks have that name or URL: {}; remove the extra ones first (`halo webhook remove ID`)",
                several.len(),
                list.join(", ")
            )))
        }
    }
}

/// The events as `events[]`: an entry the webhook already has under that name is kept as it
/// is (with whatever ids Halo gave it), the others are `{"name": ...}`.
fn merged_events(hook: &Webhook, names: &[String]) -> Vec<Value> {
    let current = hook.events.clone().unwrap_or_default();
    names
        .iter()
        .map(|name| {
            current
                .iter()
                .find(|e| {
                    e.get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| n.trim().eq_ignore_ascii_case(name))
                })
                .cloned()
                .unwrap_or_else(|| json!({ "name": name }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(id: &str, name: &str, url: &str) -> Webhook {
        Webhook {
            id: Some(id.into()),
            name: Some(name.into()),
            url: Some(url.into()),
            ..Webhook::default()
        }
    }

    #[test]
    fn the_webhook_to_update_has_the_name_or_the_url() {
        let hooks = [
            hook("a", "Desk", "https://x.example/hooks/1"),
            hook("b", "Other", "https://y.example:8443/h"),
        ];
        let by_name = matching(&hooks, "desk", "https://z.example/").unwrap();
        assert_eq!(by_name.unwrap().id.as_deref(), Some("a"));
        let by_url = matching(&hooks, "New", "https://y.example:8443/h").unwrap();
        assert_eq!(by_url.unwrap().id.as_deref(), Some("b"));
        let default_port = matching(&hooks, "New", "https://x.example:443/hooks/1").unwrap();
        assert_eq!(default_port.unwrap().id.as_deref(), Some("a"));
        assert!(
            matching(&hooks, "New", "https://x.example/")
                .unwrap()
                .is_none()
        );
        let both = matching(&hooks, "Desk", "https://y.example:8443/h").unwrap_err();
        assert!(both.to_string().contains("2 webhooks"), "{both}");
    }

    #[test]
    fn urls_names_and_events_are_checked() {
        assert!(receiver_url("ftp://x/h").is_err());
        assert!(receiver_url("not a url").is_err());
        let url = receiver_url("https://h.example:8443/hooks/SECRET").unwrap();
        assert_eq!(default_name(&url), "halo h.example:8443");
        assert_eq!(
            event_list(&[
                " Ticket Updated".into(),
                "ticket updated".into(),
                "X".into()
            ])
            .unwrap(),
            ["Ticket Updated", "X"]
        );
        assert!(event_list(&["A".into(), " ".into()]).is_err());
    }

    #[test]
    fn events_already_configured_keep_their_ids() {
        let mut h = hook("a", "n", "https://x/h");
        h.events = Some(vec![json!({"id": 7, "name": "Ticket Updated"})]);
        let events = merged_events(&h, &["ticket updated".into(), "New Ticket Logged".into()]);
        assert_eq!(
            events,
            [
                json!({"id": 7, "name": "Ticket Updated"}),
                json!({"name": "New Ticket Logged"})
            ]
        );
    }
}
