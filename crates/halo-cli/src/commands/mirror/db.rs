//! Which database a mirror command uses: `--db`, else `HALO_MIRROR_DB`, else the profile's
//! stored `mirror` setting, else `mirror-PROFILE.sqlite` in halo's data directory
//! (`HALO_DATA_DIR`, else the platform's: `~/.local/share/halo` on Linux).

use crate::config::Config;
use crate::context::Context;
use crate::exit::Failure;
use anyhow::{Context as _, Result};
use halo_mirror::Target;
use std::path::PathBuf;

// The database flag every mirror command takes. (No doc comment: clap would make it the
// description of every command that flattens this.)
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DbFlag {
    /// The mirror: a SQLite file, or postgres://USER@HOST/DB (default: one SQLite file per
    /// profile in halo's data directory; HALO_MIRROR_DB or the profile's `mirror` setting
    /// choose another).
    #[arg(long, value_name = "PATH|URL")]
    pub db: Option<String>,
}

/// halo's data directory: `HALO_DATA_DIR`, else the platform's data directory plus `halo`.
pub fn data_dir(ctx: &Context) -> Result<PathBuf> {
    if let Some(dir) = ctx.env().var("HALO_DATA_DIR") {
        return Ok(PathBuf::from(dir));
    }
    use etcetera::BaseStrategy;
    let base = etcetera::choose_base_strategy()
        .context("cannot find the home directory: set HALO_DATA_DIR or give --db")?;
    Ok(base.data_dir().join("halo"))
}

/// The mirror `flag` (with `profile`, `--profile`) means.
pub fn target(ctx: &Context, profile: Option<&str>, flag: &DbFlag) -> Result<Target> {
    let text = match (&flag.db, ctx.env().var("HALO_MIRROR_DB")) {
        (Some(db), _) => db.clone(),
        (None, Some(db)) => db,
        (None, None) => {
            let config = Config::load(ctx.config_dir()?)?;
            let name = config.profile_name(profile);
            match config
                .file
                .profiles
                .get(&name)
                .and_then(|p| p.mirror.clone())
            {
                Some(db) => db,
                None => data_dir(ctx)?
                    .join(format!("mirror-{name}.sqlite"))
                    .to_string_lossy()
                    .into_owned(),
            }
        }
    };
    Target::parse(&text).map_err(|e| Failure::usage(e.to_string()))
}

/// Makes the directory a SQLite mirror goes in (the first `halo sync` into the default place).
pub fn make_room(target: &Target) -> Result<()> {
    if let Target::Sqlite(path) = target
        && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    Ok(())
}
