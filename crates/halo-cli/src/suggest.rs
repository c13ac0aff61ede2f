//! "Did you mean": a mistyped command or verb gets at most three suggestions, the commands'
//! own names before their aliases (clap's own list offers every alias it finds similar).

use clap::Command;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use std::ffi::OsString;

/// At most this many suggestions.
const MOST: usize = 3;

/// `err` with better suggestions when it is an unknown subcommand of `cmd` (built, as clap
/// leaves it after parsing) on `args`; otherwise `err` as it is.
pub fn improve(err: clap::Error, cmd: &Command, args: &[OsString]) -> clap::Error {
    if err.kind() != ErrorKind::InvalidSubcommand {
        return err;
    }
    let Some(ContextValue::String(word)) = err.get(ContextKind::InvalidSubcommand).cloned() else {
        return err;
    };
    let Some(level) = level_of(cmd, args, &word) else {
        return err;
    };
    let suggestions = suggestions(level, &word);
    let mut better = clap::Error::new(ErrorKind::InvalidSubcommand).with_cmd(level);
    better.insert(ContextKind::InvalidSubcommand, ContextValue::String(word));
    if !suggestions.is_empty() {
        better.insert(
            ContextKind::SuggestedSubcommand,
            ContextValue::Strings(suggestions),
        );
    }
    better.insert(
        ContextKind::Usage,
        ContextValue::StyledStr(level.clone().render_usage()),
    );
    better
}

/// The command whose subcommand `word` was meant to be: the one reached by the words
/// before it.
fn level_of<'a>(root: &'a Command, args: &[OsString], word: &str) -> Option<&'a Command> {
    let mut level = root;
    for arg in args.iter().skip(1) {
        let arg = arg.to_string_lossy();
        if arg == word {
            return Some(level);
        }
        if let Some(sub) = level.find_subcommand(arg.as_ref()) {
            level = sub;
        }
    }
    None
}

/// Up to [`MOST`] names of `level`'s subcommands close to `word`: by edit distance, a
/// command's own name before one reached through its alias, each command once.
fn suggestions(level: &Command, word: &str) -> Vec<String> {
    let wanted = word.to_lowercase();
    let limit = (wanted.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, bool, String)> = Vec::new();
    for sub in level.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name();
        let by_name = strsim::osa_distance(&wanted, name);
        let by_alias = sub
            .get_all_aliases()
            .map(|a| strsim::osa_distance(&wanted, &a.to_lowercase()))
            .min();
        let (distance, through_alias) = match by_alias {
            Some(a) if a < by_name => (a, true),
            _ => (by_name, false),
        };
        let prefix = name.starts_with(&wanted) && wanted.len() >= 3;
        if distance <= limit || prefix {
            scored.push((
                if prefix { 0 } else { distance },
                through_alias,
                name.to_string(),
            ));
        }
    }
    scored.sort();
    scored.into_iter().take(MOST).map(|(_, _, n)| n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suggested(line: &str) -> Vec<String> {
        let args: Vec<OsString> = line.split(' ').map(OsString::from).collect();
        let mut cmd = crate::cli::command();
        let err = cmd.try_get_matches_from_mut(&args).unwrap_err();
        let err = improve(err, &cmd, &args);
        assert_eq!(err.kind(), ErrorKind::InvalidSubcommand, "{line}");
        match err.get(ContextKind::SuggestedSubcommand) {
            Some(ContextValue::Strings(s)) => s.clone(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn typos_get_at_most_three_visible_names() {
        let tikets = suggested("halo tikets");
        assert_eq!(
            tikets.first().map(String::as_str),
            Some("tickets"),
            "{tikets:?}"
        );
        assert!(tikets.len() <= MOST, "{tikets:?}");
        let gte = suggested("halo tickets gte");
        assert_eq!(gte.first().map(String::as_str), Some("get"), "{gte:?}");
        let clints = suggested("halo clints");
        assert_eq!(
            clints.first().map(String::as_str),
            Some("clients"),
            "{clints:?}"
        );
        assert!(
            !clints.iter().any(|c| c == "Client" || c == "client"),
            "{clints:?}"
        );
        assert!(suggested("halo zzzzzzzz").is_empty());
    }
}
