//! Fixture round trips for every model, plus the helpers' behaviour.

use super::*;
use crate::id::{Id, id_from_value};
use crate::resource;
use serde_json::{Value, json};

/// Fields every fixture also carries: unknown, nested, null, odd-cased and float-valued.
fn with_unknowns(mut fixture: Value) -> Value {
    let unknowns = json!({
        "_unknown_nested": {"a": [1, {"b": null, "c": "text"}], "d": 3.0, "e": true},
        "unknown_null": null,
        "unknown_float": 3.0,
        "unknown_int": 3,
        "unknown_array": [{"id": "12", "value": null}, 2.5, "x"],
        "Id_Cased": "12",
        "unknown_placeholder": "1900-01-01T00:00:00",
        "unknown_date": "2026-01-15T09:30:12.1234567Z",
    });
    fixture
        .as_object_mut()
        .unwrap()
        .extend(unknowns.as_object().unwrap().clone());
    fixture
}

/// Decodes `fixture` (plus the shared unknowns) as `T`, re-encodes it and checks the JSON is the
/// same, with the ids at `ids` (JSON pointers) normalised to integers.
fn round_trip<T: Model>(fixture: Value, ids: &[&str]) -> T {
    let fixture = with_unknowns(fixture);
    let mut want = fixture.clone();
    for pointer in ids {
        let slot = want
            .pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{pointer}"));
        let id = id_from_value(slot).unwrap_or_else(|| panic!("{pointer}: {slot}"));
        *slot = json!(id);
    }
    let model: T = serde_json::from_value(fixture.clone()).expect("decodes");
    assert_eq!(serde_json::to_value(&model).unwrap(), want, "{}", T::PATH);
    let text = serde_json::to_string(&model).unwrap();
    let again: T = serde_json::from_str(&text).unwrap();
    assert_eq!(serde_json::to_value(&again).unwrap(), want, "{}", T::PATH);
    let table = resource::find(T::PATH).unwrap_or_else(|| panic!("{} not in table", T::PATH));
    assert_eq!(table.path, T::PATH);
    model
}

fn ticket_fixture() -> Value {
    serde_json::from_str(
        r#"{
            "id": "12",
            "summary": "Printer offline",
            "details": "The 3rd floor printer shows offline.",
            "details_html": "<p>The 3rd floor printer shows offline.</p>",
            "client_id": 3.0,
            "client_name": "Acme Ltd",
            "site_id": 7,
            "site_name": "Head Office",
            "user_id": 41,
            "user_name": "Jo Bloggs",
            "reportedby": null,
            "user_email": "jo@acme.example",
            "status_id": 2,
            "status_name": "In Progress",
            "tickettype_id": 1,
            "priority_id": 3,
            "sla_id": 1,
            "agent_id": 5,
            "agent_name": "",
            "team": "1st Line",
            "category_1": "Hardware>Printer",
            "category_2": null,
            "impact": 2,
            "urgency": 3,
            "source": 0,
            "parent_id": 0,
            "onhold": false,
            "hasbeenclosed": false,
            "deleted": false,
            "dateoccurred": "2026-01-15T09:30:12.1234567Z",
            "datecreated": "2026-01-15T09:30:12.1234567",
            "dateclosed": null,
            "respondbydate": "2026-01-15T13:30:12Z",
            "fixbydate": "2026-01-17T09:30:12+00:00",
            "deadlinedate": "1900-01-01T00:00:00",
            "targetdate": "1900-01-01T00:00:00",
            "last_update": "2026-01-15T10:01:00.5",
            "customfields": [
                {"id": "101", "name": "CFAssetTag", "label": "Asset tag", "type": 0, "value": "AST000123",
                 "display": "AST000123", "inputtype": 0, "characterlimit": 50},
                {"id": 102.0, "name": "CFRenewal", "label": "Renewal", "type": 3, "value": null,
                 "display": "", "inputtype": 4},
                {"id": 103, "name": "CFSeats", "type": 1, "value": 25.0, "display": "25"}
            ],
            "attachments": [],
            "userlookup": {"id": -1, "name": "General User"},
            "Summary": "odd-cased duplicate kept as sent"
        }"#,
    )
    .unwrap()
}

#[test]
fn ticket_round_trips() {
    let ticket: Ticket = round_trip(
        ticket_fixture(),
        &[
            "/id",
            "/client_id",
            "/customfields/0/id",
            "/customfields/1/id",
        ],
    );
    assert_eq!(ticket.id, Some(Id(12)));
    assert_eq!(ticket.client_id, Some(Id(3)));
    assert_eq!(ticket.summary.as_deref(), Some("Printer offline"));
    assert_eq!(ticket.reportedby, None);
    assert_eq!(ticket.extra.get("reportedby"), Some(&Value::Null));
    assert!(ticket.targetdate.as_ref().unwrap().is_placeholder());
    assert_eq!(ticket.targetdate.as_ref().unwrap().timestamp(), None);
    assert_eq!(
        ticket.datecreated.unwrap().timestamp(),
        Some("2026-01-15T09:30:12.1234567Z".parse().unwrap())
    );
    let fields = ticket.customfields.unwrap();
    assert_eq!(fields[1].value, None);
    assert_eq!(fields[2].value, Some(json!(25.0)));
    assert_eq!(
        Model::id(&Ticket {
            id: Some(Id(12)),
            ..Ticket::default()
        })
        .as_deref(),
        Some("12")
    );
}

#[test]
fn a_set_field_replaces_a_kept_null() {
    let mut ticket: Ticket = serde_json::from_value(ticket_fixture()).unwrap();
    ticket.reportedby = Some("Reception".into());
    let text = serde_json::to_string(&ticket).unwrap();
    assert_eq!(text.matches("\"reportedby\"").count(), 1, "{text}");
    let back: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(back["reportedby"], "Reception");
}

#[test]
fn partial_updates_hold_only_what_is_set() {
    let update = Ticket {
        id: Some(Id(12)),
        status_id: Some(Id(9)),
        ..Ticket::default()
    };
    assert_eq!(
        serde_json::to_value(&update).unwrap(),
        json!({"id": 12, "status_id": 9})
    );
    assert_eq!(Model::id(&Ticket::default()), None);
    assert_eq!(
        Model::id(&Ticket {
            id: Some(Id(0)),
            ..Ticket::default()
        }),
        None
    );
}

#[test]
fn bad_field_types_name_the_field() {
    let err = serde_json::from_value::<Ticket>(json!({"id": 1, "onhold": "maybe"})).unwrap_err();
    assert!(err.to_string().contains("onhold"), "{err}");
}

#[test]
fn set_custom_field_updates_or_appends() {
    let mut ticket: Ticket = serde_json::from_value(ticket_fixture()).unwrap();
    ticket.set_custom_field("cfassettag", json!("AST999"));
    ticket.set_custom_field("CFRenewal", json!("2027-01-01"));
    ticket.set_custom_field("CFNew", json!(7));
    let fields = &ticket.customfields.as_ref().unwrap();
    assert_eq!(fields.len(), 4);
    assert_eq!(
        ticket.custom_field("CFAssetTag").unwrap().value,
        Some(json!("AST999"))
    );
    let encoded = serde_json::to_value(&ticket).unwrap();
    let fields = encoded["customfields"].as_array().unwrap();
    assert_eq!(fields[0]["value"], "AST999");
    assert_eq!(fields[0]["characterlimit"], 50);
    assert_eq!(fields[1]["value"], "2027-01-01");
    assert_eq!(
        fields[1]
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| *k == "value")
            .count(),
        1
    );
    assert_eq!(fields[2]["value"], 25.0);
    assert_eq!(fields[3], json!({"name": "CFNew", "value": 7}));

    let mut empty = Ticket::default();
    empty.set_custom_field("CFOnly", Value::Null);
    assert_eq!(
        serde_json::to_value(&empty).unwrap(),
        json!({"customfields": [{"name": "CFOnly", "value": null}]})
    );
}

fn action_fixture() -> Value {
    json!({
        "id": 3.0,
        "ticket_id": "12",
        "outcome": "Private Note",
        "outcome_id": 7,
        "who": "Sam Agent",
        "who_type": 1,
        "who_agentid": 5,
        "datetime": "2026-01-15T09:30:12.1234567Z",
        "note": "Rebooted the printer.",
        "note_html": "<p>Rebooted the printer.</p>",
        "hiddenfromuser": true,
        "timetaken": 0.25,
        "actisbillable": false,
        "new_status": 2,
        "new_agent": null,
        "new_team": "",
        "sendemail": false,
        "emailto": null,
        "actionby_agent_id": 1,
        "actionby_application_id": "Integration",
        "actionarrivaldate": "2026-01-15T09:30:12",
        "actionresponsedate": "1900-01-01T00:00:00",
        "customfields": [],
        "attachments": [{"id": 4, "filename": "photo.jpg"}]
    })
}

#[test]
fn action_round_trips_and_keys_by_ticket() {
    let action: Action = round_trip(action_fixture(), &["/id", "/ticket_id"]);
    assert_eq!(action.key(), Some((Id(12), Id(3))));
    assert_eq!(
        action.timetaken.as_ref().and_then(|n| n.as_f64()),
        Some(0.25)
    );
    assert_eq!(
        Action {
            id: Some(Id(3)),
            ..Action::default()
        }
        .key(),
        None
    );
    assert_eq!(
        Action {
            ticket_id: Some(Id(12)),
            ..Action::default()
        }
        .key(),
        None
    );
}

#[test]
fn customers_round_trip() {
    let client: Client = round_trip(
        json!({
            "id": "12", "name": "Acme Ltd", "toplevel_id": 3.0, "toplevel_name": "Customers",
            "inactive": false, "is_vip": true, "website": "https://acme.example", "notes": null,
            "accountsid": "ACC00012", "main_site_id": 7, "pritech": 2, "sectech": null,
            "accountmanagertech": 4, "last_update": "2026-01-15T09:30:12.1234567Z",
            "datecreated": "2020-03-01T00:00:00", "lastreview": "1900-01-01T00:00:00",
            "customfields": [{"id": 5, "name": "CFTier", "value": "Gold", "display": "Gold"}],
            "colour": "#ff0000"
        }),
        &["/id", "/toplevel_id"],
    );
    assert_eq!(client.name.as_deref(), Some("Acme Ltd"));

    round_trip::<Site>(
        json!({
            "id": "12", "name": "Head Office", "client_id": 3.0, "client_name": "Acme Ltd",
            "inactive": false, "sla_id": null, "timezone": "GMT Standard Time", "maincontact_id": 41,
            "delivery_address": {"line1": "1 High St", "postcode": null},
            "last_update": "2026-01-15T09:30:12", "created": "1900-01-01T00:00:00",
            "customfields": []
        }),
        &["/id", "/client_id"],
    );

    let user: User = round_trip(
        json!({
            "id": "12", "name": "Jo Bloggs", "firstname": "Jo", "surname": "Bloggs",
            "emailaddress": "jo@acme.example", "phonenumber": null, "login": "jo",
            "site_id": 3.0, "site_id_int": 3, "site_name": "Head Office", "client_id": 1,
            "client_name": "Acme Ltd", "inactive": false, "isserviceaccount": false,
            "azureoid": "5f1c0c1e-6f7a-4c0e-9b1a-1b2c3d4e5f60", "linked_agent_id": null,
            "aaduserid": "x", "networklogin": "ACME\\jo",
            "lastlogindate": "2026-01-15T09:30:12.1234567Z", "passwordexpiry": "1900-01-01T00:00:00",
            "created": "2025-12-01T08:00:00",
            "customfields": [{"id": "9", "name": "CFRole", "value": {"id": 2, "name": "Manager"}}]
        }),
        &["/id", "/site_id", "/customfields/0/id"],
    );
    assert_eq!(user.site_id, Some(Id(3)));
}

#[test]
fn agents_and_teams_round_trip() {
    round_trip::<Agent>(
        json!({
            "id": "12", "name": "Sam Agent", "firstname": "Sam", "surname": "Agent",
            "email": "sam@msp.example", "isdisabled": false, "is_agent": true, "isapiagent": false,
            "team": "1st Line", "team_id": 3.0, "teams": [{"id": 3, "name": "1st Line"}],
            "departments": [], "roles": [{"id": 1, "name": "Admin", "permissions": null}],
            "onlinestatus": 1, "signature": null, "lastlogin": "2026-01-15T09:30:12.1234567Z",
            "holidaystart": "1900-01-01T00:00:00", "created": "2024-05-01T12:00:00"
        }),
        &["/id", "/team_id"],
    );
    round_trip::<Team>(
        json!({
            "id": "12", "name": "1st Line", "department_id": 3.0, "inactive": false,
            "department_name": null, "members": [{"agent_id": 5}],
            "created": "2024-05-01T12:00:00", "updated": "2026-01-15T09:30:12.1234567Z",
            "archived": "1900-01-01T00:00:00"
        }),
        &["/id", "/department_id"],
    );
}

#[test]
fn assets_round_trip() {
    round_trip::<Asset>(
        json!({
            "id": "12", "inventory_number": "AST000012", "key_field": "HOST-00012",
            "client_id": 3.0, "client_name": "Acme Ltd", "site_id": 7, "site_name": "Head Office",
            "username": "Jo Bloggs", "users": [{"id": 41, "name": "Jo Bloggs"}],
            "assettype_id": 2, "assettype_name": "Laptop", "status_id": 1, "inactive": false,
            "contract_id": null, "supplier_id": 1, "warranty_end": "1900-01-01T00:00:00",
            "third_party_id": "rmm-8812", "datecreated": "2026-01-15T09:30:12.1234567Z",
            "last_seen": "2026-01-15T09:30:12",
            "fields": [{"id": 1, "name": "Serial", "value": "SN123"}, {"id": 2, "value": null}],
            "customfields": []
        }),
        &["/id", "/client_id"],
    );
}

#[test]
fn finance_round_trips() {
    let invoice: Invoice = round_trip(
        json!({
            "id": "12", "invoicenumber": "INV-000012", "thirdpartyinvoicenumber": null,
            "client_id": 3.0, "client_name": "Acme Ltd", "ticket_id": 0, "contract_id": null,
            "invoice_date": "2026-01-15T09:30:12.1234567Z", "duedate": "2026-02-14T00:00:00",
            "dateposted": "1900-01-01T00:00:00", "posted": true, "paymentstatus": 0,
            "total": 120, "amountdue": 120.0, "currency": "GBP",
            "lines": [
                {"id": "1", "item_id": 3.0, "qty_order": 1, "unit_price": 100.0,
                 "description": "Managed services", "net_amount": 100, "tax_code": null},
                {"id": 2, "qty_order": 0.5, "unit_price": 40, "description": "Call-out"}
            ],
            "accounts_sync": {"status": "pending", "error": null}
        }),
        &["/id", "/client_id", "/lines/0/id", "/lines/0/item_id"],
    );
    assert_eq!(invoice.lines.as_ref().unwrap().len(), 2);
    assert_eq!(invoice.total.unwrap().as_i64(), Some(120));

    round_trip::<Contract>(
        json!({
            "id": "12", "client_id": 3.0, "client_name": "Acme Ltd", "ref": "CON-0012",
            "start_date": "2026-01-15T09:30:12.1234567Z", "end_date": "2027-01-15T00:00:00",
            "renewal_date": "1900-01-01T00:00:00", "inactive": false, "billingtemplate_id": null,
            "periods": [{"from": "2026-01-01", "hours": 10.0}]
        }),
        &["/id", "/client_id"],
    );
    round_trip::<Item>(
        json!({
            "id": "12", "name": "Laptop 14\"", "description": null, "costprice": 10.0,
            "baseprice": 15, "supplier_id": 3.0, "inactive": false,
            "stock": {"quantity": 4.0, "location": null},
            "created": "2026-01-15T09:30:12.1234567Z", "discontinued": "1900-01-01T00:00:00",
            "updated": "2026-01-15T09:30:12"
        }),
        &["/id", "/supplier_id"],
    );
    round_trip::<Quote>(
        json!({
            "id": "12", "client_id": 3.0, "client_name": "Acme Ltd", "ticket_id": null,
            "title": "Quote 12", "quote_status": 1, "total": 512.5,
            "date": "2026-01-15T09:30:12.1234567Z", "expirydate": "1900-01-01T00:00:00",
            "sent": "2026-01-15T09:30:12", "lines": [{"id": 1, "price": 3.0}]
        }),
        &["/id", "/client_id"],
    );
    round_trip::<Supplier>(
        json!({
            "id": "12", "name": "Dell", "inactive": false, "emailaddress": null,
            "phonenumber": "+44 20 7946 0000", "website": "https://dell.example",
            "account_manager": {"id": 3.0, "name": "Pat"}, "created": "2026-01-15T09:30:12",
            "lastorder": "2026-01-15T09:30:12.1234567Z", "reviewed": "1900-01-01T00:00:00"
        }),
        &["/id"],
    );
}

#[test]
fn setup_round_trips() {
    round_trip::<TicketType>(
        json!({
            "id": "12", "name": "Incident", "use": "reqs", "inactive": false, "sla_id": 3.0,
            "defaults": {"priority_id": 3, "team": null}, "created": "2026-01-15T09:30:12",
            "updated": "2026-01-15T09:30:12.1234567Z", "retired": "1900-01-01T00:00:00"
        }),
        &["/id"],
    );
    round_trip::<Status>(
        json!({
            "id": "12", "name": "Closed", "shortname": "CLO", "type": 1, "colour": null,
            "sequence": 3.0, "created": "2026-01-15T09:30:12",
            "updated": "2026-01-15T09:30:12.1234567Z", "retired": "1900-01-01T00:00:00"
        }),
        &["/id"],
    );
    let priority: Priority = round_trip(
        json!({
            "id": "0f6c2d1e-5b7a-4c1e-9d2a-3e4f5a6b7c8d", "priorityid": "12", "name": "High",
            "slaid": 3.0, "responsetime": 4, "fixtime": 24.0, "colour": null,
            "workday": {"id": 1, "name": "Mon-Fri 9-5"}, "created": "2026-01-15T09:30:12",
            "updated": "2026-01-15T09:30:12.1234567Z", "retired": "1900-01-01T00:00:00"
        }),
        &["/priorityid", "/slaid"],
    );
    assert_eq!(
        Model::id(&priority).as_deref(),
        Some("0f6c2d1e-5b7a-4c1e-9d2a-3e4f5a6b7c8d")
    );
    assert_eq!(priority.priorityid, Some(Id(12)));
}

#[test]
fn calendar_round_trips() {
    round_trip::<Appointment>(
        json!({
            "id": "12", "subject": "Site visit", "client_id": 3.0, "agent_id": 2,
            "ticket_id": null, "start_date": "2026-01-15T09:30:12.1234567Z",
            "end_date": "2026-01-15T11:30:12", "note": "Bring a ladder",
            "reminder": "1900-01-01T00:00:00", "attendees": [{"email": "jo@acme.example"}]
        }),
        &["/id", "/client_id"],
    );
    let sheet: Timesheet = round_trip(
        json!({
            "id": "12", "agent_id": 3.0, "date": "2026-01-15T00:00:00", "actual_hours": 7.5,
            "target_hours": 8, "start_time": "2026-01-15T09:30:12.1234567Z",
            "end_time": null, "approved": "1900-01-01T00:00:00",
            "events": [{"id": 1, "event_type": 0, "timetaken": 3.0}]
        }),
        &["/id", "/agent_id"],
    );
    assert_eq!(sheet.actual_hours.unwrap().as_f64(), Some(7.5));
}

#[test]
fn kb_and_reports_round_trip() {
    round_trip::<KbArticle>(
        json!({
            "id": "12", "name": "How to fix: printer offline", "description": "<p>Steps</p>",
            "resolution": null, "type": 0, "inactive": false, "faqlist_id": 3.0,
            "tags": [{"id": 1, "text": "printer"}], "date_created": "2026-01-15T09:30:12",
            "date_edited": "2026-01-15T09:30:12.1234567Z", "review_date": "1900-01-01T00:00:00"
        }),
        &["/id"],
    );
    round_trip::<Report>(
        json!({
            "id": "12", "name": "Open tickets", "sql": "SELECT faultid FROM faults",
            "description": null, "reportgroup_id": 3.0, "chart": {"type": 1, "title": null},
            "datecreated": "2026-01-15T09:30:12", "lastrun": "2026-01-15T09:30:12.1234567Z",
            "published": "1900-01-01T00:00:00"
        }),
        &["/id"],
    );
}

#[test]
fn report_rows_round_trip_and_expose_rows_and_errors() {
    let fixture = json!({
        "report": {
            "rows": [
                {"faultid": 12, "symptom": "Printer offline", "cleared": null, "hours": 3.0,
                 "occurred": "2026-01-15T09:30:12.1234567", "target": "1900-01-01T00:00:00"}
            ],
            "load_error": "",
            "loaded": true,
            "reportname": null
        },
        "available_columns": [{"id": "faultid", "name": "faultid", "type": 0}],
        "id": 0
    });
    let rows: ReportRows = serde_json::from_value(fixture.clone()).unwrap();
    assert_eq!(serde_json::to_value(&rows).unwrap(), fixture);
    assert_eq!(rows.rows().len(), 1);
    assert_eq!(rows.rows()[0]["hours"], json!(3.0));
    assert_eq!(rows.load_error(), None);

    let failed: ReportRows = serde_json::from_value(json!({
        "report": {"rows": [], "load_error": "Invalid column name 'x'.", "loaded": false}
    }))
    .unwrap();
    assert!(failed.rows().is_empty());
    assert_eq!(failed.load_error(), Some("Invalid column name 'x'."));
    assert!(ReportRows::default().rows().is_empty());
}

#[test]
fn attachments_and_fields_round_trip() {
    round_trip::<Attachment>(
        json!({
            "id": "12", "ticket_id": 3.0, "action_id": null, "filename": "screenshot.png",
            "filesize": 1024, "note": "", "datecreated": "2026-01-15T09:30:12.1234567Z",
            "showforusers": true, "type": 0, "link": {"url": "https://x.example/a", "expiry": null},
            "uploaded": "2026-01-15T09:30:12", "scanned": "1900-01-01T00:00:00"
        }),
        &["/id", "/ticket_id"],
    );
    round_trip::<FieldInfo>(
        json!({
            "id": "12", "name": "CFAssetTag", "label": "Asset tag", "type": 0, "inputtype": 0,
            "characterlimit": 50, "usage": [{"id": 3.0, "entity": 1}], "summary": null,
            "created": "2026-01-15T09:30:12", "updated": "2026-01-15T09:30:12.1234567Z",
            "retired": "1900-01-01T00:00:00"
        }),
        &["/id"],
    );
}

fn payload_fixture() -> Value {
    json!({
        "id": "0f6c2d1e-5b7a-4c1e-9d2a-3e4f5a6b7c8d",
        "webhook_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
        "notification_id": 12,
        "escmsg_id": "c7d8e9f0-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
        "event": "ticket status changed",
        "message": "The status has been changed for Ticket ID: 0001234.",
        "object_id": "1234",
        "agent_id": 5.0,
        "timestamp": "2026-01-15T09:30:12.1234567Z",
        "ticket": {"id": 1234, "summary": "Printer offline", "status_id": 9, "client_id": 12,
                   "team_id": 2, "agent_id": 5, "hasbeenclosed": true, "customfields": [],
                   "dateclosed": "2026-01-15T09:30:12", "targetdate": "1900-01-01T00:00:00",
                   "reportedby": null},
        "action": null
    })
}

#[test]
fn webhooks_round_trip() {
    let webhook: Webhook = round_trip(
        json!({
            "id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", "name": "Status changes",
            "url": "https://hooks.example/halo/s3cret", "method": 0, "content_type": "application/json",
            "authentication_type": 1, "basic_username": "halo", "basic_password": null,
            "payload_type": 1, "custom_payload": null,
            "events": [{"id": "12", "event_id": 3.0, "conditions": []}], "active": true,
            "created": "2026-01-15T09:30:12", "updated": "2026-01-15T09:30:12.1234567Z",
            "paused": "1900-01-01T00:00:00"
        }),
        &[],
    );
    assert_eq!(
        Model::id(&webhook).as_deref(),
        Some("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d")
    );
    round_trip::<WebhookEvent>(
        json!({
            "id": "c7d8e9f0-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
            "webhook_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
            "timestamp": "2026-01-15T09:30:12.1234567Z", "status": "Success", "duration": 3.0,
            "requestheaders": {"Content-Type": "application/json"}, "requestbody": "{}",
            "responsestatus": 200, "responseheaders": null, "responsebody": "", "error": null,
            "entity_id": "12", "retried": "1900-01-01T00:00:00", "queued": "2026-01-15T09:30:12"
        }),
        &["/entity_id"],
    );
}

#[test]
fn webhook_payload_round_trips() {
    let fixture = payload_fixture();
    let payload: WebhookPayload = serde_json::from_value(fixture.clone()).unwrap();
    let mut want = fixture;
    want["object_id"] = json!(1234);
    want["agent_id"] = json!(5);
    assert_eq!(serde_json::to_value(&payload).unwrap(), want);
    assert_eq!(payload.object_id, Some(Id(1234)));
    let ticket = payload.ticket.unwrap();
    assert_eq!(ticket.hasbeenclosed, Some(true));
    assert_eq!(ticket.team_id, Some(Id(2)));
    assert_eq!(ticket.extra["reportedby"], Value::Null);
    assert!(payload.action.is_none());
}

#[test]
fn parse_webhook_body_takes_one_or_many() {
    let one = serde_json::to_vec(&payload_fixture()).unwrap();
    let parsed = parse_webhook_body(&one).unwrap();
    assert_eq!(parsed.len(), 1);
    assert_eq!(parsed[0].event.as_deref(), Some("ticket status changed"));

    let batch = format!(
        " \n[{}, {{\"id\": \"b\", \"event\": \"new ticket logged\", \"object_id\": 7, \"webhook_id\": \"w\"}}]",
        payload_fixture()
    );
    let parsed = parse_webhook_body(batch.as_bytes()).unwrap();
    assert_eq!(parsed.len(), 2);
    assert_eq!(parsed[1].object_id, Some(Id(7)));
    assert!(parsed[1].ticket.is_none());

    assert!(parse_webhook_body(b"[]").unwrap().is_empty());
    assert!(parse_webhook_body(b"").is_err());
    assert!(parse_webhook_body(b"\"text\"").is_err());
}

#[test]
fn every_model_path_is_in_the_resource_table() {
    fn check<T: Model>() {
        assert!(
            resource::find(T::PATH).is_some_and(|r| r.path == T::PATH),
            "{}",
            T::PATH
        );
    }
    check::<Ticket>();
    check::<Opportunity>();
    check::<Project>();
    check::<Action>();
    check::<Client>();
    check::<Site>();
    check::<User>();
    check::<Agent>();
    check::<Team>();
    check::<Asset>();
    check::<Invoice>();
    check::<Contract>();
    check::<Item>();
    check::<Quote>();
    check::<Supplier>();
    check::<TicketType>();
    check::<Status>();
    check::<Priority>();
    check::<Appointment>();
    check::<Timesheet>();
    check::<KbArticle>();
    check::<Report>();
    check::<Webhook>();
    check::<WebhookEvent>();
    check::<Attachment>();
    check::<FieldInfo>();
}

#[test]
fn the_resource_table_names_each_model() {
    fn named<T: Model>(name: &str) {
        let row = resource::find(T::PATH).unwrap();
        assert_eq!(row.model, Some(name), "{}", T::PATH);
    }
    named::<Ticket>("Ticket");
    named::<Action>("Action");
    named::<Client>("Client");
    named::<Site>("Site");
    named::<User>("User");
    named::<Agent>("Agent");
    named::<Team>("Team");
    named::<Asset>("Asset");
    named::<Invoice>("Invoice");
    named::<Contract>("Contract");
    named::<Item>("Item");
    named::<Quote>("Quote");
    named::<Supplier>("Supplier");
    named::<TicketType>("TicketType");
    named::<Status>("Status");
    named::<Priority>("Priority");
    named::<Appointment>("Appointment");
    named::<Timesheet>("Timesheet");
    named::<KbArticle>("KbArticle");
    named::<Report>("Report");
    named::<Webhook>("Webhook");
    named::<WebhookEvent>("WebhookEvent");
    named::<Attachment>("Attachment");
    named::<FieldInfo>("FieldInfo");
    // Opportunities and projects share the ticket schema.
    for path in ["Opportunities", "Projects"] {
        assert_eq!(resource::find(path).unwrap().model, Some("Ticket"));
    }
    let named_count = resource::RESOURCES
        .iter()
        .filter(|r| r.model.is_some())
        .count();
    assert_eq!(named_count, 26, "every model name above, and no other");
}
