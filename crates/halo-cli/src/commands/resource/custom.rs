//! Custom fields by name on the resource verbs: `--field NAME=VALUE` on create and update
//! (names and values checked against the definitions before anything is posted; an update
//! posts back the whole array with only the named entries changed, HaloAPI #13), and
//! `--where` on list, get and export (rows filtered here, HaloAPI #14: Halo's lists cannot
//! filter on custom fields).
//!
//! A bulk import writing `cf.NAME` columns gets the array to post from
//! [`halopsa::custom_fields::to_post`] (definitions from [`crate::names::Names::fields`]) and
//! its errors as exit 2 from [`usage`].

use super::args::{CustomArgs, WhereFlags};
use crate::context::Context;
use crate::exit::Failure;
use crate::names::{Names, no_custom_fields};
use anyhow::Result;
use halopsa::custom_fields::{self, CfError, Definitions, FieldDef, Where, row_matches};
use halopsa::id::id_from_value;
use halopsa::resource::Resource;
use serde_json::Value;

/// A name or value that does not fit the definitions, as a usage error (exit 2).
pub fn usage(e: CfError) -> anyhow::Error {
    Failure::usage(e.to_string())
}

/// `NAME=VALUE` texts as `(NAME, VALUE)`, split at the first `=`.
pub fn pairs(given: &[String]) -> Result<Vec<(String, String)>> {
    given
        .iter()
        .map(|g| match g.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => {
                Ok((name.trim().to_string(), value.to_string()))
            }
            _ => Err(Failure::usage(format!(
                "--field '{g}' is not NAME=VALUE (NAME a custom field's label or name)"
            ))),
        })
        .collect()
}

/// What `--field` asks of a create or an update: the definitions and the checked values.
pub struct FieldChanges {
    defs: Definitions,
    texts: Vec<(String, String)>,
}

impl FieldChanges {
    /// The `--field` values given for `res`, each name resolved and each value checked (no
    /// object is read or written yet); `None` when none was given.
    pub async fn read(
        names: &mut Names<'_>,
        res: &Resource,
        args: &CustomArgs,
    ) -> Result<Option<FieldChanges>> {
        let texts = pairs(&args.fields)?;
        if texts.is_empty() {
            return Ok(None);
        }
        let defs = names.fields(res, args.refresh_fields).await?;
        defs.changes(&texts).map_err(usage)?;
        Ok(Some(FieldChanges { defs, texts }))
    }

    /// Sets `object`'s whole `customfields` array: `existing` (the stored object's) with the
    /// changes made; returns the change as diff lines (`- Region: North`, `+ Region: South`).
    pub fn apply(&self, object: &mut Value, existing: &[Value]) -> Result<Vec<String>> {
        if object.get("customfields").is_some() {
            return Err(Failure::usage(
                "--field and a 'customfields' field were both given: give one",
            ));
        }
        let changes = self.defs.changes(&self.texts).map_err(usage)?;
        object["customfields"] = Value::Array(custom_fields::merge(existing, &changes));
        Ok(diff(existing, &changes))
    }
}

/// The change of each field as diff lines: `- Label: old` (when it had a value) and
/// `+ Label: new`, or `  Label: same (unchanged)`.
fn diff(existing: &[Value], changes: &[(&FieldDef, Value)]) -> Vec<String> {
    let mut lines = Vec::new();
    for (def, new) in changes {
        let old = existing.iter().find(|e| {
            e.get("id").and_then(id_from_value) == Some(def.id.0)
                || e.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case(&def.name))
        });
        let old = old.map(|e| {
            match e
                .get("display")
                .and_then(Value::as_str)
                .filter(|d| !d.is_empty())
            {
                Some(shown) => shown.to_string(),
                None => def.display(e.get("value").unwrap_or(&Value::Null)),
            }
        });
        let new = def.display(new);
        let label = def.title();
        match old.filter(|o| !o.is_empty()) {
            Some(old) if old == new => lines.push(format!("  {label}: {new} (unchanged)")),
            Some(old) => {
                lines.push(format!("- {label}: {old}"));
                lines.push(format!("+ {label}: {new}"));
            }
            None => lines.push(format!("+ {label}: {new}")),
        }
    }
    lines
}

/// Prints diff lines, then a blank line.
pub fn print_diff(ctx: &mut Context, lines: &[String]) -> Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let out = ctx.io.out();
    for line in lines {
        writeln!(out, "{line}")?;
    }
    writeln!(out)?;
    Ok(())
}

/// The `--where` conditions, each parsed and a custom field's name resolved (definitions
/// read only when one names a custom field): a condition that does not parse, or names no
/// custom field or several, is a usage error (exit 2).
pub async fn conditions(
    names: &mut Names<'_>,
    res: &Resource,
    flags: &WhereFlags,
) -> Result<Vec<Where>> {
    let mut conds: Vec<Where> = flags
        .conditions
        .iter()
        .map(|c| Where::parse(c).map_err(usage))
        .collect::<Result<_>>()?;
    if conds.iter().any(Where::is_custom) {
        if res.custom_field_type.is_none() {
            return Err(Failure::usage(format!(
                "--where cf.NAME: {}",
                no_custom_fields(res)
            )));
        }
        let defs = names.fields(res, flags.refresh_fields).await?;
        for c in &mut conds {
            c.bind(&defs)
                .map_err(|e| Failure::usage(format!("--where {c}: {e}")))?;
        }
    }
    Ok(conds)
}

/// The first of `conds` that `row` does not meet.
pub fn unmet<'a>(row: &Value, conds: &'a [Where]) -> Option<&'a Where> {
    conds.iter().find(|c| !row_matches(row, c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn region() -> FieldDef {
        serde_json::from_value(
            json!({"id": 104, "name": "CFRegion", "label": "Region", "type": 2,
            "values": [{"id": 11, "name": "North"}, {"id": 12, "name": "South"}]}),
        )
        .unwrap()
    }

    #[test]
    fn a_diff_shows_what_changes() {
        let def = region();
        let existing = [json!({"id": 104, "value": 11, "display": "North"})];
        assert_eq!(
            diff(&existing, &[(&def, json!(12))]),
            ["- Region: North", "+ Region: South"]
        );
        assert_eq!(
            diff(&existing, &[(&def, json!(11))]),
            ["  Region: North (unchanged)"]
        );
        assert_eq!(diff(&[], &[(&def, json!(12))]), ["+ Region: South"]);
        let by_value = [json!({"name": "CFRegion", "value": 12})];
        assert_eq!(
            diff(&by_value, &[(&def, json!(11))]),
            ["- Region: South", "+ Region: North"]
        );
    }

    #[test]
    fn field_texts_split_at_the_first_equals() {
        let given = ["Region=North".to_string(), "Notes=a=b".to_string()];
        assert_eq!(
            pairs(&given).unwrap(),
            [
                ("Region".into(), "North".into()),
                ("Notes".into(), "a=b".into())
            ]
        );
        let err = pairs(&["Region".to_string()]).unwrap_err();
        assert_eq!(crate::exit::code_for(&err), crate::exit::USAGE);
    }
}
