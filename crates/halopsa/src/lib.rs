//! `halopsa`: a client for the Halo REST API (HaloPSA, HaloITSM and HaloCRM share one API).
//!
//! ```no_run
//! use halopsa::{ApiRequest, Client, ConnectionSettings, Grant};
//! use secrecy::SecretString;
//!
//! # async fn run() -> Result<(), halopsa::Error> {
//! let settings = ConnectionSettings::new(
//!     "https://acme.halopsa.com",
//!     "my-client-id",
//!     Grant::ClientCredentials { client_secret: SecretString::from("my-secret") },
//! )?
//! .with_scopes(["read:tickets"])?;
//! let client = Client::new(settings)?;
//! let report = client.test_connection().await?;
//! println!("connected as {:?}", report.agent);
//! let me: serde_json::Value = client.get_json(&ApiRequest::get("Agent/me")).await?;
//! # let _ = me;
//! # Ok(())
//! # }
//! ```

pub mod attachments;
pub mod auth;
pub mod bulk;
mod client;
pub mod custom_fields;
pub mod error;
pub mod fields;
pub mod filter;
pub mod id;
pub mod limiter;
pub mod list;
pub mod models;
pub mod paging;
pub mod raw;
pub mod redact;
mod reply;
pub mod reports;
pub mod resource;
mod resource_client;
pub mod retry;
pub mod settings;
pub mod sql;
pub mod stable_hash;
pub mod transfer;
mod typed;

pub use attachments::{Attachments, Download, Upload};
pub use client::{
    AgentIdentity, ApiRequest, ApiResponse, Client, ClientBuilder, ClientStats, ConnectionReport,
    DEFAULT_USER_AGENT, Wait,
};
pub use custom_fields::{CfError, CfKind, Definitions, FieldDef, Where};
pub use error::{ApiError, AuthError, Error, Operation};
pub use fields::{Field, FieldKind, UnknownField};
pub use filter::{ListParams, Param, ParamKind, UnknownFilter};
pub use id::Id;
pub use list::ListRow;
pub use reply::DEFAULT_MAX_RESPONSE;
pub use resource_client::{ListOptions, PageRows, ResourceClient, ResumePoint, WalkReport};
pub use settings::{ConnectionSettings, Grant};
pub use typed::Typed;

/// Re-exported so callers can build settings and requests without naming these crates.
pub use reqwest::Method;
pub use secrecy;
