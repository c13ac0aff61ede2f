//! Halo-shaped replies: every status code and error body the sandbox sends as Halo (route and
//! object 404s, 401, 403, 405, 413, 429, the `{"message": …}` of a 400, the model state of
//! refused elements, OAuth errors, injected failures), the list wrappers around a page of
//! rows, and the sign-in and consent pages and redirects of the authorization code grant.

use std::fmt::Write;

use axum::Json;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use halopsa::auth::wire::{OAuthErrorBody, TokenResponse};
use halopsa::resource::{ListShape, Resource};
use serde_json::json;

use crate::domain::attachments::File;
use crate::domain::authorize::{AuthRequest, Redirect};
use crate::domain::config::RateLimit;
use crate::domain::faults::Failure;
use crate::domain::journal::Written;
use crate::domain::outcome::{Done, Fault, Page, Refusal};
use crate::domain::tokens::{TokenError, UserIdentity};

/// A Halo-style error: `{"message": ...}` with a status.
fn message(status: StatusCode, text: impl Into<String>) -> Response {
    (status, Json(json!({ "message": text.into() }))).into_response()
}

/// Halo's 404 for an unknown API route (`path` as the client sent it).
pub fn no_route(path: &str) -> Response {
    message(
        StatusCode::NOT_FOUND,
        format!("No HTTP resource was found that matches the request URI '{path}'."),
    )
}

/// A bare 404 for a path outside `/api`, `/auth` and `/_sandbox`.
pub fn nothing_here() -> Response {
    StatusCode::NOT_FOUND.into_response()
}

/// Halo's 401 for a missing, unknown, expired or scope-less token.
pub fn unauthorized() -> Response {
    let body = json!({ "message": "Authorization has been denied for this request." });
    let mut response = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Halo's 429 (text as seen live, numbers from the configured limit; no `Retry-After`).
pub fn rate_limited(limit: &RateLimit) -> Response {
    let secs = limit.window.as_secs();
    let window = if secs.is_multiple_of(60) {
        format!("{} minute", secs / 60)
    } else {
        format!("{secs} second")
    };
    (
        StatusCode::TOO_MANY_REQUESTS,
        format!(
            "Rate Limit Reached - {} Requests per rolling {window} window",
            limit.requests
        ),
    )
        .into_response()
}

/// A 413 for a body over `limit` bytes.
pub fn too_large(limit: usize) -> Response {
    message(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("The request body is larger than {limit} bytes."),
    )
}

/// A 405 naming the method.
pub fn not_supported(method: &str) -> Response {
    message(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("The requested resource does not support http method '{method}'."),
    )
}

/// A refused resource operation, for a request with `method`.
pub fn refusal(refusal: Refusal, method: &str) -> Response {
    match refusal {
        Refusal::Denied { write, area } => {
            let needed = if write { "edit" } else { "read" };
            message(
                StatusCode::FORBIDDEN,
                format!(
                    "The API application does not have permission to {needed} this resource ({needed}:{area})."
                ),
            )
        }
        Refusal::NotSupported => not_supported(method),
        Refusal::Missing { path, id } => message(
            StatusCode::NOT_FOUND,
            format!("No {path} with id {id} was found."),
        ),
        Refusal::Invalid(text) => message(StatusCode::BAD_REQUEST, text),
        Refusal::TooLarge(text) => message(StatusCode::PAYLOAD_TOO_LARGE, text),
        Refusal::Elements(faults) => {
            (StatusCode::BAD_REQUEST, Json(ModelState(&faults))).into_response()
        }
        Refusal::Store(e) => {
            tracing::error!("sandbox store: {e}");
            message(StatusCode::INTERNAL_SERVER_ERROR, "An error has occurred.")
        }
    }
}

/// A resource operation's success: stored JSON and lists as `application/json;
/// charset=utf-8`, JSON made for the answer as `application/json`.
pub fn done(res: &Resource, done: Done) -> Response {
    match done {
        Done::Stored(text) => stored(text),
        Done::Listed(page) => stored(list_body(res, page)),
        Done::Made(text) => made(text),
        Done::Written { text, ids } => {
            let mut r = made(text);
            r.extensions_mut().insert(Written(ids));
            r
        }
    }
}

fn made(text: String) -> Response {
    let mut r = Response::new(Body::from(text));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// A stored file as Halo serves `GET /Attachment/{id}`: the raw bytes (one buffer, not
/// copied again), its `Content-Type`, `Content-Length`, and the stored name in
/// `Content-Disposition` exactly as it was saved, hostile or not (the client must make it a
/// safe file name).
pub fn file(file: File) -> Response {
    let content_type = HeaderValue::from_str(&file.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let length = HeaderValue::from(file.bytes.len());
    let disposition = HeaderValue::from_str(&disposition(&file.name))
        .unwrap_or(HeaderValue::from_static("attachment"));
    let mut r = Response::new(Body::from(file.bytes));
    let headers = r.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_LENGTH, length);
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    r
}

/// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266): the quoted name with `"` and
/// `\` escaped, control characters dropped and other non-ASCII characters as `_`; the
/// extended one the whole name, percent-encoded (RFC 8187 `attr-char` kept).
fn disposition(name: &str) -> String {
    let mut quoted = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '"' | '\\' => {
                quoted.push('\\');
                quoted.push(c);
            }
            c if c.is_control() => {}
            c if c.is_ascii() => quoted.push(c),
            _ => quoted.push('_'),
        }
    }
    let mut encoded = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(encoded, "%{b:02X}");
        }
    }
    format!("attachment; filename=\"{quoted}\"; filename*=UTF-8''{encoded}")
}

/// Refused elements as ASP.NET model state (reference §9): `{"[3].client_id": ["..."],
/// "[7]": ["..."]}`, keyed by position (and the field at fault, when known), in order.
struct ModelState<'a>(&'a [(usize, Fault)]);

impl serde::Serialize for ModelState<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (i, fault) in self.0 {
            let key = match fault.field {
                Some(field) => format!("[{i}].{field}"),
                None => format!("[{i}]"),
            };
            map.serialize_entry(&key, &[&fault.message])?;
        }
        map.end()
    }
}

fn stored(body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

/// A page in the resource's list shape: `{"page_no", "page_size" (when paged),
/// "record_count", the row's sidecar array, "<key>": [...]}`, or a bare array.
fn list_body(res: &Resource, page: Page) -> String {
    let rows: usize = page.rows.iter().map(|r| r.len() + 1).sum();
    let mut body = String::with_capacity(rows + 96);
    let key = match res.list {
        ListShape::Wrapped(key) => Some(key),
        _ => None,
    };
    if let Some(key) = key {
        body.push('{');
        // Writing to a String cannot fail.
        if let Some((no, size)) = page.paging {
            let _ = write!(body, "\"page_no\":{no},\"page_size\":{size},");
        }
        let _ = write!(body, "\"record_count\":{},", page.total);
        if let Some(sidecar) = res.list_sidecar {
            // Halo quirk (`/Attachment`): an empty array beside the rows, for clients to ignore.
            let _ = write!(body, "\"{sidecar}\":[],");
        }
        let _ = write!(body, "\"{key}\":");
    }
    body.push('[');
    for (i, row) in page.rows.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(row);
    }
    body.push(']');
    if key.is_some() {
        body.push('}');
    }
    body
}

/// Tokens issued (never cached).
pub fn token_issued(issued: &TokenResponse) -> Response {
    no_store(Json(issued).into_response())
}

/// A refused token request: an OAuth error body, 401 for a bad client, else 400.
pub fn token_refused(error: TokenError) -> Response {
    let (status, code) = match &error {
        TokenError::InvalidClient => (StatusCode::UNAUTHORIZED, "invalid_client"),
        TokenError::BadCredentials | TokenError::BadRefreshToken | TokenError::InvalidGrant(_) => {
            (StatusCode::BAD_REQUEST, "invalid_grant")
        }
        TokenError::InvalidScope(_) => (StatusCode::BAD_REQUEST, "invalid_scope"),
        TokenError::UnsupportedGrantType(_) => (StatusCode::BAD_REQUEST, "unsupported_grant_type"),
        TokenError::NotForm | TokenError::InvalidRequest(_) => {
            (StatusCode::BAD_REQUEST, "invalid_request")
        }
    };
    let body = OAuthErrorBody {
        error: code.to_owned(),
        error_description: Some(error.to_string()),
    };
    no_store((status, Json(body)).into_response())
}

/// A revocation's answer (RFC 7009 §2.2): 200 with an empty body, known token or not.
pub fn revoked() -> Response {
    no_store(StatusCode::OK.into_response())
}

/// The sign-in page of a waiting authorization request `id`, with `error` after a failed try.
/// Its form posts the hidden `request` with `username` and `password`.
pub fn sign_in_page(id: &str, request: &AuthRequest, error: Option<&str>) -> Response {
    let mut body = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        body,
        "<h1>Sign in to Halo (sandbox)</h1>\n<p>The application <strong>{}</strong> asks for:</p>\n{}",
        escape(&request.client_id),
        scope_list(request)
    );
    if let Some(error) = error {
        let _ = writeln!(body, "<p class=\"error\">{}</p>", escape(error));
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/auth/authorize\">\n\
         <input type=\"hidden\" name=\"request\" value=\"{}\">\n\
         <label>Username <input type=\"text\" name=\"username\" autocomplete=\"username\"></label>\n\
         <label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\"></label>\n\
         <button type=\"submit\">Sign in</button>\n</form>",
        escape(id)
    );
    page(StatusCode::OK, "Sign in", &body)
}

/// The consent page of request `id`, signed in as `agent`: two submit buttons, `decision` is
/// `allow` or `deny`.
pub fn consent_page(id: &str, request: &AuthRequest, agent: &UserIdentity) -> Response {
    let body = format!(
        "<h1>Allow access?</h1>\n<p>Signed in as <strong>{}</strong> ({}).</p>\n\
         <p>The application <strong>{}</strong> asks for:</p>\n{}\
         <form method=\"post\" action=\"/auth/authorize\">\n\
         <input type=\"hidden\" name=\"request\" value=\"{}\">\n\
         <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\n</form>",
        escape(&agent.name),
        escape(&agent.username),
        escape(&request.client_id),
        scope_list(request),
        escape(id)
    );
    page(StatusCode::OK, "Allow access", &body)
}

/// A 400 page for a sign-in that cannot go on (unknown client or redirect URI, unknown or
/// expired request), saying why; never a redirect.
pub fn sign_in_refused(text: &str) -> Response {
    let body = format!("<h1>Sign-in refused</h1>\n<p>{}</p>", escape(text));
    page(StatusCode::BAD_REQUEST, "Sign-in refused", &body)
}

/// A 302 to the client's redirect URI.
pub fn redirect(to: &Redirect) -> Response {
    match HeaderValue::from_str(&to.0) {
        Ok(location) => {
            let mut response = no_store(StatusCode::FOUND.into_response());
            response.headers_mut().insert(header::LOCATION, location);
            response
        }
        Err(_) => sign_in_refused("The redirect URI cannot be sent as a Location."),
    }
}

fn scope_list(request: &AuthRequest) -> String {
    if request.scopes.is_empty() {
        return "<p>no scope (every API call will be refused)</p>\n".into();
    }
    let mut list = String::from("<ul>\n");
    for scope in request.scopes.iter() {
        // Writing to a String cannot fail.
        let _ = writeln!(list, "<li><code>{}</code></li>", escape(scope));
    }
    list.push_str("</ul>\n");
    list
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title} - Halo sandbox</title></head>\n<body>\n{body}\n</body></html>\n"
    );
    no_store((status, Html(html)).into_response())
}

/// Text made safe inside HTML elements and quoted attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// An injected failure: a .NET exception (500) or a proxy's HTML page (502, 503).
pub fn fault(failure: Failure) -> Response {
    let html = |code: u16, text: &str| {
        format!(
            "<!DOCTYPE html><html><head><title>{code} {text}</title></head><body><h1>{text}</h1><hr><p>sandbox fault injection</p></body></html>"
        )
    };
    match failure {
        Failure::Exception => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"ClassName": "System.Exception", "Message": "An error has occurred."})),
        )
            .into_response(),
        Failure::BadGateway => {
            (StatusCode::BAD_GATEWAY, Html(html(502, "Bad Gateway"))).into_response()
        }
        Failure::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            Html(html(503, "Service Unavailable")),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use halopsa::resource::find;

    #[test]
    fn refused_elements_are_keyed_by_position_in_order() {
        let fault = |field, message: &str| Fault {
            field,
            message: message.into(),
        };
        let faults = [
            (
                10,
                fault(Some("client_id"), "The client_id 999 does not exist."),
            ),
            (2, fault(None, "A site_id must be given with a user_id.")),
        ];
        assert_eq!(
            serde_json::to_string(&ModelState(&faults)).unwrap(),
            r#"{"[10].client_id":["The client_id 999 does not exist."],"[2]":["A site_id must be given with a user_id."]}"#
        );
    }

    #[test]
    fn file_names_are_quoted_and_percent_encoded() {
        assert_eq!(
            disposition("report 1.pdf"),
            "attachment; filename=\"report 1.pdf\"; filename*=UTF-8''report%201.pdf"
        );
        assert_eq!(
            disposition("../../evil.sh"),
            "attachment; filename=\"../../evil.sh\"; filename*=UTF-8''..%2F..%2Fevil.sh"
        );
        assert_eq!(
            disposition("a\"b\\c\r\nd\u{7f}é.txt"),
            "attachment; filename=\"a\\\"b\\\\cd_.txt\"; filename*=UTF-8''a%22b%5Cc%0D%0Ad%7F%C3%A9.txt"
        );
        let reply = file(File {
            name: "x\ny.png".into(),
            content_type: "image/png".into(),
            bytes: vec![1, 2, 3],
        });
        let h = reply.headers();
        assert_eq!(h[header::CONTENT_TYPE], "image/png");
        assert_eq!(h[header::CONTENT_LENGTH], "3");
        assert!(
            h[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .starts_with("attachment; filename=\"xy.png\"")
        );
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn the_429_quotes_halo() {
        let reply = rate_limited(&RateLimit::HOSTED);
        assert_eq!(reply.status(), StatusCode::TOO_MANY_REQUESTS);
    }

    #[test]
    fn lists_take_their_rows_shape() {
        let page = |paging| Page {
            paging,
            total: 7,
            rows: vec!["{\"id\":1}".into(), "{\"id\":2}".into()],
        };
        let tickets = find("tickets").unwrap();
        assert_eq!(
            list_body(tickets, page(Some((2, 2)))),
            r#"{"page_no":2,"page_size":2,"record_count":7,"tickets":[{"id":1},{"id":2}]}"#
        );
        assert_eq!(
            list_body(find("attachments").unwrap(), page(None)),
            r#"{"record_count":7,"folders":[],"attachments":[{"id":1},{"id":2}]}"#
        );
        assert_eq!(
            list_body(find("agents").unwrap(), page(None)),
            r#"[{"id":1},{"id":2}]"#
        );
        let empty = Page {
            paging: None,
            total: 0,
            rows: Vec::new(),
        };
        assert_eq!(
            list_body(tickets, empty),
            r#"{"record_count":0,"tickets":[]}"#
        );
    }
}
