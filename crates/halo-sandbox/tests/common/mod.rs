//! Raw-HTTP helpers for the sandbox tests (no client library: these check the sandbox alone).
// Each test binary uses a different part of these helpers.
#![allow(dead_code)]

use halo_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;

pub fn small() -> SandboxConfig {
    SandboxConfig {
        seed_tickets: 60,
        ..SandboxConfig::default()
    }
}

pub fn http() -> reqwest::Client {
    reqwest::Client::new()
}

/// A client-credentials token request for `scope`.
pub async fn request_token(sb: &Sandbox, scope: &str) -> reqwest::Result<reqwest::Response> {
    http()
        .post(format!("{}/auth/token?tenant=sandbox", sb.url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "halo-sandbox-client"),
            ("client_secret", "halo-sandbox-secret"),
            ("scope", scope),
        ])
        .send()
        .await
}

/// A token with `scope`, by the client-credentials grant.
pub async fn token(sb: &Sandbox, scope: &str) -> String {
    let resp = request_token(sb, scope).await.unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

/// A started sandbox and an all-scope token.
pub struct Api {
    pub sb: Sandbox,
    pub token: String,
}

impl Api {
    pub async fn start(config: SandboxConfig) -> Api {
        let sb = Sandbox::start(config).await.unwrap();
        let token = token(&sb, "all").await;
        Api { sb, token }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api/{}", self.sb.url(), path.trim_start_matches('/'))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let resp = http()
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        decode(resp).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let resp = http()
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap();
        decode(resp).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        let resp = http()
            .delete(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        decode(resp).await
    }

    /// Every row of a wrapped, paged list, walked page by page.
    pub async fn count(&self, path: &str) -> u64 {
        let sep = if path.contains('?') { '&' } else { '?' };
        let (status, body) = self
            .get(&format!("{path}{sep}pageinate=true&page_size=1"))
            .await;
        assert_eq!(status, 200, "{body}");
        body["record_count"].as_u64().unwrap()
    }
}

pub async fn decode(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}
