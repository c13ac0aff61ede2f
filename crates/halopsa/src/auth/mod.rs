//! Authorisation: discovery, grants, the token lifecycle, and a browser sign-in's parts.

pub mod pkce;
mod token;
pub mod wire;

pub(crate) use token::TokenManager;
pub use token::{CachedToken, TokenEndpoint, TokenStore};
