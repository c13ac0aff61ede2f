//! Custom fields by name: one entity's definitions (`GET /FieldInfo?typeid=N`), names resolved
//! as people write them, values read from text, the whole array to post back, and the
//! client-side filter on them.
//!
//! Quirks handled here:
//! - Halo's type codes are not documented publicly: [`CODES`] is the one table of them
//!   (inferred), read by the client and the sandbox alike.
//! - HaloAPI #13: an object's `customfields` array is replaced as a whole on write, so
//!   setting one entry wipes the others; [`merge`] returns the whole array with only the
//!   named entries changed.
//! - HaloAPI #14: list calls cannot filter on custom fields; [`Where`] and [`row_matches`]
//!   filter the rows a list brought, client-side.

use crate::error::Error;
use crate::filter::nearest;
use crate::id::{Id, id_from_value};
use crate::models::HaloDate;
use crate::resource::Resource;
use crate::{Client, ListOptions};
use futures::TryStreamExt;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value, json};
use std::fmt;
use thiserror::Error;

/// What a custom field holds, from its `type` and `inputtype` codes ([`CODES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CfKind {
    /// One line of text.
    Text,
    /// Text of several lines.
    Memo,
    /// A whole number.
    Integer,
    /// A decimal number.
    Decimal,
    /// A date (or date-time).
    Date,
    /// A checkbox: true or false.
    Checkbox,
    /// One of the field's lookup values (its id is stored).
    Lookup,
    /// Several of the field's lookup values (a list of ids).
    MultiSelect,
    /// Codes [`CODES`] does not know (`type`, `inputtype`): treated as text.
    Other(i64, i64),
}

/// Halo's custom-field codes, `(type, inputtype or None for any, kind)`, the first match
/// winning. Inferred: Halo documents none of them; these are what public clients and the
/// field set-up screens suggest.
pub const CODES: &[(i64, Option<i64>, CfKind)] = &[
    (0, Some(1), CfKind::Integer),
    (0, Some(4), CfKind::Decimal),
    (0, None, CfKind::Text),
    (1, None, CfKind::Memo),
    (2, None, CfKind::Lookup),
    (3, None, CfKind::MultiSelect),
    (4, None, CfKind::Date),
    (6, None, CfKind::Checkbox),
];

impl CfKind {
    /// The kind of a field with these codes.
    pub fn of(type_code: i64, inputtype: i64) -> CfKind {
        CODES
            .iter()
            .find(|(t, i, _)| *t == type_code && i.is_none_or(|i| i == inputtype))
            .map(|(_, _, k)| *k)
            .unwrap_or(CfKind::Other(type_code, inputtype))
    }

    /// The `(type, inputtype)` codes of a field of this kind.
    pub fn codes(self) -> (i64, i64) {
        if let CfKind::Other(t, i) = self {
            return (t, i);
        }
        CODES
            .iter()
            .find(|(_, _, k)| *k == self)
            .map(|(t, i, _)| (*t, i.unwrap_or(0)))
            .unwrap_or((0, 0))
    }

    /// Its name in listings (`text`, `multi-select`...).
    pub fn name(self) -> &'static str {
        match self {
            CfKind::Text => "text",
            CfKind::Memo => "memo",
            CfKind::Integer => "integer",
            CfKind::Decimal => "decimal",
            CfKind::Date => "date",
            CfKind::Checkbox => "checkbox",
            CfKind::Lookup => "lookup",
            CfKind::MultiSelect => "multi-select",
            CfKind::Other(..) => "other",
        }
    }

    /// Whether its values are chosen from the field's lookup values.
    pub fn has_values(self) -> bool {
        matches!(self, CfKind::Lookup | CfKind::MultiSelect)
    }
}

/// One lookup value of a field (`values[]` of a definition).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LookupValue {
    /// Its id (what an object stores).
    pub id: Id,
    /// Its name (what people see).
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    /// Every other field Halo sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A custom-field definition (`/FieldInfo`), as far as writing and filtering need it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDef {
    /// The definition id (what `customfields[].id` names).
    pub id: Id,
    /// The API name, `CF` + the field's name (`CFRegion`).
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    /// The label people see (`Region`).
    #[serde(default, deserialize_with = "text")]
    pub label: String,
    /// The type code ([`CODES`]).
    #[serde(rename = "type", default, deserialize_with = "code")]
    pub type_code: i64,
    /// The input type code ([`CODES`]).
    #[serde(default, deserialize_with = "code")]
    pub inputtype: i64,
    /// The entity whose field it is (1 tickets, 2 clients, 3 sites, 5 assets).
    #[serde(
        default,
        deserialize_with = "some_code",
        skip_serializing_if = "Option::is_none"
    )]
    pub typeid: Option<i64>,
    /// The longest text accepted, when positive.
    #[serde(
        default,
        deserialize_with = "some_code",
        skip_serializing_if = "Option::is_none"
    )]
    pub characterlimit: Option<i64>,
    /// Its lookup values, when Halo sent them (`getlookupvalues=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<LookupValue>>,
    /// Every other field Halo sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Text, with `null` as empty.
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// A code sent as `3`, `3.0` or `"3"`; `null` as 0.
fn code<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(some_code(d)?.unwrap_or(0))
}

fn some_code<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Value::deserialize(d)?;
    match v {
        Value::Null => Ok(None),
        other => id_from_value(&other)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("expected an integer, got {other}"))),
    }
}

impl FieldDef {
    /// What it holds.
    pub fn kind(&self) -> CfKind {
        CfKind::of(self.type_code, self.inputtype)
    }

    /// Its name without the `CF` prefix (`Region`).
    pub fn short_name(&self) -> &str {
        strip_cf(&self.name)
    }

    /// What messages call it: the label, else the name.
    pub fn title(&self) -> &str {
        if self.label.trim().is_empty() {
            &self.name
        } else {
            &self.label
        }
    }

    /// Its lookup values (none when Halo sent none).
    pub fn lookup_values(&self) -> &[LookupValue] {
        self.values.as_deref().unwrap_or(&[])
    }

    /// The value to post for `text` as a person writes it: a number, an ISO date, true or
    /// false, a lookup value by its name or id (posted as its id), a multi-select as a comma
    /// list of them (a list of ids). Empty text clears the field (an empty list for a
    /// multi-select). A wrong value is refused with one line naming what is accepted.
    pub fn value_from_text(&self, text: &str) -> Result<Value, String> {
        let kind = self.kind();
        let trimmed = text.trim();
        if trimmed.is_empty() && !matches!(kind, CfKind::Text | CfKind::Memo | CfKind::Other(..)) {
            return Ok(if kind == CfKind::MultiSelect {
                json!([])
            } else {
                Value::Null
            });
        }
        let title = self.title();
        match kind {
            CfKind::Integer => {
                let digits = trimmed.strip_prefix('-').unwrap_or(trimmed);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("'{text}' is not a whole number ({title} takes an integer)"));
                }
                number(trimmed).ok_or_else(|| format!("'{text}' is not a whole number"))
            }
            CfKind::Decimal => trimmed
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .and_then(|_| number(trimmed))
                .ok_or_else(|| format!("'{text}' is not a number ({title} takes one such as 7.5)")),
            CfKind::Date => date(trimmed).ok_or_else(|| {
                format!(
                    "'{text}' is not a date ({title} takes yyyy-MM-dd or yyyy-MM-ddTHH:mm[:ss], UTC unless it ends in Z or an offset)"
                )
            }),
            CfKind::Checkbox => match trimmed.to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "1" | "on" => Ok(Value::Bool(true)),
                "false" | "no" | "n" | "0" | "off" => Ok(Value::Bool(false)),
                _ => Err(format!("'{text}' is not true or false ({title} is a checkbox)")),
            },
            CfKind::Lookup => self.value_id(trimmed).map(Value::from),
            CfKind::MultiSelect => {
                let mut ids: Vec<Value> = Vec::new();
                for part in trimmed.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    let id = Value::from(self.value_id(part)?);
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                Ok(Value::Array(ids))
            }
            CfKind::Text | CfKind::Memo | CfKind::Other(..) => {
                if let Some(limit) = self.characterlimit.filter(|l| *l > 0) {
                    let len = text.chars().count() as i64;
                    if len > limit {
                        return Err(format!(
                            "the value is {len} characters; {title} takes at most {limit}"
                        ));
                    }
                }
                Ok(Value::String(text.to_string()))
            }
        }
    }

    /// The id of the lookup value `text` names (by name, case-insensitive, or by id).
    fn value_id(&self, text: &str) -> Result<i64, String> {
        let values = self.lookup_values();
        let by_name = values
            .iter()
            .find(|v| v.name.trim().eq_ignore_ascii_case(text));
        let by_id = || {
            let id = text.parse::<i64>().ok()?;
            values.iter().find(|v| v.id.0 == id)
        };
        if let Some(v) = by_name.or_else(by_id) {
            return Ok(v.id.0);
        }
        let names: Vec<&str> = values.iter().map(|v| v.name.as_str()).collect();
        let accepted = match names.as_slice() {
            [] => "it has no values to choose from".to_string(),
            [one] => format!("it takes {one}"),
            [init @ .., last] => format!("it takes {} or {last}", init.join(", ")),
        };
        Err(format!(
            "'{text}' is not a value of {}; {accepted}",
            self.title()
        ))
    }

    /// A stored value as people read it: a lookup's value names, else its text.
    pub fn display(&self, value: &Value) -> String {
        let name_of = |v: &Value| {
            id_from_value(v)
                .and_then(|id| self.lookup_values().iter().find(|l| l.id.0 == id))
                .map(|l| l.name.clone())
                .unwrap_or_else(|| value_text(v))
        };
        match (self.kind(), value) {
            (CfKind::Lookup, v) if !v.is_null() => name_of(v),
            (CfKind::MultiSelect, Value::Array(items)) => {
                items.iter().map(name_of).collect::<Vec<_>>().join(", ")
            }
            (_, v) => value_text(v),
        }
    }
}

/// A number exactly as written (every digit kept).
fn number(text: &str) -> Option<Value> {
    serde_json::from_str::<serde_json::Number>(text)
        .ok()
        .map(Value::Number)
}

/// An ISO date as it is (`2026-03-01`), a date-time as Halo expects one (UTC, whole seconds).
/// Inferred: the form Halo stores a custom date in is not documented.
fn date(text: &str) -> Option<Value> {
    if text.len() == 10 && text.parse::<jiff::civil::Date>().is_ok() {
        return Some(Value::String(text.to_string()));
    }
    if text.contains('[') {
        return None;
    }
    let at = HaloDate::new(text).timestamp()?;
    Some(Value::String(HaloDate::from(at).to_string()))
}

/// `name` without a leading `CF` (any case).
fn strip_cf(name: &str) -> &str {
    match name.get(..2) {
        Some(p) if p.eq_ignore_ascii_case("cf") && name.len() > 2 => &name[2..],
        _ => name,
    }
}

/// A JSON value as text: strings as they are, integral numbers without a fraction, `null` as
/// nothing, an object by its name (or its JSON).
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Number(_) => id_from_value(v)
            .map(|n| n.to_string())
            .unwrap_or_else(|| v.to_string()),
        Value::Object(o) => o
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string()),
        other => other.to_string(),
    }
}

/// A name, a condition or a value that does not fit the definitions.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CfError {
    /// No field has the name.
    #[error("no custom field is named '{name}'; {}", nearest_text(.nearest))]
    Unknown {
        /// The name as given.
        name: String,
        /// Up to three fields with names close to it, as `Label (CFName)`.
        nearest: Vec<String>,
    },
    /// Several fields have the name.
    #[error(
        "'{name}' names {} custom fields: {}; give its CF name",
        .candidates.len(),
        .candidates.join(", ")
    )]
    Ambiguous {
        /// The name as given.
        name: String,
        /// The fields it names, as `Label (CFName)`.
        candidates: Vec<String>,
    },
    /// A value the field does not take.
    #[error("{message}")]
    BadValue {
        /// The field's label.
        field: String,
        /// What is wrong and what is accepted.
        message: String,
    },
    /// A `--where` condition that does not parse.
    #[error("{0}")]
    BadCondition(String),
}

fn nearest_text(nearest: &[String]) -> String {
    match nearest {
        [] => "no field has a name close to it".to_string(),
        [one] => format!("did you mean {one}?"),
        [init @ .., last] => format!("did you mean {} or {last}?", init.join(", ")),
    }
}

/// The custom-field definitions of one entity (`typeid`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Definitions {
    /// The entity: 1 tickets, 2 clients, 3 sites, 5 assets.
    pub typeid: u8,
    /// Its fields, as Halo lists them.
    pub fields: Vec<FieldDef>,
}

impl Definitions {
    /// The field with definition id `id`.
    pub fn by_id(&self, id: i64) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.id.0 == id)
    }

    /// The one field `name` names, case-insensitively: its label, its name (`CFRegion`), or
    /// its name without `CF` (`Region`). Several: [`CfError::Ambiguous`]; none:
    /// [`CfError::Unknown`] with the nearest names.
    pub fn resolve(&self, name: &str) -> Result<&FieldDef, CfError> {
        let wanted = name.trim();
        let matches: Vec<&FieldDef> = self
            .fields
            .iter()
            .filter(|f| {
                [f.label.trim(), f.name.as_str(), f.short_name()]
                    .iter()
                    .any(|n| !n.is_empty() && n.eq_ignore_ascii_case(wanted))
            })
            .collect();
        match matches.as_slice() {
            [one] => Ok(one),
            [] => {
                let names = self
                    .fields
                    .iter()
                    .flat_map(|f| [f.label.as_str(), f.short_name()]);
                let mut near: Vec<String> = Vec::new();
                for n in nearest(names, strip_cf(wanted)) {
                    let field = self
                        .fields
                        .iter()
                        .find(|f| f.label == n || f.short_name() == n);
                    if let Some(text) = field.map(described)
                        && !near.contains(&text)
                    {
                        near.push(text);
                    }
                }
                Err(CfError::Unknown {
                    name: wanted.to_string(),
                    nearest: near,
                })
            }
            many => Err(CfError::Ambiguous {
                name: wanted.to_string(),
                candidates: many.iter().map(|f| described(f)).collect(),
            }),
        }
    }

    /// Each `(name, text)` resolved and its text read as the field's value
    /// ([`FieldDef::value_from_text`]), in order.
    pub fn changes<S: AsRef<str>, T: AsRef<str>>(
        &self,
        texts: &[(S, T)],
    ) -> Result<Vec<(&FieldDef, Value)>, CfError> {
        texts
            .iter()
            .map(|(name, text)| {
                let def = self.resolve(name.as_ref())?;
                let value =
                    def.value_from_text(text.as_ref())
                        .map_err(|message| CfError::BadValue {
                            field: def.title().to_string(),
                            message,
                        })?;
                Ok((def, value))
            })
            .collect()
    }
}

/// `Label (CFName)`.
fn described(f: &FieldDef) -> String {
    if f.label.trim().is_empty() || f.label == f.name {
        f.name.clone()
    } else {
        format!("{} ({})", f.label, f.name)
    }
}

/// The whole `customfields` array to post for an object whose array is `existing`, with only
/// the fields of `changes` changed or added (as `{"id": N, "value": V}`). Every other entry
/// is kept, reduced to its id (or name) and value (HaloAPI #13: the posted array replaces the
/// stored one, so an entry left out is lost).
pub fn merge(existing: &[Value], changes: &[(&FieldDef, Value)]) -> Vec<Value> {
    let mut out: Vec<Value> = existing
        .iter()
        .map(|e| {
            let value = e.get("value").cloned().unwrap_or(Value::Null);
            match (e.get("id").and_then(id_from_value), e.get("name")) {
                (Some(id), _) => json!({"id": id, "value": value}),
                (None, Some(name)) => json!({"name": name, "value": value}),
                (None, None) => e.clone(),
            }
        })
        .collect();
    for (def, value) in changes {
        let entry = json!({"id": def.id, "value": value});
        let same = |e: &Value| {
            e.get("id").and_then(id_from_value) == Some(def.id.0)
                || e.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case(&def.name))
        };
        match out.iter_mut().find(|e| same(e)) {
            Some(slot) => *slot = entry,
            None => out.push(entry),
        }
    }
    out
}

/// The `customfields` array to post, for a bulk import or any writer of custom fields by
/// name: each `(name, text)` resolved against `defs` and read as its field's value
/// ([`Definitions::changes`]), merged into the object's `existing` array ([`merge`]; empty
/// for a new object). Nothing is sent; a bad name or value is an error naming what is
/// accepted.
pub fn to_post<S: AsRef<str>, T: AsRef<str>>(
    defs: &Definitions,
    existing: &[Value],
    texts: &[(S, T)],
) -> Result<Vec<Value>, CfError> {
    Ok(merge(existing, &defs.changes(texts)?))
}

/// The definitions of `resource`'s custom fields: `GET /FieldInfo?typeid=N`, then
/// `GET /FieldInfo/{id}?getlookupvalues=true` for each lookup or multi-select the list gave
/// without its values. A resource without custom fields is [`Error::InvalidInput`].
pub async fn fetch(client: &Client, resource: &Resource) -> Result<Definitions, Error> {
    let typeid = resource.custom_field_type.ok_or_else(|| {
        Error::InvalidInput(format!(
            "{} ({}) have no custom fields",
            resource.name, resource.path
        ))
    })?;
    let info = crate::resource::RESOURCES
        .iter()
        .find(|r| r.path == "FieldInfo")
        .ok_or_else(|| Error::Setup("the resource table has no FieldInfo row".into()))?;
    let api = client.resource(info);
    let query = vec![("typeid".to_string(), typeid.to_string())];
    let (rows, _) = api.list(query, ListOptions::default());
    let rows: Vec<Value> = rows.try_collect().await?;
    let decode = |v: Value| {
        serde_json::from_value::<FieldDef>(v).map_err(|e| Error::Decode {
            url: info.path.to_string(),
            detail: e.to_string(),
        })
    };
    let mut fields = Vec::with_capacity(rows.len());
    for row in rows {
        let mut def = decode(row)?;
        // A server that ignores `typeid` lists every entity's fields: keep this one's.
        if def.typeid.is_some_and(|t| t != i64::from(typeid)) {
            continue;
        }
        if def.kind().has_values() && def.values.is_none() {
            let query = [("getlookupvalues".to_string(), "true".to_string())];
            let one = decode(api.get(&def.id.to_string(), &query).await?)?;
            def.values = Some(one.values.unwrap_or_default());
        }
        fields.push(def);
    }
    Ok(Definitions { typeid, fields })
}

/// How a [`Where`] compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WhereOp {
    /// `=`: equal, ignoring case.
    Eq,
    /// `!=`: not equal.
    Ne,
    /// `~`: contains, ignoring case.
    Contains,
}

/// What a [`Where`] looks at.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WhereField {
    /// A field of the row by dotted path (`status_name`, `client.name`, `tags.0`).
    Path(String),
    /// A custom field (`cf.NAME`): matched by name or label until bound to its definition
    /// ([`Where::bind`]), then by id.
    Custom {
        /// The name as given.
        name: String,
        /// The definition, once bound.
        def: Option<Box<FieldDef>>,
    },
}

/// One client-side condition on rows (HaloAPI #14: lists cannot filter on custom fields):
/// `cf.NAME=VALUE`, `cf.NAME!=VALUE`, `cf.NAME~TEXT`, or the same on a field's dotted path
/// (`status_name=New`). A custom field compares its `value` and its `display`, so
/// `cf.Region=North` holds for a lookup that stores North's id.
#[derive(Debug, Clone, PartialEq)]
pub struct Where {
    /// What it looks at.
    pub field: WhereField,
    /// How it compares.
    pub op: WhereOp,
    /// The text compared with.
    pub value: String,
    text: String,
}

impl Where {
    /// Parses one condition.
    pub fn parse(text: &str) -> Result<Where, CfError> {
        let bad = || {
            CfError::BadCondition(format!(
                "'{text}' is not a condition: give NAME=VALUE, NAME!=VALUE or NAME~TEXT (cf.NAME for a custom field)"
            ))
        };
        let (at, op, len) = text
            .char_indices()
            .find_map(|(i, c)| match c {
                '!' if text[i..].starts_with("!=") => Some((i, WhereOp::Ne, 2)),
                '=' => Some((i, WhereOp::Eq, 1)),
                '~' => Some((i, WhereOp::Contains, 1)),
                _ => None,
            })
            .ok_or_else(bad)?;
        let name = text[..at].trim();
        let value = text[at + len..].trim().to_string();
        let field = match name.get(..3) {
            Some(p) if p.eq_ignore_ascii_case("cf.") => WhereField::Custom {
                name: name[3..].trim().to_string(),
                def: None,
            },
            _ => WhereField::Path(name.to_string()),
        };
        match &field {
            WhereField::Custom { name, .. } | WhereField::Path(name) if name.is_empty() => {
                Err(bad())
            }
            _ => Ok(Where {
                field,
                op,
                value,
                text: text.to_string(),
            }),
        }
    }

    /// The top-level field of a row it reads (`customfields` for a custom field).
    pub fn reads(&self) -> &str {
        match &self.field {
            WhereField::Path(path) => path.split('.').next().unwrap_or(path),
            WhereField::Custom { .. } => "customfields",
        }
    }

    /// Whether it looks at a custom field.
    pub fn is_custom(&self) -> bool {
        matches!(self.field, WhereField::Custom { .. })
    }

    /// Binds a custom-field condition to the definition its name resolves to in `defs`
    /// (an error for a name that names none, or several); other conditions are unchanged.
    pub fn bind(&mut self, defs: &Definitions) -> Result<(), CfError> {
        if let WhereField::Custom { name, def } = &mut self.field {
            *def = Some(Box::new(defs.resolve(name)?.clone()));
        }
        Ok(())
    }
}

impl fmt::Display for Where {
    /// The condition as it was written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Whether `row` meets `cond`. A field the row lacks counts as empty (so `cf.X=` holds for
/// it and `cf.X!=V` too); a list holds `=` when one of its items does.
pub fn row_matches(row: &Value, cond: &Where) -> bool {
    let texts = match &cond.field {
        WhereField::Path(path) => at_path(row, path).map(texts_of).unwrap_or_default(),
        WhereField::Custom { name, def } => custom_texts(row, name, def.as_deref()),
    };
    let texts = if texts.is_empty() {
        vec![String::new()]
    } else {
        texts
    };
    let wanted = cond.value.to_lowercase();
    let equal = || texts.iter().any(|t| t.trim().to_lowercase() == wanted);
    match cond.op {
        WhereOp::Eq => equal(),
        WhereOp::Ne => !equal(),
        WhereOp::Contains => texts.iter().any(|t| t.to_lowercase().contains(&wanted)),
    }
}

/// The value at a dotted path (`client.name`, `tags.0`).
fn at_path<'a>(row: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(row, |v, key| match v {
        Value::Object(m) => m.get(key),
        Value::Array(items) => items.get(key.parse::<usize>().ok()?),
        _ => None,
    })
}

/// The texts a value can be compared by: each item of a list, an object's id and name.
fn texts_of(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().flat_map(texts_of).collect(),
        Value::Object(o) => ["id", "name", "value"]
            .iter()
            .filter_map(|k| o.get(*k))
            .flat_map(texts_of)
            .collect(),
        Value::Null => Vec::new(),
        other => vec![value_text(other)],
    }
}

/// The texts of the custom field `name` (or `def`, once bound) on `row`: its `value`, its
/// `display` and, for a display listing several values, each of them.
fn custom_texts(row: &Value, name: &str, def: Option<&FieldDef>) -> Vec<String> {
    let Some(entries) = row.get("customfields").and_then(Value::as_array) else {
        return Vec::new();
    };
    let is_it = |e: &Value| match def {
        Some(d) => {
            e.get("id").and_then(id_from_value) == Some(d.id.0)
                || e.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case(&d.name))
        }
        None => ["name", "label"].iter().any(|k| {
            e.get(*k).and_then(Value::as_str).is_some_and(|n| {
                n.eq_ignore_ascii_case(name) || strip_cf(n).eq_ignore_ascii_case(name)
            })
        }),
    };
    let Some(entry) = entries.iter().find(|e| is_it(e)) else {
        return Vec::new();
    };
    let mut texts = entry.get("value").map(texts_of).unwrap_or_default();
    if let Some(d) = def {
        let value = entry.get("value").cloned().unwrap_or(Value::Null);
        texts.extend(d.display(&value).split(',').map(|s| s.trim().to_string()));
    }
    if let Some(display) = entry.get("display").filter(|d| !d.is_null()) {
        let display = value_text(display);
        texts.extend(display.split(',').map(|s| s.trim().to_string()));
        texts.push(display);
    }
    texts.retain(|t| !t.is_empty());
    texts
}

#[cfg(test)]
mod tests;
