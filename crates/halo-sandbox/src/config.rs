//! Configuration of a sandbox instance: its OAuth clients, its agents, its tenant and token policy.

use std::fmt;
use std::time::Duration;

/// How a [`crate::Sandbox`] behaves.
#[derive(Clone)]
pub struct SandboxConfig {
    /// Registered API applications.
    pub clients: Vec<SandboxClient>,
    /// Agents that may log in with the password grant.
    pub users: Vec<SandboxUser>,
    /// Tenant required on token requests; `None` accepts (and ignores) any tenant.
    pub tenant: Option<String>,
    /// Lifetime of access tokens.
    pub token_ttl: Duration,
    /// When true, each refresh issues a new refresh token and revokes the old one.
    pub rotate_refresh_tokens: bool,
    /// When false, `GET /api/authinfo` answers 404.
    pub authinfo_enabled: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            clients: vec![SandboxClient {
                id: "halo-sandbox-client".into(),
                secret: Some("halo-sandbox-secret".into()),
                allowed_scopes: None,
            }],
            users: vec![SandboxUser {
                username: "agent@sandbox.local".into(),
                password: "sandbox-password".into(),
                agent_id: 2,
                name: "Sandbox Agent".into(),
            }],
            tenant: Some("sandbox".into()),
            token_ttl: Duration::from_secs(3600),
            rotate_refresh_tokens: false,
            authinfo_enabled: true,
        }
    }
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("clients", &self.clients)
            .field("users", &self.users)
            .field("tenant", &self.tenant)
            .field("token_ttl", &self.token_ttl)
            .field("rotate_refresh_tokens", &self.rotate_refresh_tokens)
            .field("authinfo_enabled", &self.authinfo_enabled)
            .finish()
    }
}

/// A registered API application.
#[derive(Clone, PartialEq, Eq)]
pub struct SandboxClient {
    /// The `client_id`.
    pub id: String,
    /// The `client_secret`; a client without one cannot use `client_credentials`.
    pub secret: Option<String>,
    /// Scopes this client may request (`offline_access` is always allowed); `None` means any.
    pub allowed_scopes: Option<Vec<String>>,
}

impl fmt::Debug for SandboxClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxClient")
            .field("id", &self.id)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field("allowed_scopes", &self.allowed_scopes)
            .finish()
    }
}

/// An agent who can log in with the password grant.
#[derive(Clone, PartialEq, Eq)]
pub struct SandboxUser {
    /// Login name (also reported as the agent's email).
    pub username: String,
    /// Password.
    pub password: String,
    /// The agent's id.
    pub agent_id: i64,
    /// The agent's display name.
    pub name: String,
}

impl fmt::Debug for SandboxUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxUser")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("agent_id", &self.agent_id)
            .field("name", &self.name)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let shown = format!("{:?}", SandboxConfig::default());
        assert!(!shown.contains("halo-sandbox-secret"), "{shown}");
        assert!(!shown.contains("sandbox-password"), "{shown}");
        assert!(shown.contains("halo-sandbox-client"), "{shown}");
    }
}
