//! What an export does with `--out`, decided from what is there and what was asked, before
//! anything is fetched. Pure: every case is a unit test.

use std::path::PathBuf;

/// What `--out` names, as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    /// No `--out`: standard output.
    Stdout,
    /// An empty name.
    Empty,
    /// Nothing there yet, in a directory that exists.
    Missing(PathBuf),
    /// A name whose directory does not exist.
    NoDirectory(PathBuf),
    /// A regular file.
    File(PathBuf),
    /// A directory.
    Directory(PathBuf),
    /// A FIFO or a character device: written through.
    Stream(PathBuf),
    /// Anything else (a socket, a block device), named.
    Special(PathBuf, &'static str),
}

/// What the command line asked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Asked {
    /// `--force`.
    pub force: bool,
    /// `--resume`.
    pub resume: bool,
    /// `--reconcile`.
    pub reconcile: bool,
}

/// What the export will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Write to standard output.
    Stdout,
    /// Write straight through to a FIFO or device.
    Stream(PathBuf),
    /// Write a file through its partial file: a new export, replacing the file when
    /// `replace`, and taking over a partial file left behind when `take_over`.
    Fresh {
        /// The file.
        out: PathBuf,
        /// Whether a file is there to be replaced.
        replace: bool,
        /// Whether an interrupted export's partial file is to be started over.
        take_over: bool,
    },
    /// Continue the interrupted export of a file.
    Resume(PathBuf),
}

/// The plan for `out`, with an interrupted export's partial file there or not; or why the
/// command is refused (a usage error).
pub fn decide(out: Out, partial_exists: bool, asked: Asked) -> Result<Plan, String> {
    let needs_file = |what: &str| {
        (asked.resume || asked.reconcile)
            .then(|| format!("{what} is not a regular file: --resume and --reconcile need one"))
    };
    let (path, exists) = match out {
        Out::Stdout => {
            return match needs_file("standard output") {
                Some(refusal) => Err(refusal),
                None => Ok(Plan::Stdout),
            };
        }
        Out::Empty => return Err("--out needs a file name".into()),
        Out::NoDirectory(p) => {
            let dir = p
                .parent()
                .map(|d| d.display().to_string())
                .unwrap_or_default();
            return Err(format!(
                "--out {}: the directory {dir} does not exist",
                p.display()
            ));
        }
        Out::Directory(p) => {
            return Err(format!(
                "--out {} is a directory: name a file in it",
                p.display()
            ));
        }
        Out::Special(p, kind) => {
            return Err(format!(
                "--out {} is {kind}: refused (name a regular file, a FIFO or a character device)",
                p.display()
            ));
        }
        Out::Stream(p) => {
            return match needs_file(&p.display().to_string()) {
                Some(refusal) => Err(refusal),
                None => Ok(Plan::Stream(p)),
            };
        }
        Out::Missing(p) => (p, false),
        Out::File(p) => (p, true),
    };
    if exists && !asked.force {
        return Err(format!(
            "{} exists: choose another --out, or --force to replace it",
            path.display()
        ));
    }
    if asked.resume {
        return if partial_exists {
            Ok(Plan::Resume(path))
        } else {
            Err(format!(
                "nothing to resume: no interrupted export of {} (start it without --resume)",
                path.display()
            ))
        };
    }
    if partial_exists && !asked.force {
        return Err(format!(
            "an interrupted export of {} exists: --resume to continue it, or --force to start over",
            path.display()
        ));
    }
    Ok(Plan::Fresh {
        out: path,
        replace: exists,
        take_over: partial_exists,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> PathBuf {
        PathBuf::from("t.ndjson")
    }

    const NONE: Asked = Asked {
        force: false,
        resume: false,
        reconcile: false,
    };
    const FORCE: Asked = Asked {
        force: true,
        ..NONE
    };
    const RESUME: Asked = Asked {
        resume: true,
        ..NONE
    };

    #[test]
    fn a_new_file_is_a_fresh_export() {
        assert_eq!(
            decide(Out::Missing(p()), false, NONE),
            Ok(Plan::Fresh {
                out: p(),
                replace: false,
                take_over: false
            })
        );
    }

    #[test]
    fn an_existing_file_needs_force_even_to_resume() {
        assert!(
            decide(Out::File(p()), false, NONE)
                .unwrap_err()
                .contains("--force")
        );
        assert!(decide(Out::File(p()), true, RESUME).is_err());
        assert_eq!(
            decide(Out::File(p()), false, FORCE),
            Ok(Plan::Fresh {
                out: p(),
                replace: true,
                take_over: false
            })
        );
        let both = Asked {
            force: true,
            resume: true,
            ..NONE
        };
        assert_eq!(decide(Out::File(p()), true, both), Ok(Plan::Resume(p())));
    }

    #[test]
    fn an_interrupted_export_is_resumed_or_started_over_never_silently_replaced() {
        let refusal = decide(Out::Missing(p()), true, NONE).unwrap_err();
        assert!(
            refusal.contains("--resume") && refusal.contains("--force"),
            "{refusal}"
        );
        assert_eq!(
            decide(Out::Missing(p()), true, RESUME),
            Ok(Plan::Resume(p()))
        );
        assert_eq!(
            decide(Out::Missing(p()), true, FORCE),
            Ok(Plan::Fresh {
                out: p(),
                replace: false,
                take_over: true
            })
        );
        assert!(
            decide(Out::Missing(p()), false, RESUME)
                .unwrap_err()
                .contains("nothing to resume")
        );
    }

    #[test]
    fn names_that_are_no_file_are_refused_or_written_through() {
        assert!(decide(Out::Empty, false, FORCE).is_err());
        assert!(
            decide(Out::Directory(p()), false, FORCE)
                .unwrap_err()
                .contains("directory")
        );
        assert!(
            decide(Out::NoDirectory(p()), false, FORCE)
                .unwrap_err()
                .contains("does not exist")
        );
        assert!(
            decide(Out::Special(p(), "a socket"), false, FORCE)
                .unwrap_err()
                .contains("a socket")
        );
        assert_eq!(
            decide(Out::Stream(p()), false, FORCE),
            Ok(Plan::Stream(p()))
        );
        assert!(decide(Out::Stream(p()), false, RESUME).is_err());
        assert_eq!(decide(Out::Stdout, false, NONE), Ok(Plan::Stdout));
        let reconcile = Asked {
            reconcile: true,
            ..NONE
        };
        assert!(decide(Out::Stdout, false, reconcile).is_err());
    }
}
