//! Files on tickets: the rows with [`Resource::file_download`] (`/Attachment`). A POST carries
//! each file as `data_base64` (plain base64 or a `data:<mime>;base64,` URI) and stores its
//! bytes beside the metadata document, never inside it; `GET /{path}/{id}` answers the bytes
//! ([`download`]), the list and `includedetails=true` answer the metadata as any resource.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT;
use halopsa::id::id_from_value;
use halopsa::resource::Resource;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::domain::clock;
use crate::domain::outcome::{Answer, Done, Fault, Page, Refusal};
use crate::domain::query::Params;
use crate::domain::reads;
use crate::domain::reads::is_deleted;
use crate::domain::store::{IdFirst, Key, Store, doc_text};

/// Where tickets and their actions are stored.
const TICKETS: &str = "Tickets";
const ACTIONS: &str = "Actions";

/// Room in a POST body beyond the base64 text of one largest file (the other fields, JSON).
const BODY_SLACK: usize = 1024 * 1024;

/// The type Halo gives a file it holds itself (undocumented; links and S3 files differ).
const FILE_TYPE: i64 = 0;

/// A stored file, ready to send.
#[derive(Debug)]
pub struct File {
    /// The file name as stored (untrusted: it may hold `..`, slashes, control characters).
    pub name: String,
    /// The MIME type.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// The largest POST body to a file resource: one file of `max_bytes` as base64, plus room for
/// the JSON around it.
pub fn body_limit(max_bytes: usize) -> usize {
    max_bytes
        .div_ceil(3)
        .saturating_mul(4)
        .saturating_add(BODY_SLACK)
}

/// The refusal of a body or file over `max_bytes` (413, one line naming the limit).
pub fn too_large(max_bytes: usize) -> Refusal {
    Refusal::TooLarge(format!(
        "The attachment is larger than the limit of {} ({max_bytes} bytes).",
        mebibytes(max_bytes)
    ))
}

fn mebibytes(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    }
}

/// The MIME type of a file named `filename`, by its extension (any case).
pub fn content_type(filename: &str) -> Option<&'static str> {
    let (_, ext) = filename.rsplit_once('.')?;
    Some(match ext.to_ascii_lowercase().as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "json" => "application/json",
        "xml" => "application/xml",
        "zip" => "application/zip",
        "html" | "htm" => "text/html",
        "sh" => "application/x-sh",
        "eml" => "message/rfc822",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => return None,
    })
}

/// The base64 text of one posted file, borrowed from the body when it has no JSON escapes.
#[derive(Deserialize)]
struct Base64<'a>(#[serde(borrow)] Cow<'a, str>);

/// One posted element: only the fields an attachment keeps (the base64 text is not copied
/// into a document).
#[derive(Deserialize)]
struct Upload<'a> {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    ticket_id: Option<Value>,
    #[serde(default)]
    action_id: Option<Value>,
    #[serde(default)]
    filename: Option<String>,
    #[serde(default, borrow)]
    data_base64: Option<Base64<'a>>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    showforusers: Option<Value>,
    #[serde(default)]
    isimage: Option<Value>,
}

/// One validated element: its key, metadata and (for a new file) its bytes.
struct Prepared {
    key: Key,
    doc: Map<String, Value>,
    bytes: Option<Vec<u8>>,
}

/// `POST /{path}` of a file resource: `body` is a JSON array of uploads, each file at most
/// `max_bytes` once decoded. Every element is checked before any is saved; the answer is the
/// saved metadata (one object for one element, else an array), without `data_base64`.
pub fn post(store: &Store, res: &Resource, body: Vec<u8>, max_bytes: usize) -> Answer {
    let uploads: Vec<Upload> = serde_json::from_slice(&body).map_err(|e| {
        Refusal::Invalid(format!(
            "The request body must be a JSON array of attachments: {e}"
        ))
    })?;
    if uploads.is_empty() {
        return Err(Refusal::Invalid(
            "The request body is an empty array.".into(),
        ));
    }
    let several = uploads.len() > 1;
    let mut next_id = store.next_id(res.path, 0)?;
    let mut prepared = Vec::with_capacity(uploads.len());
    let mut faults = Vec::new();
    for (i, upload) in uploads.into_iter().enumerate() {
        match prepare(store, res, upload, max_bytes, &mut next_id) {
            Ok(p) => prepared.push(p),
            Err(Unfit::Fault(f)) => faults.push((i, f)),
            Err(Unfit::Request(r)) => return Err(r),
        }
    }
    // The base64 text is no longer needed: free it before SQLite copies the bytes.
    drop(body);
    if let Some((_, first)) = faults.first() {
        // As every POST (reference §9): one element's refusal is a message, several
        // elements' are model state keyed by position.
        return Err(if several {
            Refusal::Elements(faults)
        } else {
            Refusal::Invalid(first.message.clone())
        });
    }
    let mut ids = Vec::with_capacity(prepared.len());
    let mut saved = Vec::with_capacity(prepared.len());
    for p in prepared {
        ids.push(p.key.id.to_string());
        match &p.bytes {
            Some(bytes) => store.put_with_file(res.path, p.key, p.doc.clone(), bytes)?,
            None => store.put(res.path, p.key, p.doc.clone())?,
        }
        saved.push(p.doc);
    }
    let text = match saved.as_slice() {
        [one] => doc_text(one),
        all => {
            let docs: Vec<IdFirst> = all.iter().map(IdFirst).collect();
            serde_json::to_string(&docs).unwrap_or_else(|_| "[]".into())
        }
    };
    Ok(Done::Written { text, ids })
}

/// Why an element cannot be saved: a fault of its own, or a refusal of the whole request.
enum Unfit {
    Fault(Fault),
    Request(Refusal),
}

impl From<rusqlite::Error> for Unfit {
    fn from(e: rusqlite::Error) -> Self {
        Unfit::Request(Refusal::Store(e))
    }
}

fn fault(field: &'static str, message: impl Into<String>) -> Unfit {
    Unfit::Fault(Fault {
        field: Some(field),
        message: message.into(),
    })
}

/// Checks one element and decodes its file. An element with an existing `id` updates that
/// attachment's metadata (and its bytes, when it carries `data_base64`).
fn prepare(
    store: &Store,
    res: &Resource,
    upload: Upload,
    max_bytes: usize,
    next_id: &mut i64,
) -> Result<Prepared, Unfit> {
    let id = upload.id.as_ref().and_then(id_from_value).unwrap_or(0);
    let existing = if id > 0 {
        match store.get(res.path, 0, id)? {
            Some(doc) => Some(doc),
            None => {
                return Err(fault(
                    "id",
                    format!("Unable to find {} with id {id} to update.", res.path),
                ));
            }
        }
    } else {
        None
    };
    let mut doc = existing.clone().unwrap_or_default();
    let ticket_id = match upload.ticket_id.as_ref().and_then(id_from_value) {
        Some(t) if t > 0 => t,
        _ => match doc.get("ticket_id").and_then(id_from_value) {
            Some(t) => t,
            None => {
                return Err(fault(
                    "ticket_id",
                    "A ticket_id must be supplied for an Attachment.",
                ));
            }
        },
    };
    if store
        .get(TICKETS, 0, ticket_id)?
        .is_none_or(|t| is_deleted(&t))
    {
        return Err(fault(
            "ticket_id",
            format!("The ticket_id {ticket_id} does not exist."),
        ));
    }
    let action_id = match upload.action_id.as_ref().and_then(id_from_value) {
        Some(a) => a.max(0),
        None => doc.get("action_id").and_then(id_from_value).unwrap_or(0),
    };
    if action_id > 0 && store.get(ACTIONS, ticket_id, action_id)?.is_none() {
        return Err(fault(
            "action_id",
            format!("The action_id {action_id} does not exist on ticket {ticket_id}."),
        ));
    }
    let filename = match upload.filename.filter(|f| !f.trim().is_empty()) {
        Some(f) => f,
        None => match doc.get("filename").and_then(Value::as_str) {
            Some(f) => f.to_string(),
            None => {
                return Err(fault(
                    "filename",
                    "A filename must be supplied for an Attachment.",
                ));
            }
        },
    };
    let (bytes, uri_type) = match upload.data_base64 {
        Some(Base64(text)) => {
            let (bytes, uri_type) = decode(&text, max_bytes)?;
            (Some(bytes), uri_type)
        }
        None if existing.is_some() => (None, None),
        None => {
            return Err(fault(
                "data_base64",
                "The file's content must be supplied as data_base64.",
            ));
        }
    };
    let content_type = content_type(&filename)
        .map(str::to_string)
        .or(uri_type)
        .or_else(|| {
            doc.get("content_type")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| "application/octet-stream".to_string());
    let isimage = flag(upload.isimage.as_ref()).unwrap_or(content_type.starts_with("image/"));
    let key_id = if existing.is_some() {
        id
    } else {
        let n = *next_id;
        *next_id += 1;
        n
    };
    if let Some(bytes) = &bytes {
        doc.insert("filesize".into(), Value::from(bytes.len()));
    }
    if existing.is_none() {
        doc.insert("datecreated".into(), Value::String(clock::now_iso()));
        doc.insert("type".into(), Value::from(FILE_TYPE));
    }
    let note = upload
        .note
        .or_else(|| doc.get("note").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default();
    let showforusers = flag(upload.showforusers.as_ref())
        .or_else(|| doc.get("showforusers").and_then(Value::as_bool))
        .unwrap_or(false);
    for (field, value) in [
        ("id", Value::from(key_id)),
        ("ticket_id", Value::from(ticket_id)),
        ("action_id", Value::from(action_id)),
        ("filename", Value::String(filename)),
        ("content_type", Value::String(content_type)),
        ("isimage", Value::Bool(isimage)),
        ("note", Value::String(note)),
        ("showforusers", Value::Bool(showforusers)),
    ] {
        doc.insert(field.into(), value);
    }
    Ok(Prepared {
        key: Key {
            parent: 0,
            id: key_id,
            uid: None,
        },
        doc,
        bytes,
    })
}

/// A posted boolean: `true`/`false`, or their text in any case.
fn flag(value: Option<&Value>) -> Option<bool> {
    match value? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// The bytes of `data_base64` (plain base64 or a data URI, whose MIME type is returned too),
/// refused before decoding when they would exceed `max_bytes`.
fn decode(text: &str, max_bytes: usize) -> Result<(Vec<u8>, Option<String>), Unfit> {
    let (text, uri_type) = match text.strip_prefix("data:") {
        Some(uri) => {
            let Some((head, data)) = uri.split_once(',') else {
                return Err(fault(
                    "data_base64",
                    "data_base64 is a data URI without a comma before its data.",
                ));
            };
            let Some(mime) = head.strip_suffix(";base64") else {
                return Err(fault(
                    "data_base64",
                    "data_base64 is a data URI that is not ';base64'.",
                ));
            };
            (
                data,
                Some(mime).filter(|m| !m.is_empty()).map(str::to_string),
            )
        }
        None => (text, None),
    };
    // .NET's Convert.FromBase64String, behind Halo, skips white space (line-wrapped base64).
    let text: Cow<str> = if text.bytes().any(|b| b.is_ascii_whitespace()) {
        Cow::Owned(text.chars().filter(|c| !c.is_ascii_whitespace()).collect())
    } else {
        Cow::Borrowed(text)
    };
    if decoded_len(&text) > max_bytes {
        return Err(Unfit::Request(too_large(max_bytes)));
    }
    let bytes = STANDARD_PAD_INDIFFERENT
        .decode(text.as_bytes())
        .map_err(|e| {
            fault(
                "data_base64",
                format!("data_base64 is not valid base64: {e}."),
            )
        })?;
    Ok((bytes, uri_type))
}

/// How many bytes base64 `text` (without white space) decodes to, at most.
fn decoded_len(text: &str) -> usize {
    let symbols = text.trim_end_matches('=').len();
    symbols / 4 * 3 + (symbols % 4).saturating_sub(1)
}

/// `GET /{path}` of a file resource: the generic list, narrowed to one action by
/// `action_id` (which the store does not index) when it is given and not 0.
pub fn list(store: &Store, res: &Resource, p: &Params, page_cap: u32) -> Answer {
    let action = p.int("action_id")?.filter(|a| *a != 0);
    let answer = reads::list(store, res, p, page_cap)?;
    let (Some(action), Done::Listed(page)) = (action, &answer) else {
        return Ok(answer);
    };
    let rows: Vec<String> = page
        .rows
        .iter()
        .filter(|text| {
            serde_json::from_str::<Map<String, Value>>(text)
                .ok()
                .and_then(|d| d.get("action_id").and_then(id_from_value))
                == Some(action)
        })
        .cloned()
        .collect();
    Ok(Done::Listed(Page {
        paging: page.paging,
        total: rows.len() as u64,
        rows,
    }))
}

/// `GET /{path}/{id}` of a file resource (without `includedetails=true`): the file.
pub fn download(store: &Store, res: &Resource, id: &str) -> Result<File, Refusal> {
    let missing = || Refusal::Missing {
        path: res.path,
        id: id.to_string(),
    };
    let n = id.parse::<i64>().map_err(|_| missing())?;
    let doc = store.get(res.path, 0, n)?.ok_or_else(missing)?;
    let bytes = store.file(res.path, n)?.ok_or_else(missing)?;
    let text = |k: &str| doc.get(k).and_then(Value::as_str).map(str::to_string);
    Ok(File {
        name: text("filename").unwrap_or_else(|| format!("attachment-{n}")),
        content_type: text("content_type")
            .unwrap_or_else(|| "application/octet-stream".to_string()),
        bytes,
    })
}

/// A 2×2 RGB PNG (blue and white squares), valid to any image reader.
const NETWORK_DIAGRAM_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0xfd, 0xd4, 0x9a,
    0x73, 0x00, 0x00, 0x00, 0x14, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x60, 0x48, 0x3b, 0xf3,
    0xff, 0xff, 0x7f, 0x06, 0x10, 0x4e, 0x3b, 0x03, 0x00, 0x39, 0x08, 0x08, 0x5f, 0x0b, 0xac, 0x1b,
    0xbf, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// The seeded files: (id, ticket, file name, note, bytes). The third has a hostile name on
/// purpose, for clients to prove they never use a server's file name as a path.
const SEEDED: &[(i64, i64, &str, &str, &[u8])] = &[
    (
        1,
        1,
        "network-diagram.png",
        "Office network layout",
        NETWORK_DIAGRAM_PNG,
    ),
    (
        2,
        1,
        "notes.txt",
        "Engineer's notes",
        b"Switch in comms room restarted at 09:40.\nPrinter queue cleared; test page printed.\n",
    ),
    (
        3,
        2,
        "../../evil.sh",
        "Script sent by the user",
        b"#!/bin/sh\n# A harmless script with a hostile file name: saving it must not escape the target directory.\necho \"hello from a ticket attachment\"\n",
    ),
];

/// Seeds the files of [`SEEDED`] into `path` (on the tickets that exist), each dated when
/// its ticket was opened; the number of objects written.
pub fn seed(store: &Store, path: &str) -> rusqlite::Result<u64> {
    let mut written = 0;
    for (id, ticket_id, filename, note, bytes) in SEEDED {
        let Some(ticket) = store.get(TICKETS, 0, *ticket_id)? else {
            continue;
        };
        let content_type = content_type(filename).unwrap_or("application/octet-stream");
        let doc = json!({
            "id": id, "ticket_id": ticket_id, "action_id": 0, "filename": filename,
            "filesize": bytes.len(), "content_type": content_type,
            "isimage": content_type.starts_with("image/"), "note": note, "showforusers": false,
            "datecreated": ticket.get("dateoccurred").cloned().unwrap_or(Value::Null),
            "type": FILE_TYPE,
        });
        let Value::Object(doc) = doc else {
            continue;
        };
        let key = Key {
            parent: 0,
            id: *id,
            uid: None,
        };
        store.put_with_file(path, key, doc, bytes)?;
        written += 1;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use halopsa::resource::{RESOURCES, find};

    fn files() -> &'static Resource {
        RESOURCES.iter().find(|r| r.file_download).unwrap()
    }

    /// A store with tickets 1 and 2 (ticket 1 with action 1) and the seeded files.
    fn store() -> Store {
        let store = Store::open(None).unwrap();
        for t in [1, 2] {
            let key = Key {
                parent: 0,
                id: t,
                uid: None,
            };
            let doc = json!({"id": t, "summary": "t", "dateoccurred": "2025-01-02T10:00:00Z"});
            store
                .put(TICKETS, key, doc.as_object().unwrap().clone())
                .unwrap();
        }
        let action = Key {
            parent: 1,
            id: 1,
            uid: None,
        };
        store
            .put(
                ACTIONS,
                action,
                json!({"id": 1, "ticket_id": 1})
                    .as_object()
                    .unwrap()
                    .clone(),
            )
            .unwrap();
        assert_eq!(seed(&store, files().path).unwrap(), 3);
        store
    }

    fn post_json(store: &Store, body: Value, max: usize) -> Answer {
        post(store, files(), serde_json::to_vec(&body).unwrap(), max)
    }

    fn written(answer: Answer) -> Value {
        match answer {
            Ok(Done::Written { text, .. }) => serde_json::from_str(&text).unwrap(),
            other => panic!("not written: {other:?}"),
        }
    }

    #[test]
    fn base64_text_is_borrowed_from_the_body() {
        let body = br#"[{"ticket_id":1,"filename":"a","data_base64":"aGk="}]"#;
        let uploads: Vec<Upload> = serde_json::from_slice(body).unwrap();
        assert!(matches!(
            uploads[0].data_base64,
            Some(Base64(Cow::Borrowed("aGk=")))
        ));
    }

    #[test]
    fn the_row_is_the_attachments_one() {
        assert_eq!(files().path, find("attachments").unwrap().path);
    }

    #[test]
    fn an_upload_stores_bytes_apart_from_its_metadata() {
        let store = store();
        let data: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        let saved = written(post_json(
            &store,
            json!([{"ticket_id": 2, "filename": "Report.PDF", "note": "signed",
                    "data_base64": STANDARD_PAD_INDIFFERENT.encode(&data)}]),
            1 << 20,
        ));
        assert_eq!(saved["id"], 4, "after the three seeded");
        assert_eq!(saved["filesize"], 5000);
        assert_eq!(saved["content_type"], "application/pdf");
        assert_eq!(saved["action_id"], 0);
        assert_eq!(saved["isimage"], false);
        assert_eq!(saved["type"], FILE_TYPE);
        assert!(saved.get("data_base64").is_none(), "{saved}");
        assert!(saved["datecreated"].as_str().unwrap().ends_with('Z'));
        let file = download(&store, files(), "4").unwrap();
        assert_eq!(file.bytes, data);
        assert_eq!(file.name, "Report.PDF");
        let doc = store.get(files().path, 0, 4).unwrap().unwrap();
        assert!(doc_text(&doc).len() < 400, "bytes kept out of the document");
    }

    #[test]
    fn data_uris_white_space_and_several_elements() {
        let store = store();
        let saved = written(post_json(
            &store,
            json!([
                {"ticket_id": 1, "action_id": 1, "filename": "blob", "data_base64": "data:image/gif;base64,R0lG\nODlh"},
                {"ticket_id": "2", "filename": "a.txt", "data_base64": "aGk", "showforusers": "True"},
            ]),
            1 << 20,
        ));
        assert_eq!(saved[0]["content_type"], "image/gif", "from the data URI");
        assert_eq!(saved[0]["isimage"], true);
        assert_eq!(saved[0]["action_id"], 1);
        assert_eq!(saved[1]["id"], 5);
        assert_eq!(saved[1]["showforusers"], true);
        assert_eq!(download(&store, files(), "4").unwrap().bytes, b"GIF89a");
        assert_eq!(download(&store, files(), "5").unwrap().bytes, b"hi");
    }

    #[test]
    fn refusals_name_the_field_and_save_nothing() {
        let store = store();
        let refused = |body: Value| match post_json(&store, body, 1 << 20) {
            Err(Refusal::Invalid(m)) => m,
            other => panic!("not refused: {other:?}"),
        };
        let bad = refused(json!([{"ticket_id": 1, "filename": "a.bin", "data_base64": "!!!!"}]));
        assert!(bad.contains("not valid base64"), "{bad}");
        let ticket = refused(json!([{"ticket_id": 99, "filename": "a", "data_base64": "aGk="}]));
        assert_eq!(ticket, "The ticket_id 99 does not exist.");
        let action = refused(
            json!([{"ticket_id": 2, "action_id": 1, "filename": "a", "data_base64": "aGk="}]),
        );
        assert!(action.contains("action_id 1"), "{action}");
        assert!(refused(json!([{"ticket_id": 1, "data_base64": "aGk="}])).contains("filename"));
        assert!(refused(json!([{"ticket_id": 1, "filename": "a"}])).contains("data_base64"));
        assert!(refused(json!({"ticket_id": 1})).contains("JSON array"));
        match post_json(
            &store,
            json!([{"ticket_id": 1, "filename": "ok", "data_base64": "aGk="},
                   {"ticket_id": 1, "filename": "bad", "data_base64": "a"}]),
            1 << 20,
        ) {
            Err(Refusal::Elements(faults)) => {
                assert_eq!(faults.len(), 1);
                assert_eq!((faults[0].0, faults[0].1.field), (1, Some("data_base64")));
            }
            other => panic!("not refused by element: {other:?}"),
        }
        assert_eq!(store.next_id(files().path, 0).unwrap(), 4, "nothing saved");
    }

    #[test]
    fn a_file_over_the_limit_is_refused_before_decoding() {
        let store = store();
        let limit = 10;
        let at = STANDARD_PAD_INDIFFERENT.encode([7u8; 10]);
        let over = STANDARD_PAD_INDIFFERENT.encode([7u8; 11]);
        assert!(
            post_json(
                &store,
                json!([{"ticket_id": 1, "filename": "a", "data_base64": at}]),
                limit
            )
            .is_ok()
        );
        match post_json(
            &store,
            json!([{"ticket_id": 1, "filename": "b", "data_base64": over}]),
            limit,
        ) {
            Err(Refusal::TooLarge(m)) => assert!(m.contains("(10 bytes)"), "{m}"),
            other => panic!("not too large: {other:?}"),
        }
        assert_eq!(store.next_id(files().path, 0).unwrap(), 5);
        for n in 0..40usize {
            let text = STANDARD_PAD_INDIFFERENT.encode(vec![0u8; n]);
            assert_eq!(decoded_len(&text), n, "{text}");
            assert_eq!(decoded_len(text.trim_end_matches('=')), n);
        }
        for n in [1, 10, 1000, 3 * 1024 + 1] {
            let text = STANDARD_PAD_INDIFFERENT.encode(vec![0u8; n]);
            assert!(body_limit(n) >= text.len() + BODY_SLACK, "{n}");
        }
        let limit = 25 * 1024 * 1024;
        assert_eq!(
            match too_large(limit) {
                Refusal::TooLarge(m) => m,
                _ => String::new(),
            },
            "The attachment is larger than the limit of 25 MiB (26214400 bytes)."
        );
    }

    #[test]
    fn updates_keep_the_bytes_unless_new_ones_come() {
        let store = store();
        let saved = written(post_json(
            &store,
            json!([{"id": 2, "note": "edited"}]),
            1 << 20,
        ));
        assert_eq!(
            (saved["note"].as_str(), saved["ticket_id"].as_i64()),
            (Some("edited"), Some(1))
        );
        assert_eq!(saved["content_type"], "text/plain");
        assert!(
            download(&store, files(), "2")
                .unwrap()
                .bytes
                .starts_with(b"Switch")
        );
        assert!(matches!(
            post_json(&store, json!([{"id": 42, "note": "x"}]), 1 << 20),
            Err(Refusal::Invalid(m)) if m.contains("Unable to find")
        ));
    }

    #[test]
    fn lists_narrow_to_an_action_and_downloads_miss_cleanly() {
        let store = store();
        written(post_json(
            &store,
            json!([{"ticket_id": 1, "action_id": 1, "filename": "on-action.txt", "data_base64": "aGk="}]),
            1 << 20,
        ));
        let listed = |query: &str| match list(&store, files(), &Params::parse(Some(query)), 100) {
            Ok(Done::Listed(page)) => (page.total, page.rows.len()),
            other => panic!("not listed: {other:?}"),
        };
        assert_eq!(listed("ticket_id=1"), (3, 3));
        assert_eq!(listed("ticket_id=1&action_id=1"), (1, 1));
        assert_eq!(listed("ticket_id=1&action_id=0"), (3, 3));
        assert_eq!(listed("ticket_id=2"), (1, 1));
        for id in ["99", "x", "-1"] {
            assert!(matches!(
                download(&store, files(), id),
                Err(Refusal::Missing { .. })
            ));
        }
        assert!(
            store
                .delete(
                    files().path,
                    &Key {
                        parent: 0,
                        id: 1,
                        uid: None
                    }
                )
                .unwrap()
        );
        assert!(
            store.file(files().path, 1).unwrap().is_none(),
            "bytes deleted with the metadata"
        );
    }

    #[test]
    fn seeded_files_are_what_they_claim() {
        let store = store();
        let png = download(&store, files(), "1").unwrap();
        assert_eq!(png.content_type, "image/png");
        assert!(png.bytes.starts_with(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"));
        assert!(png.bytes.ends_with(b"IEND\xae\x42\x60\x82"));
        let evil = download(&store, files(), "3").unwrap();
        assert_eq!(evil.name, "../../evil.sh");
        assert_eq!(evil.content_type, "application/x-sh");
        let doc = store.get(files().path, 0, 3).unwrap().unwrap();
        assert_eq!(doc["datecreated"], "2025-01-02T10:00:00Z");
        assert_eq!(doc["filesize"], evil.bytes.len());
        assert_eq!(content_type("archive.tar.GZ"), None);
        assert_eq!(content_type("no-extension"), None);
        assert_eq!(content_type("photo.JPG"), Some("image/jpeg"));
    }
}
