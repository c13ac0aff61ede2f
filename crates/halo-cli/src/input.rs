//! Objects to write, from `--json FILE|-` and `--set name=value`.

use crate::context::Context;
use crate::exit::Failure;
use anyhow::Result;
use serde_json::{Map, Value};

/// A `--set` value: JSON when it parses as JSON (`3`, `true`, `null`, `[1,2]`, `{"a":1}`,
/// `"quoted"`), otherwise the text itself.
pub fn set_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// Parses `name=value` pairs into an object.
pub fn sets(pairs: &[String]) -> Result<Map<String, Value>> {
    let mut map = Map::new();
    for pair in pairs {
        let (name, value) = pair
            .split_once('=')
            .filter(|(n, _)| !n.trim().is_empty())
            .ok_or_else(|| Failure::usage(format!("--set '{pair}' is not name=value")))?;
        map.insert(name.trim().to_string(), set_value(value));
    }
    Ok(map)
}

/// Reads JSON from `source`, a file or `-` for standard input: (a name for messages, value).
pub fn read_json(ctx: &mut Context, source: &str) -> Result<(String, Value)> {
    let (name, text) = if source == "-" {
        let mut text = String::new();
        ctx.io
            .input()
            .read_to_string(&mut text)
            .map_err(|e| Failure::usage(format!("cannot read standard input: {e}")))?;
        ("standard input".to_string(), text)
    } else {
        let text = std::fs::read_to_string(source)
            .map_err(|e| Failure::usage(format!("cannot read {source}: {e}")))?;
        (source.to_string(), text)
    };
    let value = serde_json::from_str(&text).map_err(|e| {
        Failure::usage(format!(
            "{name} is not JSON (line {}, column {}): {e}",
            e.line(),
            e.column()
        ))
    })?;
    Ok((name, value))
}

/// Reads `--json FILE` (or `-` for standard input): one object or an array of objects.
pub fn json_objects(ctx: &mut Context, source: &str) -> Result<Vec<Value>> {
    let (name, value) = read_json(ctx, source)?;
    match value {
        Value::Object(_) => Ok(vec![value]),
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => Ok(items),
        _ => Err(Failure::usage(format!(
            "{name} must hold a JSON object or a non-empty array of objects"
        ))),
    }
}

/// The objects of a create or update: from `--json` and/or `--set` (applied to every object);
/// `flagged` when name flags give fields of their own.
pub fn objects(
    ctx: &mut Context,
    json: Option<&str>,
    set: &[String],
    flagged: bool,
) -> Result<Vec<Value>> {
    let fields = sets(set)?;
    let mut objects = match json {
        Some(source) => json_objects(ctx, source)?,
        None if fields.is_empty() && !flagged => {
            return Err(Failure::usage(
                "nothing to write: give --set name=value, a name flag or --json FILE|-",
            ));
        }
        None => vec![Value::Object(Map::new())],
    };
    for o in &mut objects {
        if let Value::Object(map) = o {
            map.extend(fields.clone());
        }
    }
    Ok(objects)
}

/// A secret piped to standard input: all of it, its final line break dropped; empty is a
/// usage error.
pub fn secret_from_stdin(ctx: &mut Context) -> Result<String> {
    let mut text = String::new();
    std::io::Read::read_to_string(ctx.io.input(), &mut text)
        .map_err(|e| Failure::usage(format!("cannot read standard input: {e}")))?;
    let text = text.trim_end_matches(['\r', '\n']).to_string();
    if text.is_empty() {
        return Err(Failure::usage(
            "standard input was empty: pipe the secret in",
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_values_are_json_when_they_parse() {
        assert_eq!(set_value("3"), json!(3));
        assert_eq!(set_value("true"), json!(true));
        assert_eq!(set_value("Printer offline"), json!("Printer offline"));
        assert_eq!(set_value("[1,2]"), json!([1, 2]));
        assert_eq!(set_value("\"007\""), json!("007"));
    }

    #[test]
    fn sets_need_a_name() {
        assert!(sets(&["=x".into()]).is_err());
        assert!(sets(&["novalue".into()]).is_err());
        assert_eq!(sets(&["a=b=c".into()]).unwrap()["a"], json!("b=c"));
    }

    #[test]
    fn json_files_must_hold_objects() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let write = |name: &str, text: &str| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            p.to_string_lossy().into_owned()
        };
        let (mut ctx, _) = Context::test();
        let ctx = &mut ctx;
        let one = write("one.json", r#"{"summary": "x"}"#);
        let objs = objects(ctx, Some(&one), &["client_id=3".into()], false).unwrap();
        assert_eq!(objs, vec![json!({"summary": "x", "client_id": 3})]);
        let many = write("many.json", r#"[{"a": 1}, {"a": 2}]"#);
        assert_eq!(json_objects(ctx, &many).unwrap().len(), 2);
        let bad = write("bad.json", "not json");
        let err = json_objects(ctx, &bad).unwrap_err().to_string();
        assert!(err.contains("is not JSON (line 1"), "{err}");
        assert!(json_objects(ctx, &write("num.json", "3")).is_err());
        assert!(objects(ctx, None, &[], false).is_err());
        assert_eq!(objects(ctx, None, &[], true).unwrap(), vec![json!({})]);
    }
}
