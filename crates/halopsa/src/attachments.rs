//! Files on tickets and actions (`/Attachment`): list, download as a stream, upload as a
//! streamed body, delete; and the one place a name the server gives becomes a safe plain
//! file name ([`safe_file_name`]).

use crate::client::{ApiRequest, Client};
use crate::error::Error;
use crate::models::Attachment;
use crate::resource::Resource;
use crate::transfer::{BodyChunks, StreamedBody, StreamedResponse, header};
use base64::Engine;
use bytes::Bytes;
use reqwest::Method;
use serde_json::Value;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt};

/// The longest file name made, in bytes: under the 255 of common file systems, with room
/// for the `.partial` of a download in progress.
pub const MAX_NAME_BYTES: usize = 200;

/// File bytes read and encoded at a time: a multiple of 3, so that each chunk's base64 has
/// no padding and the chunks join into one base64 text.
const CHUNK: usize = 3 * 64 * 1024;

/// Opens the file to upload, once per attempt.
pub type ReaderMaker =
    Arc<dyn Fn() -> std::io::Result<Box<dyn AsyncRead + Send + Unpin>> + Send + Sync>;

/// One file to attach.
#[derive(Clone)]
pub struct Upload {
    /// The ticket.
    pub ticket_id: u64,
    /// The action, if the file belongs to one.
    pub action_id: Option<u64>,
    /// The name Halo shows.
    pub filename: String,
    /// A note.
    pub note: Option<String>,
    /// The file's exact length in bytes.
    pub length: u64,
    /// Opens the file's bytes.
    pub open: ReaderMaker,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("ticket_id", &self.ticket_id)
            .field("action_id", &self.action_id)
            .field("filename", &self.filename)
            .field("length", &self.length)
            .finish_non_exhaustive()
    }
}

/// A download under way: what the server said of the file, and its bytes as they come.
#[derive(Debug)]
pub struct Download {
    /// The attachment id.
    pub id: u64,
    /// The server's name for it, made safe ([`safe_file_name`]).
    pub name: String,
    /// `Content-Type`, when given.
    pub content_type: Option<String>,
    /// `Content-Length`, when given.
    pub length: Option<u64>,
    /// The bytes.
    pub body: StreamedResponse,
}

/// The attachment operations. Get one with [`Client::attachments`].
#[derive(Clone)]
pub struct Attachments {
    client: Client,
}

impl Client {
    /// Attachments: list, download, upload and delete.
    pub fn attachments(&self) -> Attachments {
        Attachments {
            client: self.clone(),
        }
    }
}

/// The resource row of `/Attachment`: the one whose GET by id answers a file.
fn row() -> Result<&'static Resource, Error> {
    crate::resource::RESOURCES
        .iter()
        .find(|r| r.file_download)
        .ok_or_else(|| Error::Setup("the resource table has no file-download row".into()))
}

impl Attachments {
    /// The attachments of a ticket, or of one of its actions.
    pub async fn list(
        &self,
        ticket_id: u64,
        action_id: Option<u64>,
    ) -> Result<Vec<Attachment>, Error> {
        let mut query = vec![("ticket_id".to_string(), ticket_id.to_string())];
        if let Some(action) = action_id {
            query.push(("action_id".to_string(), action.to_string()));
        }
        let row = row()?;
        let page = self
            .client
            .resource(row)
            .list_page(&query, 1, crate::paging::MAX_PAGE_SIZE)
            .await?;
        page.items
            .into_iter()
            .map(|item| {
                serde_json::from_value(item).map_err(|e| Error::Decode {
                    url: format!("/api/{}", row.path),
                    detail: e.to_string(),
                })
            })
            .collect()
    }

    /// The request of one attachment's bytes.
    pub fn download_request(&self, id: u64) -> Result<ApiRequest, Error> {
        Ok(ApiRequest::get(format!("{}/{id}", row()?.path)))
    }

    /// Starts the download of one attachment: its name (made safe), type and length, and
    /// its bytes to be read as they come.
    pub async fn download(&self, id: u64) -> Result<Download, Error> {
        let body = self
            .client
            .send_streamed(&self.download_request(id)?)
            .await?;
        let given = header(&body.headers, "content-disposition").and_then(disposition_name);
        Ok(Download {
            id,
            name: safe_file_name(given.as_deref().unwrap_or(""), id),
            content_type: body.content_type().map(str::to_string),
            length: body.content_length(),
            body,
        })
    }

    /// The request that uploads `file`: `[{ticket_id, action_id, filename, note,
    /// data_base64}]`, the base64 encoded as the body is sent, so the file is never held
    /// in memory. A create: retried only where it cannot have reached Halo.
    pub fn upload_request(&self, file: &Upload) -> Result<ApiRequest, Error> {
        let mut head = serde_json::Map::new();
        head.insert("ticket_id".into(), file.ticket_id.into());
        if let Some(action) = file.action_id {
            head.insert("action_id".into(), action.into());
        }
        head.insert("filename".into(), file.filename.clone().into());
        if let Some(note) = &file.note {
            head.insert("note".into(), note.clone().into());
        }
        let head = serde_json::to_string(&Value::Object(head))
            .map_err(|e| Error::InvalidInput(format!("could not encode the upload: {e}")))?;
        // `{...}` becomes `[{..., "data_base64":"` + base64 + `"}]`.
        let prefix = Bytes::from(format!(
            "[{},\"data_base64\":\"",
            head.strip_suffix('}').unwrap_or(&head)
        ));
        let suffix = Bytes::from_static(b"\"}]");
        let length = usize::try_from(file.length)
            .ok()
            .and_then(|n| base64::encoded_len(n, true))
            .ok_or_else(|| Error::InvalidInput("the file is too large to encode".into()))?;
        let total = (prefix.len() + length + suffix.len()) as u64;
        let (open, expected) = (file.open.clone(), file.length);
        let make = Arc::new(move || -> BodyChunks {
            body_chunks(prefix.clone(), open.clone(), expected, suffix.clone())
        });
        Ok(
            ApiRequest::new(Method::POST, row()?.path).streamed(StreamedBody::new(
                total,
                "application/json",
                make,
            )),
        )
    }

    /// Uploads one file; returns what Halo saved.
    pub async fn upload(&self, file: &Upload) -> Result<Vec<Attachment>, Error> {
        let resp = self.client.send(&self.upload_request(file)?).await?;
        Ok(match resp.json::<Value>()? {
            Value::Array(items) => items,
            other => vec![other],
        }
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect())
    }

    /// Deletes one attachment.
    pub async fn delete(&self, id: u64) -> Result<(), Error> {
        self.client
            .resource(row()?)
            .delete(&id.to_string(), &[])
            .await
            .map(drop)
            .or_else(|e| match e {
                // Halo's answer to a delete carries nothing needed here; an empty or
                // non-JSON one is still a success.
                Error::Decode { .. } => Ok(()),
                other => Err(other),
            })
    }
}

/// The chunks of an upload's body: `prefix`, the file's base64 a chunk at a time, `suffix`.
fn body_chunks(prefix: Bytes, open: ReaderMaker, expected: u64, suffix: Bytes) -> BodyChunks {
    enum State {
        Prefix(Bytes),
        Data(Box<dyn AsyncRead + Send + Unpin>, u64),
        Suffix,
        Done,
    }
    Box::pin(futures::stream::try_unfold(
        State::Prefix(prefix),
        move |state| {
            let (open, suffix) = (open.clone(), suffix.clone());
            async move {
                let (chunk, next) = match state {
                    State::Prefix(prefix) => (prefix, State::Data(open()?, 0)),
                    State::Data(mut reader, sent) => {
                        let mut raw = vec![0u8; CHUNK];
                        let mut filled = 0;
                        while filled < CHUNK {
                            let n = reader.read(&mut raw[filled..]).await?;
                            if n == 0 {
                                break;
                            }
                            filled += n;
                        }
                        let sent = sent + filled as u64;
                        if sent > expected || (filled < CHUNK && sent != expected) {
                            return Err(std::io::Error::other(format!(
                                "the file changed while it was sent ({expected} bytes expected)"
                            )));
                        }
                        let text = base64::engine::general_purpose::STANDARD.encode(&raw[..filled]);
                        let next = if sent == expected {
                            State::Suffix
                        } else {
                            State::Data(reader, sent)
                        };
                        (Bytes::from(text), next)
                    }
                    State::Suffix => (suffix, State::Done),
                    State::Done => return Ok(None),
                };
                Ok(Some((chunk, next)))
            }
        },
    ))
}

/// The file name a `Content-Disposition` value gives: `filename*` (RFC 5987/6266, UTF-8 or
/// ISO-8859-1, percent-encoded) first, else `filename` (a token or a quoted string). Not
/// yet safe to use as a path: see [`safe_file_name`].
pub fn disposition_name(value: &str) -> Option<String> {
    let params = parameters(value);
    let extended = params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("filename*"))
        .and_then(|(_, v)| extended_value(v));
    extended.or_else(|| {
        params
            .into_iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("filename"))
            .map(|(_, v)| v)
    })
}

/// The `name=value` parameters after the disposition type, quoted strings unquoted.
fn parameters(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    // Skip the disposition type.
    for c in chars.by_ref() {
        if c == ';' {
            break;
        }
    }
    loop {
        let name: String = chars
            .by_ref()
            .take_while(|c| *c != '=')
            .collect::<String>()
            .trim()
            .trim_start_matches(';')
            .trim()
            .to_string();
        if name.is_empty() {
            return out;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut text = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => text.extend(chars.next()),
                    '"' => break,
                    c => text.push(c),
                }
            }
            for c in chars.by_ref() {
                if c == ';' {
                    break;
                }
            }
        } else {
            text = chars.by_ref().take_while(|c| *c != ';').collect();
            text = text.trim().to_string();
        }
        out.push((name, text));
    }
}

/// `charset'language'percent-encoded` (RFC 5987) decoded; `None` for an unknown charset.
fn extended_value(value: &str) -> Option<String> {
    let mut parts = value.splitn(3, '\'');
    let (charset, _language, encoded) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(encoded).collect();
    if charset.eq_ignore_ascii_case("utf-8") {
        Some(String::from_utf8_lossy(&bytes).into_owned())
    } else if charset.eq_ignore_ascii_case("iso-8859-1") {
        Some(bytes.iter().map(|b| char::from(*b)).collect())
    } else {
        None
    }
}

/// Windows's reserved device names: a file whose name (before any extension) is one of
/// these opens the device instead.
const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// A server-given name as a plain file name, safe to create inside a directory.
///
/// Halo quirk (reference §13.3): the name in `Content-Disposition` is whatever was uploaded
/// (`../../evil.sh`, `C:\Windows\x.dll`), and must never be trusted as a path. This is the one
/// place it is made safe: the last component on `/` and `\`; no control characters, none of
/// the characters Windows forbids (`<>:"|?*`); no leading dots (no `..`, and no hidden file
/// such as `.bashrc` appears in a home directory); no leading or trailing spaces, no
/// trailing dots (Windows drops them); a Windows device name (`CON`, `nul.txt`) prefixed
/// with `_`; at most [`MAX_NAME_BYTES`] bytes, the extension kept; `attachment-<id>` when
/// nothing is left.
pub fn safe_file_name(given: &str, id: u64) -> String {
    let last = given.rsplit(['/', '\\']).next().unwrap_or("");
    let kept: String = last
        .chars()
        .filter(|c| !c.is_control() && !"<>:\"|?*".contains(*c))
        .collect();
    let mut name = kept
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace())
        .to_string();
    if name.is_empty() {
        return format!("attachment-{id}");
    }
    let stem = name.split('.').next().unwrap_or("").trim_end();
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(stem)) {
        name.insert(0, '_');
    }
    cap(&name, MAX_NAME_BYTES)
}

/// `name` within `max` bytes: the stem cut on a character boundary, a short extension kept.
fn cap(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let ext = name
        .rfind('.')
        .map(|i| &name[i..])
        .filter(|e| e.len() <= 16)
        .unwrap_or("");
    let stem = &name[..name.len() - ext.len()];
    let mut end = max - ext.len();
    while !stem.is_char_boundary(end) {
        end -= 1;
    }
    let cut = stem[..end].trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    format!("{cut}{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_extended_name_wins_and_quoted_names_unquote() {
        let both =
            "attachment; filename=\"plain.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20final.pdf";
        assert_eq!(disposition_name(both).as_deref(), Some("résumé final.pdf"));
        assert_eq!(
            disposition_name("attachment; filename=\"a \\\"quoted\\\" name.txt\"").as_deref(),
            Some("a \"quoted\" name.txt")
        );
        assert_eq!(
            disposition_name("attachment;filename=report.csv").as_deref(),
            Some("report.csv")
        );
        assert_eq!(
            disposition_name("attachment; filename*=iso-8859-1'en'caf%E9.txt").as_deref(),
            Some("café.txt")
        );
        assert_eq!(
            disposition_name("attachment; filename*=koi8-r''x; filename=\"y.txt\"").as_deref(),
            Some("y.txt")
        );
        assert_eq!(disposition_name("inline"), None);
    }

    #[test]
    fn hostile_names_become_plain_names() {
        let safe = |s| safe_file_name(s, 7);
        assert_eq!(safe("../../evil.sh"), "evil.sh");
        assert_eq!(safe("..\\..\\Windows\\system32\\x.dll"), "x.dll");
        assert_eq!(safe("/etc/passwd"), "passwd");
        assert_eq!(safe(".."), "attachment-7");
        assert_eq!(safe("dir/"), "attachment-7");
        assert_eq!(safe(""), "attachment-7");
        assert_eq!(safe(".bashrc"), "bashrc");
        assert_eq!(safe("a\u{0}b\nc\u{1b}[31m.txt"), "abc[31m.txt");
        assert_eq!(safe("what?<now>|\"x\":*.txt"), "whatnowx.txt");
        assert_eq!(safe("report.  . "), "report");
        assert_eq!(safe("CON"), "_CON");
        assert_eq!(safe("nul.txt"), "_nul.txt");
        assert_eq!(safe("com1.tar.gz"), "_com1.tar.gz");
        assert_eq!(safe("console.txt"), "console.txt");
        let long = format!("{}.pdf", "é".repeat(300));
        let capped = safe(&long);
        assert!(
            capped.len() <= MAX_NAME_BYTES && capped.ends_with(".pdf"),
            "{capped}"
        );
    }

    proptest! {
        #[test]
        fn a_safe_name_is_always_one_plain_component(given in any::<String>(), id in any::<u64>()) {
            let name = safe_file_name(&given, id);
            prop_assert!(!name.is_empty());
            prop_assert!(name != "." && name != "..");
            prop_assert!(!name.contains('/') && !name.contains('\\'));
            prop_assert!(!name.chars().any(|c| c.is_control() || "<>:\"|?*".contains(c)));
            prop_assert!(name.len() <= MAX_NAME_BYTES);
            prop_assert!(!name.ends_with('.') && !name.ends_with(' '));
            let stem = name.split('.').next().unwrap_or("");
            prop_assert!(!RESERVED.iter().any(|r| r.eq_ignore_ascii_case(stem.trim_end())));
        }

        #[test]
        fn path_like_names_keep_only_their_last_part(parts in proptest::collection::vec("[a-z.]{0,6}", 1..6)) {
            let name = safe_file_name(&parts.join("/"), 1);
            prop_assert!(!name.contains('/'));
            prop_assert!(parts.last().unwrap().contains(name.as_str()) || name == "attachment-1");
        }
    }

    #[tokio::test]
    async fn the_upload_body_is_the_json_halo_expects_and_as_long_as_it_says() {
        use futures::TryStreamExt;
        for size in [0usize, 1, 2, 3, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 2] {
            let data: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
            let shared = Arc::new(data.clone());
            let open: ReaderMaker = Arc::new(move || {
                Ok(Box::new(std::io::Cursor::new(shared.as_ref().clone()))
                    as Box<dyn AsyncRead + Send + Unpin>)
            });
            let prefix = Bytes::from_static(b"[{\"filename\":\"x\",\"data_base64\":\"");
            let suffix = Bytes::from_static(b"\"}]");
            let chunks: Vec<Bytes> = body_chunks(prefix.clone(), open, size as u64, suffix)
                .try_collect()
                .await
                .unwrap();
            let body: Vec<u8> = chunks.concat();
            let expected = prefix.len() + base64::encoded_len(size, true).unwrap() + 3;
            assert_eq!(body.len(), expected, "size {size}");
            let v: Value = serde_json::from_slice(&body).unwrap();
            let text = v[0]["data_base64"].as_str().unwrap();
            let back = base64::engine::general_purpose::STANDARD
                .decode(text)
                .unwrap();
            assert_eq!(back, data, "size {size}");
        }
    }

    #[tokio::test]
    async fn a_file_that_changes_length_fails_the_body() {
        use futures::TryStreamExt;
        let open: ReaderMaker = Arc::new(|| {
            Ok(Box::new(std::io::Cursor::new(vec![1u8; 10])) as Box<dyn AsyncRead + Send + Unpin>)
        });
        for claimed in [9u64, 11] {
            let got: Result<Vec<Bytes>, _> =
                body_chunks(Bytes::new(), open.clone(), claimed, Bytes::new())
                    .try_collect()
                    .await;
            assert!(
                got.unwrap_err().to_string().contains("changed"),
                "{claimed}"
            );
        }
    }
}
