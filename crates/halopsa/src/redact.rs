//! Redaction for logs: secrets and tokens never reach a log line, at any level.

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use std::borrow::Cow;
use std::sync::{PoisonError, RwLock};

/// Placeholder printed in place of a secret.
pub const REDACTED: &str = "[redacted]";

/// Whether a header or field name is likely to carry a secret: one containing a secret-looking
/// word, or exactly `code` or `code_verifier` (the authorization code grant's, RFC 7636).
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    if matches!(n.as_str(), "code" | "code_verifier") {
        return true;
    }
    [
        "authorization",
        "cookie",
        "token",
        "secret",
        "password",
        "key",
        "auth",
    ]
    .iter()
    .any(|s| n.contains(s))
}

/// A header value as it may be logged.
pub fn header_value<'a>(name: &str, value: &'a str) -> &'a str {
    if is_secret_name(name) {
        REDACTED
    } else {
        value
    }
}

/// A JSON body as it may be logged: values of secret-looking keys replaced.
pub fn json(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if is_secret_name(k) && !v.is_null() && !v.is_object() && !v.is_array()
                    {
                        Value::String(REDACTED.into())
                    } else {
                        json(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(json).collect()),
        other => other.clone(),
    }
}

/// A body as it may be logged: JSON redacted, other text cut short, and every secret this
/// process has sent ([`scrub`]) removed.
pub fn body(bytes: &[u8]) -> String {
    let (shown, limit) = match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => (json(&v).to_string(), 4000),
        Err(_) => (String::from_utf8_lossy(bytes).into_owned(), 500),
    };
    crate::error::cut(&scrub(&shown), limit)
}

/// The secrets this process has sent (client secrets, passwords, access and refresh tokens),
/// so that no text a server sends back can repeat them in a message or a log.
static SENT: RwLock<Vec<SecretString>> = RwLock::new(Vec::new());

/// How many secrets [`SENT`] keeps: tokens are added as they are minted, so a process that
/// runs for days forgets the oldest (long expired) ones.
const KEEP: usize = 256;

/// Notes a secret this process sends, for [`scrub`]. Every [`crate::Client`] notes its
/// settings' secrets and each token it obtains; callers note any other secret they send.
pub fn remember(secret: &str) {
    if secret.is_empty() {
        return;
    }
    let mut sent = SENT.write().unwrap_or_else(PoisonError::into_inner);
    if sent.iter().any(|s| s.expose_secret() == secret) {
        return;
    }
    if sent.len() >= KEEP {
        sent.remove(0);
    }
    sent.push(SecretString::from(secret));
}

/// `text` with every secret this process has sent ([`remember`]) replaced by [`REDACTED`], in
/// each form a server may echo it: as sent, form-encoded, percent-encoded or JSON-escaped.
///
/// Any text from a server that reaches a message or a log goes through this first: a token
/// endpoint that echoes the form it was sent would otherwise put the client secret in an
/// error message.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let sent = SENT.read().unwrap_or_else(PoisonError::into_inner);
    let mut out = Cow::Borrowed(text);
    for secret in sent.iter() {
        for form in forms(secret.expose_secret()) {
            if out.contains(form.as_str()) {
                out = Cow::Owned(out.replace(form.as_str(), REDACTED));
            }
        }
    }
    out
}

/// The forms a secret may take in an echoed request: as sent, form-encoded (`+` for a space),
/// percent-encoded, and JSON-escaped (longest first, so no form leaves part of another).
fn forms(secret: &str) -> Vec<String> {
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let percent = form.replace('+', "%20");
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json
        .get(1..json.len().saturating_sub(1))
        .unwrap_or_default()
        .to_string();
    let mut forms = vec![secret.to_string(), form, percent, json];
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms.dedup();
    forms.retain(|f| !f.is_empty());
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_are_redacted_at_any_depth() {
        let v = serde_json::json!({
            "access_token": "AT", "nested": [{"client_secret": "CS", "name": "ok"}],
            "basic_password": "PW", "id": 3
        });
        let shown = json(&v).to_string();
        for s in ["\"AT\"", "\"CS\"", "\"PW\""] {
            assert!(!shown.contains(s), "{shown}");
        }
        assert!(shown.contains("\"ok\"") && shown.contains("3"));
    }

    #[test]
    fn secrets_sent_are_scrubbed_from_any_text_in_any_form() {
        remember("s3cr+t/v@lue x");
        remember("");
        let echoed = [
            "grant_type=client_credentials&client_secret=s3cr%2Bt%2Fv%40lue+x&scope=all",
            r#"{"error":"invalid_request","error_description":"bad form: s3cr+t/v@lue x"}"#,
            "<html><body>client_secret=s3cr%2Bt%2Fv%40lue%20x</body></html>",
        ];
        for text in echoed {
            let clean = scrub(text);
            assert!(!clean.contains("s3cr"), "{clean}");
            assert!(clean.contains(REDACTED), "{clean}");
        }
        assert!(matches!(scrub("nothing secret here"), Cow::Borrowed(_)));
        assert!(!body(echoed[0].as_bytes()).contains("s3cr"));
    }

    #[test]
    fn the_authorization_code_and_verifier_are_secret_by_exact_name() {
        for name in ["code", "Code", "code_verifier", "CODE_VERIFIER"] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "postcode",
            "code_challenge",
            "zip_code",
            "codes",
            "country_code",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn secret_headers_are_redacted() {
        assert_eq!(header_value("Authorization", "Bearer x"), REDACTED);
        assert_eq!(header_value("X-Api-Key", "k"), REDACTED);
        assert_eq!(header_value("X-Custom", "v"), "v");
    }
}
