//! Streamed transfers through the client's one request path: an upload body rebuilt for
//! each attempt and retried only where the policy retries a create, and a download read
//! as it comes, named safely, its errors mapped as any reply's.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use base64::Engine;
use halo_sandbox::fake::{Fake, with_token as halo};
use halopsa::retry::RetryPolicy;
use halopsa::{Client, ConnectionSettings, Error, Grant, Upload};
use secrecy::SecretString;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn client(url: &str) -> Client {
    let settings = ConnectionSettings::new(
        url,
        "cid",
        Grant::ClientCredentials {
            client_secret: SecretString::from("s"),
        },
    )
    .unwrap()
    .with_auth_url(Some(&format!("{url}/auth")))
    .unwrap();
    Client::builder(settings)
        .retry(RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap()
}

fn upload(data: &'static [u8], opened: Arc<AtomicUsize>) -> Upload {
    Upload {
        ticket_id: 7,
        action_id: Some(2),
        filename: "a \"b\".txt".into(),
        note: Some("n".into()),
        length: data.len() as u64,
        open: Arc::new(move || {
            opened.fetch_add(1, Ordering::SeqCst);
            Ok(Box::new(data) as Box<dyn tokio::io::AsyncRead + Send + Unpin>)
        }),
    }
}

#[tokio::test]
async fn an_upload_is_rebuilt_for_a_429_and_never_sent_twice_after_a_503() {
    let posts = Arc::new(AtomicUsize::new(0));
    let seen = posts.clone();
    let fake = Fake::start(halo(move |req| {
        if seen.fetch_add(1, Ordering::SeqCst) == 0 {
            return (StatusCode::TOO_MANY_REQUESTS, "Rate Limit Reached").into_response();
        }
        let length: usize = req.headers[header::CONTENT_LENGTH]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(length, req.body.len());
        let sent: Value = serde_json::from_str(&req.body).unwrap();
        let data = base64::engine::general_purpose::STANDARD
            .decode(sent[0]["data_base64"].as_str().unwrap())
            .unwrap();
        axum::Json(
            json!([{"id": 41, "ticket_id": sent[0]["ticket_id"], "action_id": sent[0]["action_id"],
            "filename": sent[0]["filename"], "note": sent[0]["note"], "filesize": data.len()}]),
        )
        .into_response()
    }))
    .await
    .unwrap();
    let opened = Arc::new(AtomicUsize::new(0));
    let saved = client(&fake.url)
        .attachments()
        .upload(&upload(b"hello, file", opened.clone()))
        .await
        .unwrap();
    assert_eq!(saved[0].filename.as_deref(), Some("a \"b\".txt"));
    assert_eq!(saved[0].filesize, Some(11));
    assert_eq!(fake.hits("/api/Attachment"), 2);
    assert_eq!(
        opened.load(Ordering::SeqCst),
        2,
        "the body is made anew for the retry"
    );

    let fake = Fake::start(halo(|_| StatusCode::SERVICE_UNAVAILABLE.into_response()))
        .await
        .unwrap();
    let err = client(&fake.url)
        .attachments()
        .upload(&upload(b"x", Arc::default()))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(err.to_string().contains("may have reached Halo"), "{err}");
    assert_eq!(fake.hits("/api/Attachment"), 1);
}

#[tokio::test]
async fn a_download_streams_under_a_safe_name_and_maps_errors_as_any_reply() {
    let fake = Fake::start(halo(|req| {
        if req.path.ends_with("/404") {
            return (StatusCode::NOT_FOUND, "no such attachment").into_response();
        }
        let mut resp = vec![b'z'; 300_000].into_response();
        let headers = resp.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static(
                "attachment; filename=\"x\"; filename*=UTF-8''..%2F..%2Fr%C3%A9sum%C3%A9.txt",
            ),
        );
        resp
    }))
    .await
    .unwrap();
    let api = client(&fake.url).attachments();
    let mut download = api.download(5).await.unwrap();
    assert_eq!(download.name, "résumé.txt");
    assert_eq!(download.content_type.as_deref(), Some("text/plain"));
    assert_eq!(download.length, Some(300_000));
    let mut total = 0;
    while let Some(chunk) = download.body.chunk().await.unwrap() {
        assert!(chunk.iter().all(|b| *b == b'z'));
        total += chunk.len();
    }
    assert_eq!(total, 300_000);
    let err = api.download(404).await.unwrap_err();
    assert!(err.is_not_found() && matches!(err, Error::Api(_)), "{err}");
}
