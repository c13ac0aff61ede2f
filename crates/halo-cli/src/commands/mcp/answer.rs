//! What a tool answers, and how it is kept small: `concise` rows (the fields an agent needs,
//! names beside ids, long texts cut) or `detailed` ones (every field Halo sent), and a cap on
//! the whole answer, past which a list is cut with a note that says how to get the rest.

use halopsa::error::strip_tags;
use halopsa::models::HaloDate;
use serde::Deserialize;
use serde_json::{Map, Value};

/// How much of each row an answer carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ResponseFormat {
    /// The fields an agent needs, names beside ids, long texts cut (the default).
    #[default]
    Concise,
    /// Every field Halo sent.
    Detailed,
}

/// Characters a token stands for, roughly, in JSON text.
const CHARS_PER_TOKEN: usize = 4;

/// The longest text a concise row keeps of one field.
const CONCISE_TEXT: usize = 600;

/// A tool's answer: a JSON object, with at most one list that may be cut to fit the cap.
#[derive(Debug)]
pub struct Answer {
    body: Map<String, Value>,
    /// The key of the list that may be cut, and how to get what a cut leaves out.
    list: Option<(&'static str, String)>,
}

impl Answer {
    /// An answer with no list to cut.
    pub fn object(body: Map<String, Value>) -> Answer {
        Answer { body, list: None }
    }

    /// An answer whose `key` list may be cut; `rest` tells how to get the rows a cut leaves
    /// out (a page, a narrower filter).
    pub fn list(body: Map<String, Value>, key: &'static str, rest: impl Into<String>) -> Answer {
        Answer {
            body,
            list: Some((key, rest.into())),
        }
    }

    /// The answer as compact JSON of at most about `cap_tokens` tokens: the list cut to the
    /// rows that fit (and a `truncated` note saying how to get the rest), then, if one row
    /// alone is too long, its longest texts shortened.
    pub fn finish(mut self, cap_tokens: usize) -> String {
        let cap = cap_tokens.saturating_mul(CHARS_PER_TOKEN);
        let text = to_text(&self.body);
        if text.len() <= cap {
            return text;
        }
        if let Some((key, rest)) = self.list.take()
            && let Some(Value::Array(items)) = self.body.remove(key)
        {
            let of = items.len();
            let fits = |n: usize, body: &mut Map<String, Value>| {
                body.insert(key.into(), Value::Array(items[..n].to_vec()));
                body.insert("truncated".into(), cut_note(n, of, cap_tokens, &rest));
                to_text(body).len() <= cap
            };
            // The most rows that fit, by bisection (0 always "fits" once texts are cut).
            let (mut lo, mut hi) = (0, of);
            while lo < hi {
                let mid = (lo + hi).div_ceil(2);
                if fits(mid, &mut self.body) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            let shown = lo.max(1).min(of);
            fits(shown, &mut self.body);
        }
        shorten_texts(&mut self.body, cap, cap_tokens);
        to_text(&self.body)
    }
}

/// The note on a cut list.
fn cut_note(shown: usize, of: usize, cap_tokens: usize, rest: &str) -> Value {
    serde_json::json!({
        "shown": shown,
        "of": of,
        "why": format!("the answer was cut to fit about {cap_tokens} tokens"),
        "rest": rest,
    })
}

/// Halves the longest text of `body` until the whole fits `cap` characters (or no text is
/// long enough to be worth cutting), noting it when anything was cut.
fn shorten_texts(body: &mut Map<String, Value>, cap: usize, cap_tokens: usize) {
    let mut cut = false;
    while to_text(body).len() > cap {
        let Some(longest) = longest_text(body) else {
            break;
        };
        if longest.chars().count() < 80 {
            break;
        }
        let keep: String = longest.chars().take(longest.chars().count() / 2).collect();
        *longest = format!("{keep}…");
        cut = true;
    }
    if cut && !body.contains_key("texts_cut") {
        body.insert(
            "texts_cut".into(),
            Value::String(format!(
                "long texts were shortened to fit about {cap_tokens} tokens: ask for less \
                 (response_format=concise, fewer rows or actions) to see them whole"
            )),
        );
    }
}

/// The longest string anywhere in `body`.
fn longest_text(body: &mut Map<String, Value>) -> Option<&mut String> {
    fn walk<'a>(v: &'a mut Value, best: &mut Option<&'a mut String>) {
        match v {
            Value::String(s) if best.as_ref().is_none_or(|b| b.len() < s.len()) => {
                *best = Some(s);
            }
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, best)),
            Value::Object(map) => map.values_mut().for_each(|i| walk(i, best)),
            _ => {}
        }
    }
    let mut best = None;
    for v in body.values_mut() {
        walk(v, &mut best);
    }
    best
}

fn to_text(body: &Map<String, Value>) -> String {
    serde_json::to_string(body).unwrap_or_default()
}

/// A row as `format` asks: detailed as Halo sent it; concise with the fields of `keep` that
/// have a value (or, with `keep` empty, every plain field), texts without their HTML and
/// cut, placeholders (Halo's 1900-01-01 dates, empty texts, nulls) left out.
pub fn shape(row: &Value, format: ResponseFormat, keep: &[&str]) -> Value {
    let Value::Object(map) = row else {
        return row.clone();
    };
    if format == ResponseFormat::Detailed {
        return row.clone();
    }
    let mut out = Map::new();
    let mut put = |k: &str, v: &Value| {
        if let Some(v) = concise_value(v) {
            out.insert(k.to_string(), v);
        }
    };
    if keep.is_empty() {
        for (k, v) in map {
            put(k, v);
        }
    } else {
        for k in keep {
            if let Some(v) = map.get(*k) {
                put(k, v);
            }
        }
    }
    Value::Object(out)
}

/// A field's concise form: plain values only, texts without HTML and cut; `None` for what
/// says nothing.
fn concise_value(v: &Value) -> Option<Value> {
    match v {
        Value::Null | Value::Array(_) | Value::Object(_) => None,
        Value::String(s) if s.trim().is_empty() || HaloDate::new(s.as_str()).is_placeholder() => {
            None
        }
        Value::String(s) => {
            let plain = if s.contains('<') {
                strip_tags(s)
            } else {
                s.clone()
            };
            Some(Value::String(cut(plain.trim(), CONCISE_TEXT)))
        }
        other => Some(other.clone()),
    }
}

/// Puts a page's place in `body`: `total`, `page` and, when pages follow, `more` saying how
/// to get the next.
pub fn page_of(body: &mut Map<String, Value>, total: u64, page_no: u32, page_size: u32) {
    body.insert("total".into(), Value::from(total));
    body.insert("page".into(), Value::from(page_no));
    let pages = total.div_ceil(u64::from(page_size)).max(1);
    if u64::from(page_no) < pages {
        body.insert(
            "more".into(),
            Value::String(format!(
                "page {page_no} of {pages}: call again with page={}",
                page_no + 1
            )),
        );
    }
}

/// `text` cut to `max` characters, with `…` where it was cut.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max).collect();
    format!("{kept}…")
}

/// The fields of a concise ticket.
pub const TICKET: &[&str] = &[
    "id",
    "summary",
    "status_id",
    "status_name",
    "client_id",
    "client_name",
    "site_id",
    "site_name",
    "user_id",
    "user_name",
    "agent_id",
    "agent_name",
    "team_id",
    "team",
    "priority_id",
    "priority_name",
    "tickettype_id",
    "tickettype_name",
    "dateoccurred",
    "last_update",
    "dateclosed",
    "hasbeenclosed",
    "details",
];

/// The fields of a concise ticket in a list (its details are for one ticket's answer).
pub const TICKET_ROW: &[&str] = TICKET.split_last().expect("fields").1;

/// The fields of a concise action.
pub const ACTION: &[&str] = &[
    "id",
    "ticket_id",
    "datetime",
    "who",
    "outcome",
    "note",
    "hiddenfromuser",
    "timetaken",
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows(n: usize, width: usize) -> Map<String, Value> {
        let items: Vec<Value> = (0..n)
            .map(|i| json!({"id": i, "text": "x".repeat(width)}))
            .collect();
        let mut body = Map::new();
        body.insert("rows".into(), Value::Array(items));
        body
    }

    #[test]
    fn a_short_answer_is_whole() {
        let text = Answer::list(rows(3, 10), "rows", "page=2").finish(1000);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["rows"].as_array().unwrap().len(), 3);
        assert!(v.get("truncated").is_none());
    }

    #[test]
    fn a_long_list_is_cut_to_fit_with_a_note() {
        let text = Answer::list(rows(500, 100), "rows", "ask for page=2").finish(2000);
        assert!(text.len() <= 2000 * CHARS_PER_TOKEN, "{}", text.len());
        let v: Value = serde_json::from_str(&text).unwrap();
        let shown = v["rows"].as_array().unwrap().len();
        assert!(shown > 50 && shown < 500, "{shown}");
        assert_eq!(v["truncated"]["shown"], shown);
        assert_eq!(v["truncated"]["of"], 500);
        assert_eq!(v["truncated"]["rest"], "ask for page=2");
        // The rows kept are the first ones, in order.
        assert_eq!(v["rows"][shown - 1]["id"], shown - 1);
    }

    #[test]
    fn one_huge_row_has_its_text_shortened() {
        let mut body = Map::new();
        body.insert(
            "ticket".into(),
            json!({"id": 1, "details": "y".repeat(50_000)}),
        );
        let text = Answer::object(body).finish(1000);
        assert!(text.len() <= 4000, "{}", text.len());
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["ticket"]["id"], 1);
        assert!(v["texts_cut"].as_str().unwrap().contains("1000 tokens"));
    }

    #[test]
    fn concise_rows_keep_what_says_something() {
        let row = json!({
            "id": 7, "summary": "Printer", "details": "<p>It <b>jams</b></p>",
            "targetdate": "1900-01-01T00:00:00", "agent_name": "", "customfields": [1],
            "client_id": 3, "client_name": "Acme", "extra": "x"
        });
        let keep = [
            "id",
            "summary",
            "details",
            "targetdate",
            "agent_name",
            "client_id",
            "client_name",
        ];
        let c = shape(&row, ResponseFormat::Concise, &keep);
        assert_eq!(
            c,
            json!({"id": 7, "summary": "Printer", "details": "It jams", "client_id": 3, "client_name": "Acme"})
        );
        assert_eq!(shape(&row, ResponseFormat::Detailed, &keep), row);
        let any = shape(&row, ResponseFormat::Concise, &[]);
        assert!(any.get("extra").is_some() && any.get("customfields").is_none());
    }
}
