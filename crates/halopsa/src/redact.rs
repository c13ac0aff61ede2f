//! Redaction for logs: secrets and tokens never reach a log line, at any level.

use serde_json::Value;

/// Placeholder printed in place of a secret.
pub const REDACTED: &str = "[redacted]";

/// Whether a header or field name is likely to carry a secret.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
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

/// A body as it may be logged: JSON redacted, other text cut short.
pub fn body(bytes: &[u8]) -> String {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => crate::error::cut(&json(&v).to_string(), 4000),
        Err(_) => crate::error::cut(&String::from_utf8_lossy(bytes), 500),
    }
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
    fn secret_headers_are_redacted() {
        assert_eq!(header_value("Authorization", "Bearer x"), REDACTED);
        assert_eq!(header_value("X-Api-Key", "k"), REDACTED);
        assert_eq!(header_value("X-Custom", "v"), "v");
    }
}
