//! The one read-only rule for SQL sent to Halo's reporting database (`POST /Report` with
//! `_loadreportonly`): a single `SELECT` / `WITH ... SELECT` of at most [`MAX_SQL_CHARS`]
//! characters, checked before anything is sent. Used by `halo sql`, the sandbox's SQL engine
//! and any other caller, so the rule exists once.

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, ObjectName, Statement, TableFactor, Visit, Visitor};
use sqlparser::dialect::MsSqlDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, Tokenizer};

/// Halo's statement length limit where known (reference §11: 8,000 characters).
pub const MAX_SQL_CHARS: usize = 8_000;

/// What the rule allows, for every message.
const ALLOWED: &str = "only one read-only query (SELECT or WITH ... SELECT) is allowed";

/// Why a statement is refused before it is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SqlRefusal {
    /// Nothing but whitespace, comments or `;`.
    #[error("refused: the statement is empty; {ALLOWED}")]
    Empty,
    /// Over the length limit.
    #[error("refused: the statement has {chars} characters, more than Halo's {max}; {ALLOWED}")]
    TooLong {
        /// Characters in the statement.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// Several statements.
    #[error("refused: {0} statements; {ALLOWED}")]
    Several(usize),
    /// A statement that is not a query (`EXEC`, `DECLARE`, `SET`...), named by its keyword.
    #[error("refused: {0} is not a query; {ALLOWED}")]
    NotAQuery(String),
    /// Something that changes the database (`DELETE`, `DROP`, `SELECT INTO`...).
    #[error("refused: {0} changes data; {ALLOWED}")]
    Writes(String),
    /// A table function that reaches outside the database (`OPENROWSET`...).
    #[error("refused: {0} reads outside the reporting database; {ALLOWED}")]
    Outside(String),
    /// The statement cannot even be split into tokens (an unterminated string or comment).
    #[error("refused: the statement cannot be read ({0}); {ALLOWED}")]
    Unreadable(String),
}

/// Keywords that change the database.
const WRITE_WORDS: &[&str] = &[
    "INSERT",
    "UPDATE",
    "DELETE",
    "MERGE",
    "DROP",
    "ALTER",
    "CREATE",
    "TRUNCATE",
    "GRANT",
    "REVOKE",
    "DENY",
    "INTO",
    "BACKUP",
    "RESTORE",
    "BULK",
    "DBCC",
    "RECONFIGURE",
    "UPSERT",
    "REPLACE_INTO",
];
/// Keywords of statements that are not queries, or that control the server.
const CONTROL_WORDS: &[&str] = &[
    "EXEC",
    "EXECUTE",
    "SHUTDOWN",
    "KILL",
    "WAITFOR",
    "DECLARE",
    "SET",
    "USE",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SAVE",
    "GOTO",
    "PRINT",
    "RAISERROR",
    "THROW",
    "OPEN",
    "FETCH",
    "CLOSE",
    "DEALLOCATE",
    "CHECKPOINT",
    "READTEXT",
    "WRITETEXT",
    "UPDATETEXT",
    "REVERT",
    "SETUSER",
    "CALL",
];
/// Table functions that read other servers or files.
const OUTSIDE_WORDS: &[&str] = &["OPENROWSET", "OPENQUERY", "OPENDATASOURCE", "OPENXML"];

/// Refuses anything but one read-only query (SELECT / WITH ... SELECT), before anything is sent.
///
/// A statement `sqlparser` cannot parse (it lacks some T-SQL) is not refused for that alone:
/// its tokens are checked instead (first keyword `SELECT` or `WITH`, one statement, no write
/// or control keyword outside strings, comments and quoted names), and Halo answers any
/// syntax error itself.
pub fn check(sql: &str) -> Result<(), SqlRefusal> {
    let chars = sql.chars().count();
    if chars > MAX_SQL_CHARS {
        return Err(SqlRefusal::TooLong {
            chars,
            max: MAX_SQL_CHARS,
        });
    }
    match Parser::parse_sql(&MsSqlDialect {}, sql) {
        Ok(statements) => match statements.as_slice() {
            [] => Err(SqlRefusal::Empty),
            [Statement::Query(_)] => check_statement(&statements[0]),
            // Named as written (`EXEC`, not the parser's `EXECUTE`).
            [other] => Err(not_a_query(
                first_word(sql)
                    .filter(|w| w != "WITH")
                    .unwrap_or_else(|| kind(other)),
            )),
            several => Err(SqlRefusal::Several(several.len())),
        },
        Err(_) => check_tokens(sql),
    }
}

/// Parses one statement in the MS SQL dialect (Halo's reporting database is SQL Server).
pub fn parse(sql: &str) -> Result<Statement, ParserError> {
    let mut statements = Parser::parse_sql(&MsSqlDialect {}, sql)?;
    match statements.len() {
        1 => Ok(statements.remove(0)),
        n => Err(ParserError::ParserError(format!(
            "expected one statement, found {n}"
        ))),
    }
}

/// The upper-cased first word of a statement as printed (`DELETE`, `EXECUTE`...).
fn kind(statement: &Statement) -> String {
    let text = statement.to_string();
    text.split_whitespace()
        .next()
        .unwrap_or("statement")
        .to_uppercase()
}

/// The upper-cased first word of `sql`, outside comments.
fn first_word(sql: &str) -> Option<String> {
    let tokens = Tokenizer::new(&MsSqlDialect {}, sql).tokenize().ok()?;
    tokens.into_iter().find_map(|t| match t {
        Token::Word(w) => Some(w.value.to_uppercase()),
        _ => None,
    })
}

/// A refusal for a statement that is not a query, by its keyword.
fn not_a_query(word: String) -> SqlRefusal {
    if WRITE_WORDS.contains(&word.as_str()) {
        SqlRefusal::Writes(word)
    } else {
        SqlRefusal::NotAQuery(word)
    }
}

fn check_statement(statement: &Statement) -> Result<(), SqlRefusal> {
    match statement.visit(&mut ReadOnly) {
        ControlFlow::Break(refusal) => Err(refusal),
        ControlFlow::Continue(()) => Ok(()),
    }
}

/// Walks a parsed statement: every statement in it a query (a CTE or set operation can hold
/// an `INSERT` in some dialects), no `SELECT INTO`, no table function reaching outside.
struct ReadOnly;

impl ReadOnly {
    fn outside(name: &ObjectName) -> ControlFlow<SqlRefusal> {
        let last = name
            .0
            .last()
            .and_then(|part| part.as_ident())
            .map(|ident| ident.value.to_uppercase());
        match last {
            Some(word) if OUTSIDE_WORDS.contains(&word.as_str()) => {
                ControlFlow::Break(SqlRefusal::Outside(word))
            }
            _ => ControlFlow::Continue(()),
        }
    }
}

impl Visitor for ReadOnly {
    type Break = SqlRefusal;

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<SqlRefusal> {
        match statement {
            Statement::Query(_) => ControlFlow::Continue(()),
            other => ControlFlow::Break(not_a_query(kind(other))),
        }
    }

    fn pre_visit_select(&mut self, select: &sqlparser::ast::Select) -> ControlFlow<SqlRefusal> {
        // SELECT ... INTO creates a table.
        if select.into.is_some() {
            return ControlFlow::Break(SqlRefusal::Writes("SELECT INTO".into()));
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<SqlRefusal> {
        match factor {
            TableFactor::Table { name, .. } | TableFactor::Function { name, .. } => {
                ReadOnly::outside(name)
            }
            _ => ControlFlow::Continue(()),
        }
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<SqlRefusal> {
        match expr {
            Expr::Function(f) => ReadOnly::outside(&f.name),
            _ => ControlFlow::Continue(()),
        }
    }
}

/// The fallback for statements `sqlparser` cannot parse: the rule checked on tokens.
fn check_tokens(sql: &str) -> Result<(), SqlRefusal> {
    let tokens = Tokenizer::new(&MsSqlDialect {}, sql)
        .tokenize()
        .map_err(|e| SqlRefusal::Unreadable(e.message))?;
    let significant: Vec<&Token> = tokens
        .iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .collect();
    let first_word = significant.iter().find_map(|t| match t {
        Token::Word(w) => Some(w),
        _ => None,
    });
    let Some(first) = first_word else {
        return Err(SqlRefusal::Empty);
    };
    let first_upper = first.value.to_uppercase();
    if first.quote_style.is_some() || !matches!(first_upper.as_str(), "SELECT" | "WITH") {
        return Err(not_a_query(first_upper));
    }
    if let Some(semi) = significant.iter().position(|t| **t == Token::SemiColon) {
        let after = significant[semi + 1..]
            .iter()
            .filter(|t| **t != &Token::SemiColon)
            .count();
        if after > 0 {
            let statements = 1 + significant[semi..]
                .split(|t| **t == Token::SemiColon)
                .filter(|part| !part.is_empty())
                .count();
            return Err(SqlRefusal::Several(statements));
        }
    }
    for (i, token) in significant.iter().enumerate() {
        let Token::Word(word) = token else { continue };
        // Quoted names are names, and so is a part after a dot (`t.[Update]`, `t.Update`).
        if word.quote_style.is_some() || (i > 0 && *significant[i - 1] == Token::Period) {
            continue;
        }
        let upper = word.value.to_uppercase();
        if WRITE_WORDS.contains(&upper.as_str()) {
            let what = if upper == "INTO" {
                "SELECT INTO".to_string()
            } else {
                upper
            };
            return Err(SqlRefusal::Writes(what));
        }
        if CONTROL_WORDS.contains(&upper.as_str()) {
            return Err(SqlRefusal::NotAQuery(upper));
        }
        if OUTSIDE_WORDS.contains(&upper.as_str()) {
            return Err(SqlRefusal::Outside(upper));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn refused(sql: &str) -> SqlRefusal {
        check(sql).expect_err(sql)
    }

    #[test]
    fn read_only_queries_pass() {
        for sql in [
            "SELECT TOP 5 Faultid, Symptom FROM Faults ORDER BY Faultid DESC",
            "SELECT TOP (5) * FROM dbo.Faults WITH (NOLOCK)",
            "WITH x AS (SELECT Faultid FROM Faults) SELECT * FROM x",
            "SELECT [Faultid], [Symptom] FROM [Faults] WHERE [Status] <> 9",
            "SELECT Faultid FROM Faults UNION SELECT Faultid FROM Actions",
            "SELECT * FROM Faults WHERE Areaint IN (SELECT Aarea FROM Area WHERE Ainactive = 0)",
            "SELECT n FROM (SELECT COUNT(*) AS n FROM Faults) AS t",
            "SELECT 1;",
            "SELECT 1; ",
            "-- DROP TABLE Faults\nSELECT 1 /* DELETE FROM Faults */",
            "SELECT 'DROP' AS word, N'DELETE FROM x' FROM Faults",
            "SELECT t.[Update] FROM Faults t",
        ] {
            assert_eq!(check(sql), Ok(()), "{sql}");
        }
    }

    #[test]
    fn an_unparseable_select_is_left_to_halo() {
        let sql = "SELECT Faultid FROM Faults WHERE";
        assert!(parse(sql).is_err(), "sqlparser refuses it");
        assert_eq!(check(sql), Ok(()));
    }

    #[test]
    fn writes_and_other_statements_are_refused() {
        assert_eq!(
            refused("DELETE FROM Faults"),
            SqlRefusal::Writes("DELETE".into())
        );
        assert_eq!(
            refused("UPDATE Faults SET Symptom = 'x'"),
            SqlRefusal::Writes("UPDATE".into())
        );
        assert_eq!(
            refused("INSERT INTO Faults (Symptom) SELECT Symptom FROM Faults"),
            SqlRefusal::Writes("INSERT".into())
        );
        assert_eq!(
            refused("SELECT * INTO t FROM Faults"),
            SqlRefusal::Writes("SELECT INTO".into())
        );
        assert_eq!(
            refused("SELECT 1; DROP TABLE Faults"),
            SqlRefusal::Several(2)
        );
        assert_eq!(refused("EXEC sp_who"), SqlRefusal::NotAQuery("EXEC".into()));
        assert_eq!(
            refused("DECLARE @x int"),
            SqlRefusal::NotAQuery("DECLARE".into())
        );
        assert!(matches!(refused("DROP TABLE Faults"), SqlRefusal::Writes(k) if k == "DROP"));
        assert_eq!(
            refused("SELECT * FROM OPENROWSET('SQLNCLI', 'x', 'SELECT 1')"),
            SqlRefusal::Outside("OPENROWSET".into())
        );
        assert_eq!(refused(""), SqlRefusal::Empty);
        assert_eq!(refused(" -- nothing\n"), SqlRefusal::Empty);
    }

    #[test]
    fn the_fallback_refuses_keywords_outside_strings_and_names() {
        // Each fails to parse (a dangling WHERE), so the tokens decide.
        assert_eq!(
            refused("SELECT 1 WHERE; DELETE FROM Faults"),
            SqlRefusal::Several(2)
        );
        assert_eq!(
            refused("SELECT 1 WAITFOR DELAY '00:00:10' WHERE"),
            SqlRefusal::NotAQuery("WAITFOR".into())
        );
        assert_eq!(
            refused("SELECT * INTO t FROM Faults WHERE"),
            SqlRefusal::Writes("SELECT INTO".into())
        );
        assert_eq!(
            refused("EXECUTE sp_who WHERE ("),
            SqlRefusal::NotAQuery("EXECUTE".into())
        );
        assert_eq!(check("SELECT 'DELETE', [Drop] FROM Faults WHERE"), Ok(()));
        assert!(matches!(
            refused("SELECT 'unterminated"),
            SqlRefusal::Unreadable(_)
        ));
    }

    #[test]
    fn the_length_limit_counts_characters() {
        let at_limit = format!("SELECT '{}'", "é".repeat(MAX_SQL_CHARS - 9));
        assert_eq!(at_limit.chars().count(), MAX_SQL_CHARS);
        assert_eq!(check(&at_limit), Ok(()));
        let over = format!("{at_limit} ");
        assert_eq!(
            refused(&over),
            SqlRefusal::TooLong {
                chars: 8_001,
                max: MAX_SQL_CHARS
            }
        );
    }

    #[test]
    fn messages_are_one_line_naming_what_was_found() {
        let text = refused("DELETE FROM Faults").to_string();
        assert_eq!(
            text,
            "refused: DELETE changes data; only one read-only query (SELECT or WITH ... SELECT) is allowed"
        );
        assert!(!text.contains('\n'));
    }

    proptest! {
        #[test]
        fn any_string_literal_content_is_not_a_keyword(word in "[A-Za-z ;]{0,40}") {
            let literal = word.replace('\'', "''");
            prop_assert_eq!(check(&format!("SELECT '{literal}' AS w FROM Faults")), Ok(()));
        }

        #[test]
        fn a_second_statement_is_always_refused(tail in "(SELECT 1|DELETE FROM Faults|EXEC x|DROP TABLE t)") {
            let sql = format!("SELECT 1; {tail}");
            prop_assert!(check(&sql).is_err());
        }
    }
}
