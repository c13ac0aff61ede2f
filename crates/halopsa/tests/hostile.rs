//! The client against servers that misbehave on purpose (in-process, on 127.0.0.1:0): every
//! walk ends, no redirect carries a secret or a header elsewhere, no reply can exhaust memory,
//! and no text a server sends back repeats a secret.

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use halo_sandbox::fake::{Fake, Seen, with_token as halo};
use halopsa::paging::WalkNotes;
use halopsa::resource::find;
use halopsa::retry::RetryPolicy;
use halopsa::{ApiRequest, AuthError, Client, ConnectionSettings, Error, Grant, ListOptions};
use secrecy::SecretString;
use serde_json::{Value, json};
use std::io::Write;
use std::time::Duration;

const SECRET: &str = "Sup3r-S3cret/value+1";
const PASSWORD: &str = "agent-pa55word";

/// A fake server answering with `reply`.
async fn serve(reply: impl Fn(&Seen) -> Response + Send + Sync + 'static) -> Fake {
    Fake::start(reply).await.unwrap()
}

fn settings(url: &str, grant: Grant) -> ConnectionSettings {
    ConnectionSettings::new(url, "cid", grant)
        .unwrap()
        .with_auth_url(Some(&format!("{url}/auth")))
        .unwrap()
}

fn secret() -> Grant {
    Grant::ClientCredentials {
        client_secret: SecretString::from(SECRET),
    }
}

fn password() -> Grant {
    Grant::Password {
        username: "jo@example.com".into(),
        password: SecretString::from(PASSWORD),
        client_secret: Some(SecretString::from(SECRET)),
    }
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        ..RetryPolicy::default()
    }
}

fn client(url: &str) -> Client {
    Client::builder(settings(url, secret()))
        .retry(quick_retries())
        .build()
        .unwrap()
}

fn rows(ids: std::ops::RangeInclusive<i64>) -> Vec<Value> {
    ids.map(|i| json!({"id": i, "summary": format!("t{i}")}))
        .collect()
}

/// Every row of `/Tickets` until the walk ends, or its error.
async fn walk(c: &Client, options: ListOptions) -> (Result<Vec<Value>, Error>, WalkNotes) {
    let (stream, report) = c.resource(find("tickets").unwrap()).list(vec![], options);
    let rows = stream.try_collect::<Vec<_>>().await;
    (rows, report.notes())
}

#[tokio::test]
async fn a_server_that_repeats_its_page_ends_the_walk_at_the_second_page() {
    // A bare array with no record_count, the same 100 rows whatever the page.
    let fake = serve(halo(|_| axum::Json(rows(1..=100)).into_response())).await;
    let c = client(&fake.url);
    let (result, _) = walk(&c, ListOptions::default()).await;
    match result {
        Err(Error::Paging { page, reason, .. }) => {
            assert_eq!(page, 2);
            assert!(reason.contains("not paging"), "{reason}");
        }
        other => panic!("expected a paging error, got {other:?}"),
    }
    assert_eq!(fake.hits("/api/Tickets"), 2);
    // The same with a record_count that promises 100 pages, fetched four at a time.
    let fake = serve(halo(|_| {
        axum::Json(json!({"record_count": 10_000, "tickets": rows(1..=100)})).into_response()
    }))
    .await;
    let (result, _) = walk(&client(&fake.url), ListOptions::default()).await;
    assert!(matches!(result, Err(Error::Paging { page: 2, .. })));
    assert!(
        fake.hits("/api/Tickets") <= 6,
        "{}",
        fake.hits("/api/Tickets")
    );
}

#[tokio::test]
async fn a_server_inventing_rows_forever_is_stopped_by_the_page_cap() {
    let fake = serve(halo(|seen| {
        let page: i64 = seen.param("page_no").unwrap().parse().unwrap();
        axum::Json(rows(page * 100 - 99..=page * 100)).into_response()
    }))
    .await;
    let options = ListOptions {
        max_pages: 30,
        ..ListOptions::default()
    };
    let (result, _) = walk(&client(&fake.url), options).await;
    assert!(
        matches!(result, Err(Error::Paging { page: 31, .. })),
        "{result:?}"
    );
    assert_eq!(fake.hits("/api/Tickets"), 31);
}

#[tokio::test]
async fn rows_short_of_record_count_are_noted_and_keyless_rows_kept() {
    // record_count 10,000, then nothing: pages empty from the first, or from the second.
    for filled in [0, 1] {
        let fake = serve(halo(move |seen| {
            let page: i64 = seen.param("page_no").unwrap().parse().unwrap();
            let rows = if page <= filled {
                rows(1..=100)
            } else {
                vec![]
            };
            axum::Json(json!({"record_count": 10_000, "tickets": rows})).into_response()
        }))
        .await;
        let (result, notes) = walk(&client(&fake.url), ListOptions::default()).await;
        let got = result.unwrap().len() as u64;
        assert_eq!(got, 100 * filled as u64);
        assert_eq!(notes.incomplete, Some((10_000, got)));
    }
    // Three rows with "id": null are three rows.
    let fake = serve(halo(|_| {
        axum::Json(json!({"record_count": 3, "tickets": [
            {"id": null, "summary": "a"}, {"id": null, "summary": "b"}, {"id": null, "summary": "c"}
        ]}))
        .into_response()
    }))
    .await;
    let (result, notes) = walk(&client(&fake.url), ListOptions::default()).await;
    assert_eq!(result.unwrap().len(), 3);
    assert_eq!((notes.unkeyed, notes.incomplete), (3, None));
}

#[tokio::test]
async fn paging_parameters_are_refused_as_filters_before_any_request() {
    let fake = serve(halo(|_| axum::Json(rows(1..=3)).into_response())).await;
    let c = client(&fake.url);
    for name in ["page_no", "PAGE_SIZE", "pageinate"] {
        let (stream, _) = c
            .resource(find("tickets").unwrap())
            .list(vec![(name.into(), "2".into())], ListOptions::default());
        let err = stream.try_collect::<Vec<_>>().await.unwrap_err();
        assert!(err.to_string().contains("paging parameter"), "{err}");
    }
    assert_eq!(fake.hits("/api/Tickets"), 0);
}

#[tokio::test]
async fn a_token_endpoint_redirect_is_never_followed() {
    let elsewhere = serve(|_| StatusCode::OK.into_response()).await;
    for status in [307u16, 308, 302] {
        let to = format!("{}/auth/token", elsewhere.url);
        let fake = serve(move |_| {
            let mut resp = StatusCode::from_u16(status).unwrap().into_response();
            resp.headers_mut()
                .insert(header::LOCATION, HeaderValue::from_str(&to).unwrap());
            resp
        })
        .await;
        let err = client(&fake.url).token().await.unwrap_err();
        match &err {
            Error::Auth(AuthError::Redirected { location, .. }) => {
                assert!(location.starts_with(&elsewhere.url), "{location}")
            }
            other => panic!("expected a refused redirect, got {other:?}"),
        }
        assert!(err.to_string().contains("never sent on"), "{err}");
        assert_eq!(fake.hits("/auth/token"), 1, "one POST, not retried");
        assert_eq!(fake.seen()[0].method, Method::POST);
    }
    assert!(
        elsewhere.seen().is_empty(),
        "no request reached the other origin"
    );
}

#[tokio::test]
async fn an_echoing_token_endpoint_never_shows_a_secret() {
    // The form comes back in the error: as JSON, as an HTML page, as plain text.
    let shapes: [fn(&str) -> Response; 3] = [
        |form| {
            (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"error": "invalid_request", "error_description": format!("bad request: {form}")})),
            )
                .into_response()
        },
        |form| {
            (
                StatusCode::BAD_REQUEST,
                axum::response::Html(format!("<html><body><h1>{form}</h1></body></html>")),
            )
                .into_response()
        },
        |form| (StatusCode::BAD_REQUEST, form.to_string()).into_response(),
    ];
    for shape in shapes {
        for grant in [secret(), password()] {
            let fake = serve(move |seen| shape(&seen.body)).await;
            let c = Client::builder(settings(&fake.url, grant))
                .retry(quick_retries())
                .build()
                .unwrap();
            let err = c.token().await.unwrap_err().to_string();
            assert!(
                fake.seen()[0].body.contains("client_secret="),
                "the form was echoed"
            );
            for s in [SECRET, PASSWORD] {
                assert!(!err.contains(&s[..6]), "{err}");
            }
            let encoded: String = url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect();
            assert!(!err.contains(&encoded[..8]), "{err}");
        }
    }
}

#[tokio::test]
async fn an_api_error_echoing_the_token_never_shows_it() {
    let fake = serve(halo(|seen| {
        let auth = seen.headers[header::AUTHORIZATION]
            .to_str()
            .unwrap()
            .to_string();
        (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"message": format!("you sent {auth}")})),
        )
            .into_response()
    }))
    .await;
    let err = client(&fake.url)
        .send(&ApiRequest::get("Tickets/1"))
        .await
        .unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    for text in [err.to_string(), api.body.clone()] {
        assert!(!text.contains("fake-access-token"), "{text}");
        assert!(text.contains("[redacted]"), "{text}");
    }
}

#[tokio::test]
async fn api_redirects_stay_within_the_origin() {
    let elsewhere = serve(|_| axum::Json(json!({"id": 666})).into_response()).await;
    let to = elsewhere.url.clone();
    let fake = serve(halo(move |seen| {
        let location = match seen.path.as_str() {
            "/api/Tickets/1" => format!("{to}/api/Tickets/1"),
            "/api/Tickets/2" => "/api/Tickets/3".to_string(),
            "/api/Loop" => "/api/Loop".to_string(),
            _ => return axum::Json(json!({"id": 3})).into_response(),
        };
        let mut resp = StatusCode::FOUND.into_response();
        resp.headers_mut()
            .insert(header::LOCATION, HeaderValue::from_str(&location).unwrap());
        resp
    }))
    .await;
    let settings = settings(&fake.url, secret())
        .with_header("X-Api-Key", "profile-header-value")
        .unwrap();
    let c = Client::builder(settings)
        .retry(quick_retries())
        .build()
        .unwrap();
    // Another origin: an error that names it; nothing reached it.
    let err = c.send(&ApiRequest::get("Tickets/1")).await.unwrap_err();
    assert!(matches!(err, Error::Redirect { .. }), "{err:?}");
    assert!(err.to_string().contains(&elsewhere.url), "{err}");
    assert!(elsewhere.seen().is_empty());
    // The same origin: followed, with the token and the profile header, and no Referer.
    let got: Value = c.get_json(&ApiRequest::get("Tickets/2")).await.unwrap();
    assert_eq!(got["id"], 3);
    let followed = fake
        .seen()
        .into_iter()
        .find(|s| s.path == "/api/Tickets/3")
        .unwrap();
    assert_eq!(followed.headers["x-api-key"], "profile-header-value");
    assert!(followed.headers.contains_key(header::AUTHORIZATION));
    assert!(!followed.headers.contains_key(header::REFERER));
    // A loop: refused after ten redirects, and not retried.
    let err = c.send(&ApiRequest::get("Loop")).await.unwrap_err();
    assert!(err.to_string().contains("too many redirects"), "{err}");
    assert_eq!(fake.hits("/api/Loop"), 11);
}

/// 1 MB of zeros, gzipped (about 1 KB).
fn zeros_gzipped() -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&vec![0u8; 1 << 20]).unwrap();
    enc.finish().unwrap()
}

#[tokio::test]
async fn replies_over_the_limit_are_refused_compressed_or_not() {
    let member = zeros_gzipped();
    let fake = serve(halo(move |seen| match seen.path.as_str() {
        // 100 gzip members of 1 MB each: 100 MB from 100 KB.
        "/api/Bomb" => ([(header::CONTENT_ENCODING, "gzip")], member.repeat(100)).into_response(),
        "/api/Big" => vec![b' '; 3 << 20].into_response(),
        _ => axum::Json(json!({"id": 1})).into_response(),
    }))
    .await;
    let c = Client::builder(settings(&fake.url, secret()))
        .retry(quick_retries())
        .max_response_bytes(1 << 20)
        .build()
        .unwrap();
    for (path, inflated) in [("Bomb", true), ("Big", false)] {
        let err = c.send(&ApiRequest::get(path)).await.unwrap_err();
        match &err {
            Error::TooLarge {
                limit, inflated: i, ..
            } => assert_eq!((*limit, *i), (1 << 20, inflated), "{path}"),
            other => panic!("{path}: {other:?}"),
        }
        assert!(err.to_string().contains("larger than 1 MiB"), "{err}");
        assert_eq!(fake.hits(&format!("/api/{path}")), 1, "not retried");
    }
    let ok: Value = c.get_json(&ApiRequest::get("Small")).await.unwrap();
    assert_eq!(ok["id"], 1);
}

#[tokio::test]
async fn giving_up_says_how_many_retries_were_made() {
    let fake = serve(halo(|_| StatusCode::SERVICE_UNAVAILABLE.into_response())).await;
    let err = client(&fake.url)
        .send(&ApiRequest::get("Tickets/1"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("gave up after 2 retries, the most allowed"),
        "{err}"
    );
    assert_eq!(fake.hits("/api/Tickets/1"), 3);
}

#[tokio::test]
async fn a_password_grant_refused_as_invalid_client_says_what_to_check() {
    let fake = serve(|_| {
        (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "invalid_client"})),
        )
            .into_response()
    })
    .await;
    let c = Client::new(settings(&fake.url, password())).unwrap();
    let err = c.token().await.unwrap_err().to_string();
    assert!(err.contains("sign-in was rejected"), "{err}");
    assert!(err.contains("username and password"), "{err}");
}
