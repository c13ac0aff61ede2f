use super::*;
use serde_json::json;

/// Ticket fields shaped as the sandbox seeds them (and as `GET /FieldInfo` gives them).
fn defs() -> Definitions {
    let (text, _) = CfKind::Text.codes();
    let fields = json!([
        {"id": 101, "name": "CFContractRef", "label": "Contract reference", "type": text, "inputtype": 0, "typeid": 1, "characterlimit": 12},
        {"id": "102", "name": "CFHoursBudget", "label": "Hours budget", "type": 0, "inputtype": 4, "typeid": 1},
        {"id": 103.0, "name": "CFGoLive", "label": "Go-live date", "type": 4, "inputtype": 0, "typeid": 1},
        {"id": 104, "name": "CFRegion", "label": "Region", "type": 2, "inputtype": 0, "typeid": 1,
         "values": [{"id": 11, "name": "North"}, {"id": 12, "name": "South"}, {"id": 13, "name": "East"}, {"id": 14, "name": "West"}]},
        {"id": 105, "name": "CFServices", "label": "Services", "type": 3, "inputtype": 0, "typeid": 1,
         "values": [{"id": 21, "name": "Backup"}, {"id": 22, "name": "Email"}, {"id": 23, "name": "Network"}, {"id": 24, "name": "Security"}]},
        {"id": 106, "name": "CFSeats", "label": "Seats", "type": 0, "inputtype": 1, "typeid": 1, "tab_id": 3},
        {"id": 107, "name": "CFManaged", "label": "Managed", "type": 6, "inputtype": 0, "typeid": 1},
        {"id": 108, "name": "CFAccount", "label": "Region", "type": 0, "inputtype": 0, "typeid": 1},
    ]);
    Definitions {
        typeid: 1,
        fields: serde_json::from_value(fields).unwrap(),
    }
}

#[test]
fn the_code_table_reads_both_ways() {
    assert_eq!(CfKind::of(0, 0), CfKind::Text);
    assert_eq!(CfKind::of(0, 1), CfKind::Integer);
    assert_eq!(CfKind::of(0, 4), CfKind::Decimal);
    assert_eq!(
        CfKind::of(0, 7),
        CfKind::Text,
        "any other input type is text"
    );
    assert_eq!(CfKind::of(9, 2), CfKind::Other(9, 2));
    for kind in [
        CfKind::Text,
        CfKind::Memo,
        CfKind::Integer,
        CfKind::Decimal,
        CfKind::Date,
        CfKind::Checkbox,
        CfKind::Lookup,
        CfKind::MultiSelect,
        CfKind::Other(9, 2),
    ] {
        let (t, i) = kind.codes();
        assert_eq!(CfKind::of(t, i), kind);
    }
}

#[test]
fn definitions_decode_leniently_and_keep_unknown_fields() {
    let d = defs();
    let seats = d.by_id(106).unwrap();
    assert_eq!(seats.extra["tab_id"], 3);
    assert_eq!(d.by_id(102).unwrap().id, Id(102), "ids as \"102\"");
    assert_eq!(d.by_id(103).unwrap().kind(), CfKind::Date, "ids as 103.0");
    let back: Definitions = serde_json::from_value(serde_json::to_value(&d).unwrap()).unwrap();
    assert_eq!(back, d, "a cached copy reads back the same");
    let odd: FieldDef =
        serde_json::from_value(json!({"id": 1, "name": null, "type": "2", "inputtype": null}))
            .unwrap();
    assert_eq!((odd.name.as_str(), odd.kind()), ("", CfKind::Lookup));
}

#[test]
fn names_resolve_by_label_name_and_cf_name() {
    let d = defs();
    for name in [
        "Hours budget",
        "hours BUDGET",
        "CFHoursBudget",
        "cfhoursbudget",
        "HoursBudget",
    ] {
        assert_eq!(d.resolve(name).unwrap().id, Id(102), "{name}");
    }
    assert_eq!(d.resolve(" Services ").unwrap().id, Id(105));
}

#[test]
fn an_ambiguous_name_lists_its_candidates() {
    let err = defs().resolve("region").unwrap_err();
    assert!(
        matches!(&err, CfError::Ambiguous { candidates, .. } if candidates.len() == 2),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "'region' names 2 custom fields: Region (CFRegion), Region (CFAccount); give its CF name"
    );
    assert_eq!(defs().resolve("CFRegion").unwrap().id, Id(104));
}

#[test]
fn an_unknown_name_gets_the_nearest() {
    let err = defs().resolve("Hours budgt").unwrap_err();
    assert_eq!(
        err.to_string(),
        "no custom field is named 'Hours budgt'; did you mean Hours budget (CFHoursBudget)?"
    );
    let err = defs().resolve("CFServcies").unwrap_err();
    assert!(err.to_string().contains("Services (CFServices)"), "{err}");
    let err = defs().resolve("zzzz").unwrap_err();
    assert!(
        err.to_string().ends_with("no field has a name close to it"),
        "{err}"
    );
}

#[test]
fn values_are_read_from_text_by_kind() {
    let d = defs();
    let value = |id: i64, text: &str| d.by_id(id).unwrap().value_from_text(text);
    assert_eq!(value(101, "C-12").unwrap(), json!("C-12"));
    assert_eq!(
        value(102, "7.50").unwrap().to_string(),
        "7.50",
        "every digit kept"
    );
    assert_eq!(value(106, "12").unwrap(), json!(12));
    assert_eq!(value(103, "2026-03-01").unwrap(), json!("2026-03-01"));
    assert_eq!(
        value(103, "2026-03-01T09:30+01:00").unwrap(),
        json!("2026-03-01T08:30:00Z")
    );
    assert_eq!(value(107, "yes").unwrap(), json!(true));
    assert_eq!(
        value(104, "south").unwrap(),
        json!(12),
        "a lookup by name is its id"
    );
    assert_eq!(value(104, "13").unwrap(), json!(13), "or by id");
    assert_eq!(
        value(105, "Email, backup,Email").unwrap(),
        json!([22, 21]),
        "a multi-select is a comma list, each once"
    );
    assert_eq!(value(104, "").unwrap(), Value::Null, "empty clears");
    assert_eq!(value(105, " ").unwrap(), json!([]));
}

#[test]
fn a_wrong_value_names_what_is_accepted() {
    let d = defs();
    let value = |id: i64, text: &str| d.by_id(id).unwrap().value_from_text(text).unwrap_err();
    assert_eq!(
        value(104, "Up"),
        "'Up' is not a value of Region; it takes North, South, East or West"
    );
    assert!(
        value(104, "99").contains("North, South, East or West"),
        "an id it lacks"
    );
    assert!(value(105, "Email,Fax").starts_with("'Fax' is not a value of Services"));
    assert_eq!(
        value(106, "12.5"),
        "'12.5' is not a whole number (Seats takes an integer)"
    );
    assert!(value(102, "lots").contains("takes one such as 7.5"));
    assert!(value(103, "next week").starts_with("'next week' is not a date"));
    assert!(value(103, "01/02/2026").starts_with("'01/02/2026' is not a date"));
    assert!(value(107, "maybe").contains("checkbox"));
    assert_eq!(
        value(101, "C-123456789012"),
        "the value is 14 characters; Contract reference takes at most 12"
    );
    let err = d.changes(&[("CFRegion", "Up")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "'Up' is not a value of Region; it takes North, South, East or West"
    );
}

#[test]
fn merge_changes_only_the_named_entries_and_keeps_the_others() {
    let d = defs();
    let existing = [
        json!({"id": 101, "name": "CFContractRef", "label": "Contract reference", "type": 0, "value": "C-4", "display": "C-4"}),
        json!({"id": "104", "name": "CFRegion", "label": "Region", "type": 2, "value": 11, "display": "North"}),
        json!({"id": 102, "name": "CFHoursBudget", "value": 7.5}),
    ];
    let merged = to_post(&d, &existing, &[("CFRegion", "South"), ("Seats", "3")]).unwrap();
    assert_eq!(
        merged,
        [
            json!({"id": 101, "value": "C-4"}),
            json!({"id": 104, "value": 12}),
            json!({"id": 102, "value": 7.5}),
            json!({"id": 106, "value": 3}),
        ]
    );
    let by_name = [json!({"name": "CFSeats", "value": 1})];
    assert_eq!(
        to_post(&d, &by_name, &[("seats", "2")]).unwrap(),
        [json!({"id": 106, "value": 2})],
        "an entry given by name is the same field"
    );
    assert_eq!(
        to_post(&d, &[], &[("Seats", "1"), ("Seats", "2")]).unwrap(),
        [json!({"id": 106, "value": 2})],
        "the last change of a field wins"
    );
}

#[test]
fn display_names_lookup_values() {
    let d = defs();
    assert_eq!(d.by_id(104).unwrap().display(&json!(14)), "West");
    assert_eq!(
        d.by_id(105).unwrap().display(&json!([21, 24])),
        "Backup, Security"
    );
    assert_eq!(d.by_id(102).unwrap().display(&json!(7.0)), "7");
    assert_eq!(d.by_id(101).unwrap().display(&Value::Null), "");
}

#[test]
fn conditions_parse_and_refuse_what_is_none() {
    let w = Where::parse("cf.Region=North").unwrap();
    assert!(w.is_custom());
    assert_eq!((w.op, w.value.as_str()), (WhereOp::Eq, "North"));
    assert_eq!(w.to_string(), "cf.Region=North");
    let w = Where::parse("CF.Go-live date != 2026-01-01").unwrap();
    assert_eq!(
        w.field,
        WhereField::Custom {
            name: "Go-live date".into(),
            def: None
        }
    );
    assert_eq!(w.op, WhereOp::Ne);
    let w = Where::parse("summary~print=er").unwrap();
    assert_eq!(
        (w.field, w.op, w.value.as_str()),
        (
            WhereField::Path("summary".into()),
            WhereOp::Contains,
            "print=er"
        )
    );
    for bad in ["cf.Region", "=North", "cf.=x", ""] {
        let err = Where::parse(bad).unwrap_err();
        assert!(
            err.to_string().contains("is not a condition"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn rows_match_on_value_or_display() {
    let d = defs();
    let row = json!({"id": 1, "status_name": "New", "client": {"name": "Acme Ltd"}, "customfields": [
        {"id": 104, "name": "CFRegion", "label": "Region", "value": 11, "display": "North"},
        {"id": 105, "name": "CFServices", "value": [21, 22], "display": "Backup, Email"},
        {"id": 101, "name": "CFContractRef", "value": "C-4"},
    ]});
    let holds = |text: &str| {
        let mut w = Where::parse(text).unwrap();
        if w.is_custom() && !text.contains("unbound") {
            w.bind(&d).unwrap();
        }
        row_matches(&row, &w)
    };
    assert!(holds("cf.CFRegion=north"));
    assert!(holds("cf.CFRegion=11"));
    assert!(!holds("cf.CFRegion=South"));
    assert!(holds("cf.CFRegion!=South"));
    assert!(holds("cf.Services=Email"));
    assert!(holds("cf.Services~mail"));
    assert!(holds("cf.Contract reference~c-"));
    assert!(holds("cf.Hours budget="), "a missing field is empty");
    assert!(!holds("cf.Hours budget~1"));
    assert!(holds("status_name=new"));
    assert!(holds("client.name~acme"));
    assert!(!holds("client.name=Globex"));
    let unbound = Where::parse("cf.Region=North").unwrap();
    assert!(
        row_matches(&row, &unbound),
        "unbound: by entry name or label"
    );
    let mut unknown = Where::parse("cf.Regon=North").unwrap();
    assert!(matches!(unknown.bind(&d), Err(CfError::Unknown { .. })));
}
