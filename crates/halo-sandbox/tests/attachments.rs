//! `/Attachment` over HTTP: files stored as bytes, served raw with their headers, metadata
//! with `includedetails=true`, the size limit, and the seeded hostile name.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{Api, http, small};
use halo_sandbox::{Faults, SandboxConfig};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

const MIB: usize = 1024 * 1024;

fn config() -> SandboxConfig {
    SandboxConfig {
        max_attachment_bytes: 2 * MIB,
        ..small()
    }
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(13);
    let mut data = vec![0u8; n];
    rng.fill(&mut data[..]);
    data
}

async fn download(api: &Api, id: i64) -> reqwest::Response {
    http()
        .get(api.url(&format!("Attachment/{id}")))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap()
}

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> &'a str {
    resp.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

#[tokio::test]
async fn a_file_goes_up_lists_comes_back_identical_and_is_deleted() {
    let api = Api::start(config()).await;
    let data = random_bytes(MIB);
    let (status, saved) = api
        .post(
            "Attachment",
            &json!([{"ticket_id": 5, "filename": "random data.bin", "note": "1 MiB",
                     "data_base64": STANDARD.encode(&data)}]),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    assert!(saved.get("data_base64").is_none(), "{saved}");
    assert_eq!(saved["filesize"], MIB);
    assert_eq!(saved["content_type"], "application/octet-stream");
    let id = saved["id"].as_i64().unwrap();

    let journal = serde_json::to_string(&api.sb.journal()).unwrap();
    assert!(journal.len() < 16 * 1024, "no body in the journal");

    let (status, listed) = api.get("Attachment?ticket_id=5").await;
    assert_eq!(status, 200);
    assert_eq!(listed["record_count"], 1, "{listed}");
    assert_eq!(listed["folders"], json!([]));
    assert_eq!(listed["attachments"][0]["id"], id);
    assert_eq!(listed["attachments"][0]["filename"], "random data.bin");

    let resp = download(&api, id).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "content-type"), "application/octet-stream");
    assert_eq!(header(&resp, "content-length"), MIB.to_string());
    assert_eq!(
        header(&resp, "content-disposition"),
        "attachment; filename=\"random data.bin\"; filename*=UTF-8''random%20data.bin"
    );
    assert_eq!(resp.bytes().await.unwrap().as_ref(), &data[..]);

    let (status, meta) = api
        .get(&format!("Attachment/{id}?IncludeDetails=True"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(meta["id"], id);
    assert_eq!(meta["ticket_id"], 5);
    assert_eq!(meta["note"], "1 MiB");
    assert_eq!(meta["filesize"], MIB);

    let (status, gone) = api.delete(&format!("Attachment/{id}")).await;
    assert_eq!((status, &gone["id"]), (200, &json!(id)));
    assert_eq!(download(&api, id).await.status(), 404);
    let (status, _) = api
        .get(&format!("Attachment/{id}?includedetails=true"))
        .await;
    assert_eq!(status, 404);
    let (status, _) = api.delete(&format!("Attachment/{id}")).await;
    assert_eq!(status, 404);
    assert_eq!(download(&api, 999).await.status(), 404);
}

#[tokio::test]
async fn over_the_limit_is_413_and_bad_base64_400_with_nothing_stored() {
    let api = Api::start(config()).await;
    let before = api.get("Attachment").await.1["record_count"].clone();
    let over = STANDARD.encode(random_bytes(2 * MIB + 1));
    let (status, body) = api
        .post(
            "Attachment",
            &json!([{"ticket_id": 1, "filename": "big.bin", "data_base64": over}]),
        )
        .await;
    assert_eq!(status, 413, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("2 MiB") && !message.contains('\n'),
        "{message}"
    );

    let (status, body) = api
        .post(
            "Attachment",
            &json!([{"ticket_id": 1, "filename": "bad.bin", "data_base64": "not*base64"}]),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("base64"),
        "{body}"
    );

    let (status, body) = api
        .post(
            "Attachment",
            &json!([{"ticket_id": 99999, "filename": "a.txt", "data_base64": "aGk="}]),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["message"], "The ticket_id 99999 does not exist.");
    assert_eq!(api.get("Attachment").await.1["record_count"], before);
}

#[tokio::test]
async fn the_body_limit_admits_a_file_at_the_attachment_limit() {
    let api = Api::start(SandboxConfig {
        body_limit: 64 * 1024,
        ..config()
    })
    .await;
    let data = random_bytes(2 * MIB);
    let (status, saved) = api
        .post(
            "Attachment",
            &json!([{"ticket_id": 1, "filename": "pic.png",
                     "data_base64": format!("data:image/png;base64,{}", STANDARD.encode(&data))}]),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["isimage"], true);
    let resp = download(&api, saved["id"].as_i64().unwrap()).await;
    assert_eq!(header(&resp, "content-type"), "image/png");
    assert_eq!(resp.bytes().await.unwrap().len(), data.len());
    let (status, _) = api
        .post(
            "Tickets",
            &json!([{"summary": "x".repeat(70 * 1024), "client_id": 1}]),
        )
        .await;
    assert_eq!(status, 413, "other resources keep the general body limit");
}

#[tokio::test]
async fn seeded_files_include_a_hostile_name_served_verbatim() {
    let api = Api::start(small()).await;
    let (_, listed) = api.get("Attachment?ticket_id=1").await;
    let names: Vec<&str> = listed["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["filename"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["network-diagram.png", "notes.txt"]);
    let (_, listed) = api.get("Attachment?ticket_id=2").await;
    let evil: &Value = &listed["attachments"][0];
    assert_eq!(evil["filename"], "../../evil.sh");
    let resp = download(&api, evil["id"].as_i64().unwrap()).await;
    assert_eq!(
        header(&resp, "content-disposition"),
        "attachment; filename=\"../../evil.sh\"; filename*=UTF-8''..%2F..%2Fevil.sh"
    );
    assert!(resp.bytes().await.unwrap().starts_with(b"#!/bin/sh\n"));
    let png = download(&api, 1).await;
    assert_eq!(header(&png, "content-type"), "image/png");
    assert!(png.bytes().await.unwrap().starts_with(b"\x89PNG"));
}

#[tokio::test]
async fn a_cut_connection_cuts_a_download_too() {
    let api = Api::start(config()).await;
    let data = random_bytes(MIB);
    let (status, saved) = api
        .post(
            "Attachment",
            &json!([{"ticket_id": 1, "filename": "big.bin", "data_base64": STANDARD.encode(&data)}]),
        )
        .await;
    assert_eq!(status, 200);
    api.sb.set_faults(Faults {
        reset_rate: 1.0,
        ..Faults::default()
    });
    let got = match http()
        .get(api.url(&format!("Attachment/{}", saved["id"])))
        .bearer_auth(&api.token)
        .send()
        .await
    {
        Err(_) => None,
        Ok(resp) => resp.bytes().await.ok(),
    };
    assert!(got.is_none(), "a cut download never arrives whole");
    assert!(api.sb.stats().faults >= 1);
}
