//! Authorisation: discovery, grants, and the token lifecycle.

mod token;
pub mod wire;

pub(crate) use token::TokenManager;
pub use token::{CachedToken, TokenEndpoint, TokenStore};
