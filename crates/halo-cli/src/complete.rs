//! Shell completion by clap_complete's dynamic engine: the script a shell sources is a few
//! lines that ask `halo` itself (`COMPLETE=bash halo -- ...`) what may come next, so it stays
//! small and knows what halo knows at that moment: profile names, resources, verbs, every
//! filter flag of a resource and the names `--filter` takes.

use crate::context::{Context, Env};
use anyhow::Result;
use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};
use std::ffi::OsStr;

/// The environment variable that turns a run of `halo` into a completion request.
pub const VAR: &str = "COMPLETE";

/// Answers a completion request when `COMPLETE` names a shell (and exits), else returns.
pub fn answer_if_asked() {
    clap_complete::CompleteEnv::with_factory(crate::cli::command)
        .var(VAR)
        .complete();
}

/// Prints the script `shell` sources to complete `halo` (it calls this binary back).
pub fn registration(ctx: &mut Context, shell: clap_complete::Shell) -> Result<()> {
    let completer: &dyn EnvCompleter = match shell {
        clap_complete::Shell::Bash => &Bash,
        clap_complete::Shell::Zsh => &Zsh,
        clap_complete::Shell::Fish => &Fish,
        clap_complete::Shell::PowerShell => &Powershell,
        clap_complete::Shell::Elvish => &Elvish,
        other => anyhow::bail!("no completion for {other}"),
    };
    let binary = std::env::current_exe()
        .ok()
        .and_then(|p| p.to_str().map(str::to_string))
        .unwrap_or_else(|| "halo".to_string());
    completer.write_registration(VAR, "halo", "halo", &binary, ctx.io.out())?;
    Ok(())
}

/// The stored profiles, for `--profile`.
pub fn profiles() -> Vec<CompletionCandidate> {
    let env = Env::default();
    let Ok(dir) = crate::config::config_dir(&env) else {
        return Vec::new();
    };
    let Ok(config) = crate::config::Config::load(dir) else {
        return Vec::new();
    };
    config
        .file
        .profiles
        .iter()
        .map(|(name, p)| CompletionCandidate::new(name).help(Some(p.url.clone().into())))
        .collect()
}

/// The filter names of `GET /{path}`, as `NAME=` for `--filter`.
pub fn filter_names(path: String) -> ArgValueCompleter {
    ArgValueCompleter::new(move |current: &OsStr| {
        let typed = current.to_string_lossy();
        halopsa::filter::params_for("GET", &path)
            .unwrap_or(&[])
            .iter()
            .filter(|p| !halopsa::paging::is_paging_param(p.name))
            .filter(|p| p.name.starts_with(typed.as_ref()))
            .map(|p| {
                let help = crate::commands::resource::filters::describe(p);
                CompletionCandidate::new(format!("{}=", p.name)).help(Some(help.into()))
            })
            .collect::<Vec<_>>()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap_complete::engine::complete;
    use std::ffi::OsString;

    fn completions(line: &str) -> Vec<String> {
        let mut cmd = crate::cli::command();
        let args: Vec<OsString> = line.split(' ').map(OsString::from).collect();
        let index = args.len() - 1;
        complete(&mut cmd, args, index, None)
            .unwrap()
            .into_iter()
            .map(|c| c.get_value().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn resources_verbs_and_filters_complete() {
        assert!(completions("halo tick").contains(&"tickets".to_string()));
        let verbs = completions("halo tickets ");
        for verb in ["list", "get", "note", "close"] {
            assert!(verbs.contains(&verb.to_string()), "{verbs:?}");
        }
        let flags = completions("halo tickets list --open");
        assert!(flags.contains(&"--open-only".to_string()), "{flags:?}");
        let names = completions("halo tickets list --filter order");
        assert!(names.contains(&"orderdesc=".to_string()), "{names:?}");
    }

    #[test]
    fn the_bash_script_is_small() {
        let (mut ctx, printed) = Context::test();
        registration(&mut ctx, clap_complete::Shell::Bash).unwrap();
        let script = printed.out();
        assert!(script.contains("COMPLETE"), "{script}");
        assert!(script.len() < 20 * 1024, "{} bytes", script.len());
    }
}
