//! Custom fields on the sandbox's side: the seeded definitions (`/FieldInfo`, each with the
//! `typeid` of its entity and the type codes of the library's one table,
//! `halopsa::custom_fields::CODES`), and a posted `customfields` array checked against the
//! stored definitions and completed as Halo returns it.

use crate::domain::outcome::Refusal;
use crate::domain::store::{Col, Cond, ListQuery, Store};
use halopsa::custom_fields::{CfKind, FieldDef};
use halopsa::id::id_from_value;
use halopsa::models::HaloDate;
use serde_json::{Map, Value, json};

/// A seeded definition.
pub struct Seeded {
    /// The definition id.
    pub id: i64,
    /// The entity: 1 tickets, 2 clients, 3 sites, 5 assets.
    pub typeid: u8,
    /// The name without `CF`.
    pub name: &'static str,
    /// The label.
    pub label: &'static str,
    /// What it holds.
    pub kind: CfKind,
    /// Its lookup values (id, name).
    pub values: &'static [(i64, &'static str)],
    /// The longest text it takes (0: no limit).
    pub limit: i64,
}

const fn field(
    id: i64,
    typeid: u8,
    name: &'static str,
    label: &'static str,
    kind: CfKind,
) -> Seeded {
    Seeded {
        id,
        typeid,
        name,
        label,
        kind,
        values: &[],
        limit: 0,
    }
}

impl Seeded {
    const fn values(mut self, values: &'static [(i64, &'static str)]) -> Seeded {
        self.values = values;
        self
    }

    const fn limit(mut self, limit: i64) -> Seeded {
        self.limit = limit;
        self
    }
}

/// Ticket field ids the seed fills in.
pub const TICKET_CONTRACT: i64 = 101;
/// The tickets' hours budget.
pub const TICKET_HOURS: i64 = 102;
/// The tickets' region (a lookup).
pub const TICKET_REGION: i64 = 104;
/// The region lookup's values.
pub const REGIONS: &[(i64, &str)] = &[(11, "North"), (12, "South"), (13, "East"), (14, "West")];
/// The client fields the seed fills in: contract reference, tier, seats.
pub const CLIENT_FIELDS: [i64; 3] = [201, 202, 203];
/// The client tier lookup's values.
pub const TIERS: &[(i64, &str)] = &[(31, "Bronze"), (32, "Silver"), (33, "Gold")];
/// The site fields the seed fills in: site code, alarm code, parking.
pub const SITE_FIELDS: [i64; 3] = [301, 302, 303];
/// The asset fields the seed fills in: asset tag, purchase date, encryption.
pub const ASSET_FIELDS: [i64; 3] = [501, 502, 503];

/// Every seeded definition.
#[rustfmt::skip]
pub const DEFINITIONS: &[Seeded] = &[
    field(TICKET_CONTRACT, 1, "ContractRef", "Contract reference", CfKind::Text).limit(30),
    field(TICKET_HOURS, 1, "HoursBudget", "Hours budget", CfKind::Decimal),
    field(103, 1, "GoLiveDate", "Go-live date", CfKind::Date),
    field(TICKET_REGION, 1, "Region", "Region", CfKind::Lookup).values(REGIONS),
    field(105, 1, "Services", "Services", CfKind::MultiSelect).values(&[(21, "Backup"), (22, "Email"), (23, "Network"), (24, "Security")]),
    field(106, 1, "HandoverNotes", "Handover notes", CfKind::Memo),
    field(201, 2, "ContractRef", "Contract reference", CfKind::Text).limit(30),
    field(202, 2, "Tier", "Support tier", CfKind::Lookup).values(TIERS),
    field(203, 2, "Seats", "Seats", CfKind::Integer),
    field(204, 2, "RenewalDate", "Renewal date", CfKind::Date),
    field(301, 3, "SiteCode", "Site code", CfKind::Text).limit(10),
    field(302, 3, "AlarmCode", "Alarm code", CfKind::Text).limit(10),
    field(303, 3, "Parking", "Parking available", CfKind::Checkbox),
    field(501, 5, "AssetTag", "Asset tag", CfKind::Text).limit(20),
    field(502, 5, "PurchaseDate", "Purchase date", CfKind::Date),
    field(503, 5, "Encrypted", "Disk encrypted", CfKind::Checkbox),
    field(504, 5, "OwnerDept", "Owning department", CfKind::Lookup).values(&[(41, "Finance"), (42, "Sales"), (43, "Operations")]),
];

impl Seeded {
    /// Its `/FieldInfo` document.
    pub fn doc(&self) -> Map<String, Value> {
        let (type_code, inputtype) = self.kind.codes();
        let mut doc = json!({
            "id": self.id, "name": format!("CF{}", self.name), "label": self.label,
            "type": type_code, "inputtype": inputtype, "typeid": self.typeid, "usage": 0,
            "readonly": false, "characterlimit": self.limit, "custom": true,
        });
        if self.kind.has_values() {
            let values: Vec<Value> = self
                .values
                .iter()
                .map(|(id, name)| json!({"id": id, "name": name}))
                .collect();
            doc["values"] = Value::Array(values);
        }
        match doc {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }
}

/// The seeded definitions as the library reads them.
pub fn seeded() -> Vec<FieldDef> {
    DEFINITIONS
        .iter()
        .filter_map(|s| serde_json::from_value(Value::Object(s.doc())).ok())
        .collect()
}

/// A `customfields` entry as Halo returns it: `{id, name, label, type, value, display}`.
pub fn entry(def: &FieldDef, value: Value) -> Value {
    json!({
        "id": def.id, "name": def.name, "label": def.label, "type": def.type_code,
        "display": def.display(&value), "value": value,
    })
}

/// A posted entry completed as [`entry`] makes it; other properties it carries are kept, as
/// the sandbox keeps unknown fields everywhere.
fn completed(def: &FieldDef, posted: &Value, value: Value) -> Value {
    let mut out = posted.as_object().cloned().unwrap_or_default();
    if let Value::Object(made) = entry(def, value) {
        out.extend(made);
    }
    Value::Object(out)
}

/// The stored definitions of entity `typeid`.
fn definitions(store: &Store, typeid: u8) -> Result<Vec<FieldDef>, Refusal> {
    let q = ListQuery {
        conds: vec![Cond::Eq(Col::Type, i64::from(typeid))],
        ..ListQuery::default()
    };
    let (_, rows) = store.list("FieldInfo", &q)?;
    Ok(rows
        .iter()
        .filter_map(|text| serde_json::from_str(text).ok())
        .collect())
}

/// A posted `customfields` array, each entry given by `id` or `name`, checked against the
/// definitions of entity `typeid` and completed as Halo stores it. An unknown field or a
/// value the field does not take is refused, naming it.
pub fn complete(store: &Store, typeid: u8, posted: &Value) -> Result<Value, Refusal> {
    let Value::Array(items) = posted else {
        return Err(invalid(
            "customfields must be an array of {id, value} objects.",
        ));
    };
    let defs = definitions(store, typeid)?;
    let mut out: Vec<(i64, Value)> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let by_id = item.get("id").and_then(id_from_value).filter(|id| *id > 0);
        let by_name = item.get("name").and_then(Value::as_str);
        let def = defs.iter().find(|d| match (by_id, by_name) {
            (Some(id), _) => d.id.0 == id,
            (None, Some(name)) => d.name.eq_ignore_ascii_case(name),
            (None, None) => false,
        });
        let Some(def) = def else {
            let given = match (item.get("id"), by_name) {
                (Some(id), _) if by_id.is_some() => format!("id {id}"),
                (_, Some(name)) => format!("'{name}'"),
                _ => return Err(invalid(&format!("customfields[{i}] has no id or name."))),
            };
            return Err(invalid(&format!(
                "customfields[{i}]: there is no custom field {given} for this record type."
            )));
        };
        let value = checked(def, item.get("value").cloned().unwrap_or(Value::Null))?;
        out.retain(|(id, _)| *id != def.id.0);
        out.push((def.id.0, completed(def, item, value)));
    }
    Ok(Value::Array(out.into_iter().map(|(_, e)| e).collect()))
}

/// `value` as the field stores it, or a refusal naming what it takes.
fn checked(def: &FieldDef, value: Value) -> Result<Value, Refusal> {
    if value.is_null() {
        return Ok(value);
    }
    let refuse = |takes: &str| {
        Refusal::Invalid(format!(
            "The value {value} is not valid for the custom field {} ({takes}).",
            def.name
        ))
    };
    let value_ids: Vec<i64> = def.lookup_values().iter().map(|v| v.id.0).collect();
    let lookup = |v: &Value| id_from_value(v).filter(|id| value_ids.contains(id));
    let number = |v: &Value| match v {
        Value::Number(_) => Some(v.clone()),
        Value::String(s) => serde_json::from_str::<serde_json::Number>(s.trim())
            .ok()
            .map(Value::Number),
        _ => None,
    };
    Ok(match def.kind() {
        CfKind::Integer => match number(&value).filter(|n| n.is_i64() || n.is_u64()) {
            Some(n) => n,
            None => return Err(refuse("a whole number")),
        },
        CfKind::Decimal => match number(&value) {
            Some(n) => n,
            None => return Err(refuse("a number")),
        },
        CfKind::Date => match value
            .as_str()
            .filter(|s| HaloDate::new(*s).timestamp().is_some())
        {
            Some(_) => value,
            None => return Err(refuse("a date")),
        },
        CfKind::Checkbox => match &value {
            Value::Bool(_) => value,
            Value::Number(_) => Value::Bool(id_from_value(&value).is_some_and(|n| n != 0)),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
            _ => return Err(refuse("true or false")),
        },
        CfKind::Lookup => match lookup(&value) {
            Some(id) => Value::from(id),
            None => return Err(refuse(&format!("one of the value ids {value_ids:?}"))),
        },
        CfKind::MultiSelect => {
            let ids: Option<Vec<Value>> = match &value {
                Value::Array(items) => items.iter().map(|v| lookup(v).map(Value::from)).collect(),
                _ => None,
            };
            match ids {
                Some(ids) => Value::Array(ids),
                None => return Err(refuse(&format!("a list of the value ids {value_ids:?}"))),
            }
        }
        _ => match &value {
            Value::String(_) => value,
            Value::Number(_) | Value::Bool(_) => Value::String(value.to_string()),
            _ => return Err(refuse("text")),
        },
    })
}

fn invalid(text: &str) -> Refusal {
    Refusal::Invalid(text.to_string())
}
