//! `halo profile list | use | show | remove`: stored connections.

mod list;
mod remove;
mod show;
mod switch;

use crate::commands::Globals;
use crate::config::GrantKind;
use crate::context::Context;
use anyhow::Result;

/// `halo profile ...`.
#[derive(Debug, clap::Subcommand)]
pub enum ProfileCommand {
    /// List stored profiles.
    List,
    /// Make a profile the current one.
    Use {
        /// Profile name.
        name: String,
    },
    /// Show a profile (never its secrets).
    Show {
        /// Profile name (default: the current one).
        name: Option<String>,
    },
    /// Remove a profile, its secrets and its cached token.
    Remove {
        /// Profile name.
        name: String,
    },
}

/// Runs a profile subcommand.
pub fn run(ctx: &mut Context, globals: &Globals, cmd: ProfileCommand) -> Result<()> {
    match cmd {
        ProfileCommand::List => list::run(ctx, globals),
        ProfileCommand::Use { name } => switch::run(ctx, &name),
        ProfileCommand::Show { name } => {
            show::run(ctx, name.as_deref().or(globals.profile.as_deref()))
        }
        ProfileCommand::Remove { name } => remove::run(ctx, &name),
    }
}

/// The grant's wire name.
fn grant_name(g: GrantKind) -> &'static str {
    match g {
        GrantKind::ClientCredentials => "client_credentials",
        GrantKind::Password => "password",
        GrantKind::AuthorizationCode => "authorization_code",
    }
}
