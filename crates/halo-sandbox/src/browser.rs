//! A browser's part of a sign-in at the sandbox, for tests and the demo: the sign-in page of
//! an authorize URL, the agent's name and password, the consent, and the redirect's
//! `Location` (not followed: it is the client's listener that receives it).

use url::Url;

/// The answer given on the consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Grant the application access.
    Allow,
    /// Refuse it (`error=access_denied`).
    Deny,
}

/// What went wrong on the way through the pages.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrowserError {
    /// A request failed.
    #[error("the sign-in request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// A page was not what a sign-in shows (wrong password, unknown client...).
    #[error("the sign-in stopped at HTTP {status}: {text}")]
    Page {
        /// The status of the page.
        status: u16,
        /// Its text, tags and all, cut.
        text: String,
    },
}

/// Goes through the sandbox's sign-in at `authorize_url` as `username` with `password`,
/// answering the consent with `decision`: the URL the browser is sent back to.
pub async fn sign_in(
    authorize_url: &str,
    username: &str,
    password: &str,
    decision: Decision,
) -> Result<Url, BrowserError> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let sign_in_page = page(http.get(authorize_url).send().await?).await?;
    let action = Url::parse(authorize_url)
        .and_then(|u| u.join("/auth/authorize"))
        .map_err(|e| BrowserError::Page {
            status: 0,
            text: e.to_string(),
        })?;
    let consent = page(
        http.post(action.clone())
            .form(&[
                ("request", hidden(&sign_in_page, "request")?),
                ("username", username.to_string()),
                ("password", password.to_string()),
            ])
            .send()
            .await?,
    )
    .await?;
    let answer = match decision {
        Decision::Allow => "allow",
        Decision::Deny => "deny",
    };
    let back = http
        .post(action)
        .form(&[
            ("request", hidden(&consent, "request")?),
            ("decision", answer.to_string()),
        ])
        .send()
        .await?;
    let status = back.status().as_u16();
    let location = back
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Url::parse(v).ok());
    match location {
        Some(url) if status == 302 => Ok(url),
        _ => Err(BrowserError::Page {
            status,
            text: cut(&back.text().await.unwrap_or_default()),
        }),
    }
}

/// A page's text, when it answered 200.
async fn page(resp: reqwest::Response) -> Result<String, BrowserError> {
    let status = resp.status().as_u16();
    let text = resp.text().await?;
    if status != 200 {
        return Err(BrowserError::Page {
            status,
            text: cut(&text),
        });
    }
    Ok(text)
}

/// The value of the hidden input `name` of a page (the sign-in's request id).
fn hidden(page: &str, name: &str) -> Result<String, BrowserError> {
    let marker = format!("<input type=\"hidden\" name=\"{name}\" value=\"");
    page.find(&marker)
        .map(|at| at + marker.len())
        .and_then(|start| Some(page[start..start + page[start..].find('"')?].to_string()))
        .ok_or_else(|| BrowserError::Page {
            status: 200,
            text: cut(page),
        })
}

fn cut(text: &str) -> String {
    text.chars().take(300).collect()
}
