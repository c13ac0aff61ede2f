//! T-SQL to SQLite, through the parsed syntax tree (never by editing the text): `TOP` and
//! `OFFSET ... FETCH` become `LIMIT`, schema prefixes and table hints go, Halo's table names
//! become the sandbox's views, and SQL Server's functions, casts and date arithmetic become
//! SQLite expressions. The tree is then printed for SQLite (which reads `[brackets]`).

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, CastKind, DataType, Expr, Function, FunctionArg, FunctionArgExpr,
    FunctionArgumentList, FunctionArguments, Ident, LimitClause, ObjectName, Offset, OffsetRows,
    Query, SelectItem, SetExpr, Statement, TableAlias, TableFactor, UnaryOperator, Value,
    ValueWithSpan, Visit, VisitMut, Visitor, VisitorMut,
};
use sqlparser::dialect::MsSqlDialect;
use sqlparser::parser::ParserError;
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::domain::sql::views::{self, LIVE_FAULTS, SqlType};

/// A saved report's reporting period: only rows whose `field` lies in `[start, end]`
/// (SQLite times, `YYYY-MM-DD HH:MM:SS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// A column of the report's result.
    pub field: String,
    /// The first instant.
    pub start: String,
    /// The last instant.
    pub end: String,
}

/// `sql` (T-SQL) as SQLite text, with `now` (SQLite time) for `GETDATE()` and its kin;
/// `Err` carries SQL Server's message (or the read-only rule's).
pub fn translate(sql: &str, now: &str, period: Option<&Period>) -> Result<String, String> {
    // The same read-only rule as `halo sql`, before anything else.
    halopsa::sql::check(sql).map_err(|refusal| refusal.to_string())?;
    let statement = halopsa::sql::parse(sql).map_err(|e| syntax(sql, &e))?;
    let Statement::Query(mut query) = statement else {
        return Err(syntax(sql, &ParserError::ParserError(String::new())));
    };
    name_expressions(&mut query);
    let mut ctes = Ctes::default();
    let _ = Visit::visit(query.as_ref(), &mut ctes);
    let mut translator = Translator {
        now: now.to_string(),
        ctes: ctes.names,
        all_faults: ctes.fdeleted,
    };
    if let ControlFlow::Break(message) = VisitMut::visit(query.as_mut(), &mut translator) {
        return Err(message);
    }
    // The period wraps the translated query: its own SQL is SQLite's already.
    if let Some(period) = period {
        query = within(query, period)?;
    }
    Ok(query.to_string())
}

/// SQL Server's `Incorrect syntax near '...'.` for a statement the parser refused, naming
/// the token it stopped at (the last one when it ran out).
fn syntax(sql: &str, error: &ParserError) -> String {
    let text = error.to_string();
    let found = text
        .split_once("found: ")
        .map(|(_, rest)| rest.split(" at Line").next().unwrap_or(rest).trim())
        .filter(|t| !t.is_empty() && *t != "EOF");
    let near = match found {
        Some(token) => token.to_string(),
        None => Tokenizer::new(&MsSqlDialect {}, sql)
            .tokenize()
            .ok()
            .and_then(|tokens| {
                tokens
                    .into_iter()
                    .rev()
                    .find(|t| !matches!(t, Token::Whitespace(_) | Token::SemiColon))
            })
            .map(|t| t.to_string())
            .unwrap_or_default(),
    };
    format!("Incorrect syntax near '{near}'.")
}

/// Names the outer query's unnamed expression columns by their T-SQL text (SQLite would
/// name them by the translated text).
fn name_expressions(query: &mut Query) {
    let SetExpr::Select(select) = query.body.as_mut() else {
        return;
    };
    for item in &mut select.projection {
        if let SelectItem::UnnamedExpr(expr) = item
            && !matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
        {
            let alias = Ident::with_quote('"', expr.to_string());
            *item = SelectItem::ExprWithAlias {
                expr: expr.clone(),
                alias,
            };
        }
    }
}

/// `SELECT * FROM (<query>) AS report_period WHERE [field] BETWEEN start AND end`.
fn within(query: Box<Query>, period: &Period) -> Result<Box<Query>, String> {
    let mut outer = template("SELECT * FROM (SELECT 1) AS report_period")?;
    let SetExpr::Select(select) = outer.body.as_mut() else {
        return Err("The sandbox could not build the reporting period.".into());
    };
    if let Some(TableFactor::Derived { subquery, .. }) =
        select.from.first_mut().map(|t| &mut t.relation)
    {
        *subquery = query;
    }
    select.selection = Some(Expr::Between {
        expr: Box::new(Expr::Identifier(Ident::with_quote('[', &period.field))),
        negated: false,
        low: Box::new(call("datetime", vec![text(&period.start)])),
        high: Box::new(call("datetime", vec![text(&period.end)])),
    });
    Ok(outer)
}

/// A query parsed from fixed text, to be filled in.
fn template(sql: &str) -> Result<Box<Query>, String> {
    match halopsa::sql::parse(sql) {
        Ok(Statement::Query(q)) => Ok(q),
        _ => Err("The sandbox could not build its query.".into()),
    }
}

/// The names of every CTE, and whether the query names `FDeleted` anywhere.
#[derive(Default)]
struct Ctes {
    names: Vec<String>,
    fdeleted: bool,
}

impl Visitor for Ctes {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let Some(with) = &query.with {
            self.names
                .extend(with.cte_tables.iter().map(|c| c.alias.name.value.clone()));
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        let last = match expr {
            Expr::Identifier(ident) => Some(ident),
            Expr::CompoundIdentifier(parts) => parts.last(),
            _ => None,
        };
        self.fdeleted |= last.is_some_and(|i| i.value.eq_ignore_ascii_case("FDeleted"));
        ControlFlow::Continue(())
    }
}

struct Translator {
    now: String,
    ctes: Vec<String>,
    /// The query names `FDeleted`: `Faults` shows deleted tickets too.
    all_faults: bool,
}

impl VisitorMut for Translator {
    type Break = String;

    fn post_visit_query(&mut self, query: &mut Query) -> ControlFlow<String> {
        to_control(limits(query))
    }

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<String> {
        to_control(self.table(factor))
    }

    fn pre_visit_value(&mut self, value: &mut ValueWithSpan) -> ControlFlow<String> {
        // N'...' (national text) is plain text to SQLite.
        if let Value::NationalStringLiteral(s) = &value.value {
            value.value = Value::SingleQuotedString(s.clone());
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<String> {
        match self.expr(expr) {
            Ok(Some(new)) => {
                *expr = new;
                ControlFlow::Continue(())
            }
            Ok(None) => ControlFlow::Continue(()),
            Err(message) => ControlFlow::Break(message),
        }
    }
}

fn to_control(r: Result<(), String>) -> ControlFlow<String> {
    match r {
        Ok(()) => ControlFlow::Continue(()),
        Err(message) => ControlFlow::Break(message),
    }
}

/// `TOP n` and `OFFSET ... FETCH` of a query level as SQLite's `LIMIT ... OFFSET`.
fn limits(query: &mut Query) -> Result<(), String> {
    let mut limit = None;
    if let SetExpr::Select(select) = query.body.as_mut()
        && let Some(top) = select.top.take()
    {
        limit = Some(top_quantity(top)?);
    }
    if let Some(fetch) = query.fetch.take() {
        if fetch.percent || fetch.with_ties {
            return Err("The sandbox does not support FETCH ... PERCENT or WITH TIES.".into());
        }
        limit = limit.or(fetch.quantity);
    }
    let mut offset = None;
    if let Some(LimitClause::LimitOffset {
        limit: given,
        offset: off,
        ..
    }) = query.limit_clause.take()
    {
        limit = limit.or(given);
        offset = off.map(|o| Offset {
            value: o.value,
            rows: OffsetRows::None,
        });
    }
    if limit.is_some() || offset.is_some() {
        query.limit_clause = Some(LimitClause::LimitOffset {
            limit: Some(limit.unwrap_or_else(|| number(-1))),
            offset,
            limit_by: vec![],
        });
    }
    top_in_set_operations(query.body.as_mut())
}

/// A `TOP` on one member of a `UNION` (SQLite has no LIMIT there): the member becomes
/// `SELECT * FROM (member LIMIT n)`.
fn top_in_set_operations(body: &mut SetExpr) -> Result<(), String> {
    match body {
        SetExpr::SetOperation { left, right, .. } => {
            for side in [left, right] {
                match side.as_mut() {
                    SetExpr::Select(select) if select.top.is_some() => {
                        let mut inner = template("SELECT 1")?;
                        inner.body = Box::new(SetExpr::Select(select.clone()));
                        limits(&mut inner)?;
                        let mut outer = template("SELECT * FROM (SELECT 1) AS top_rows")?;
                        if let SetExpr::Select(wrapper) = outer.body.as_mut()
                            && let Some(TableFactor::Derived { subquery, .. }) =
                                wrapper.from.first_mut().map(|t| &mut t.relation)
                        {
                            *subquery = inner;
                        }
                        **side = *outer.body;
                    }
                    other => top_in_set_operations(other)?,
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn top_quantity(top: sqlparser::ast::Top) -> Result<Expr, String> {
    if top.percent || top.with_ties {
        return Err("The sandbox does not support TOP ... PERCENT or WITH TIES.".into());
    }
    match top.quantity {
        Some(sqlparser::ast::TopQuantity::Constant(n)) => Ok(number(n as i64)),
        Some(sqlparser::ast::TopQuantity::Expr(e)) => Ok(e),
        None => Err("Incorrect syntax near 'TOP'.".into()),
    }
}

impl Translator {
    /// A table in FROM: a CTE, or one of Halo's tables as its view (schema prefixes and
    /// `WITH (NOLOCK)` hints dropped); anything else is SQL Server's `Invalid object name`.
    fn table(&self, factor: &mut TableFactor) -> Result<(), String> {
        match factor {
            TableFactor::Table {
                name,
                alias,
                args,
                with_hints,
                ..
            } => {
                let written = name.to_string();
                let invalid = || format!("Invalid object name '{written}'.");
                let last = name
                    .0
                    .last()
                    .and_then(|p| p.as_ident())
                    .map(|i| i.value.clone())
                    .ok_or_else(invalid)?;
                if args.is_some() {
                    return Err(format!(
                        "'{last}' is not a recognized built-in function name."
                    ));
                }
                with_hints.clear();
                if name.0.len() == 1 && self.ctes.iter().any(|c| c.eq_ignore_ascii_case(&last)) {
                    return Ok(());
                }
                let view = views::find(&last).ok_or_else(invalid)?;
                if view.name == "Faults" && !self.all_faults {
                    // Deleted tickets stay out unless the query asks for them by FDeleted;
                    // the table keeps its name as the alias so `Faults.x` still resolves.
                    *name = ObjectName::from(vec![Ident::new(LIVE_FAULTS)]);
                    if alias.is_none() {
                        *alias = Some(TableAlias {
                            explicit: true,
                            name: Ident::with_quote('[', last),
                            columns: vec![],
                            at: None,
                        });
                    }
                } else {
                    *name = ObjectName::from(vec![Ident::with_quote('[', view.name)]);
                }
                Ok(())
            }
            TableFactor::Derived { .. } | TableFactor::NestedJoin { .. } => Ok(()),
            TableFactor::Function { name, .. } => Err(format!(
                "'{name}' is not a recognized built-in function name."
            )),
            other => Err(format!(
                "The sandbox does not support this FROM item: {other}"
            )),
        }
    }

    /// One expression, its children already translated: `Some` replaces it.
    fn expr(&self, expr: &Expr) -> Result<Option<Expr>, String> {
        Ok(match expr {
            Expr::Function(f) => Some(self.function(f)?),
            // `dbo.Faults.Faultid`: the schema goes, as it does from table names.
            Expr::CompoundIdentifier(parts) if parts.len() > 2 => {
                Some(Expr::CompoundIdentifier(parts[parts.len() - 2..].to_vec()))
            }
            Expr::Cast {
                expr, data_type, ..
            } => Some(convert(expr, data_type, None)?),
            Expr::Convert {
                expr,
                data_type: Some(data_type),
                styles,
                ..
            } => Some(convert(expr, data_type, styles.first())?),
            Expr::BinaryOp { left, op, right } => binary(left, op, right),
            Expr::Between {
                expr,
                negated,
                low,
                high,
            } if is_date(expr) => Some(Expr::Between {
                expr: expr.clone(),
                negated: *negated,
                low: Box::new(as_date(low)),
                high: Box::new(as_date(high)),
            }),
            _ => None,
        })
    }

    /// SQL Server's built-in functions the sandbox knows, as SQLite expressions.
    fn function(&self, f: &Function) -> Result<Expr, String> {
        let written = f.name.to_string();
        let upper = f
            .name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .map(|i| i.value.to_uppercase())
            .unwrap_or_default();
        let unknown = || format!("'{written}' is not a recognized built-in function name.");
        let renamed = |to: &str| {
            let mut g = f.clone();
            g.name = ObjectName::from(vec![Ident::new(to)]);
            Ok(Expr::Function(g))
        };
        let args = plain_args(f);
        let arg = |i: usize| -> Result<Expr, String> {
            args.as_ref()
                .and_then(|a| a.get(i).cloned())
                .ok_or_else(|| format!("The {written} function requires {} argument(s).", i + 1))
        };
        let count = args.as_ref().map_or(0, Vec::len);
        match upper.as_str() {
            "COUNT" | "SUM" | "AVG" | "MIN" | "MAX" | "COALESCE" | "ABS" | "UPPER" | "LOWER"
            | "LTRIM" | "RTRIM" | "REPLACE" | "CONCAT" | "NULLIF" | "IIF" | "ROW_NUMBER"
            | "RANK" | "DENSE_RANK" => renamed(&upper.to_lowercase()),
            "COUNT_BIG" => renamed("count"),
            "ISNULL" => renamed("ifnull"),
            "SUBSTRING" => renamed("substr"),
            "GETDATE" | "GETUTCDATE" | "SYSDATETIME" | "CURRENT_TIMESTAMP" | "NOW" => {
                Ok(call("datetime", vec![text(&self.now)]))
            }
            "ROUND" => {
                if count == 3 {
                    return Err("The sandbox does not support ROUND with a third argument.".into());
                }
                renamed("round")
            }
            "LEN" => Ok(call("length", vec![call("rtrim", vec![arg(0)?])])),
            "LEFT" => Ok(call("substr", vec![arg(0)?, number(1), arg(1)?])),
            "RIGHT" => Ok(call(
                "substr",
                vec![
                    arg(0)?,
                    Expr::UnaryOp {
                        op: UnaryOperator::Minus,
                        expr: Box::new(paren(arg(1)?)),
                    },
                ],
            )),
            "CHARINDEX" => {
                let (find, within) = (call("lower", vec![arg(0)?]), call("lower", vec![arg(1)?]));
                if count < 3 {
                    return Ok(call("instr", vec![within, find]));
                }
                // From a start position: found at start + i - 1, or 0 when not found.
                let start = arg(2)?;
                let found = call(
                    "instr",
                    vec![call("substr", vec![within, start.clone()]), find],
                );
                let position = bin(
                    bin(found.clone(), BinaryOperator::Plus, start),
                    BinaryOperator::Minus,
                    number(1),
                );
                Ok(bin(
                    position,
                    BinaryOperator::Multiply,
                    bin(found, BinaryOperator::Gt, number(0)),
                ))
            }
            "YEAR" => Ok(part_of(&arg(0)?, "%Y")),
            "MONTH" => Ok(part_of(&arg(0)?, "%m")),
            "DAY" => Ok(part_of(&arg(0)?, "%d")),
            "DATEPART" => datepart(date_part(&arg(0)?)?, &arg(1)?),
            "DATEADD" => dateadd(date_part(&arg(0)?)?, arg(1)?, arg(2)?),
            "DATEDIFF" => datediff(date_part(&arg(0)?)?, &arg(1)?, &arg(2)?),
            _ => Err(unknown()),
        }
    }
}

/// A function's arguments as expressions (`COUNT(*)` has none that are).
fn plain_args(f: &Function) -> Option<Vec<Expr>> {
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    list.args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

/// A call of SQLite's function `name`.
fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName::from(vec![Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e)))
                .collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

fn text(s: &str) -> Expr {
    Expr::Value(Value::SingleQuotedString(s.to_string()).into())
}

fn number(n: i64) -> Expr {
    Expr::Value(Value::Number(n.to_string(), false).into())
}

fn paren(e: Expr) -> Expr {
    match e {
        Expr::Nested(_) | Expr::Identifier(_) | Expr::Value(_) | Expr::Function(_) => e,
        other => Expr::Nested(Box::new(other)),
    }
}

/// `(left) op (right)`.
fn bin(left: Expr, op: BinaryOperator, right: Expr) -> Expr {
    paren(Expr::BinaryOp {
        left: Box::new(paren(left)),
        op,
        right: Box::new(paren(right)),
    })
}

fn cast(e: Expr, data_type: DataType) -> Expr {
    Expr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(e),
        data_type,
        format: None,
    }
}

fn integer(e: Expr) -> Expr {
    cast(e, DataType::Integer(None))
}

/// `CAST(strftime(format, e) AS INTEGER)`.
fn part_of(e: &Expr, format: &str) -> Expr {
    integer(call("strftime", vec![text(format), e.clone()]))
}

/// The type a view column of this name has, for an identifier.
fn column_type(e: &Expr) -> Option<SqlType> {
    match e {
        Expr::Identifier(i) => views::column_type(&i.value),
        Expr::CompoundIdentifier(parts) => parts.last().and_then(|i| views::column_type(&i.value)),
        Expr::Nested(inner) => column_type(inner),
        _ => None,
    }
}

/// Whether an (already translated) expression is a date: a datetime column, or SQLite's
/// `date()` / `datetime()` that every date translation produces.
fn is_date(e: &Expr) -> bool {
    match e {
        Expr::Function(f) => {
            let name = f.name.to_string();
            name.eq_ignore_ascii_case("datetime") || name.eq_ignore_ascii_case("date")
        }
        Expr::Nested(inner) => is_date(inner),
        other => column_type(other) == Some(SqlType::DateTime),
    }
}

/// Whether an expression is text (SQL Server's `+` then joins strings).
fn is_text(e: &Expr) -> bool {
    match e {
        Expr::Value(v) => matches!(v.value, Value::SingleQuotedString(_)),
        Expr::Function(f) => {
            let name = f.name.to_string().to_lowercase();
            matches!(
                name.as_str(),
                "substr"
                    | "upper"
                    | "lower"
                    | "ltrim"
                    | "rtrim"
                    | "replace"
                    | "strftime"
                    | "concat"
            )
        }
        Expr::Cast { data_type, .. } => matches!(data_type, DataType::Text),
        Expr::Substring { .. }
        | Expr::BinaryOp {
            op: BinaryOperator::StringConcat,
            ..
        } => true,
        Expr::Nested(inner) => is_text(inner),
        other => column_type(other) == Some(SqlType::Text),
    }
}

/// A text literal compared with a date is read as a date (`'2026-01-01T10:00:00'` too).
fn as_date(e: &Expr) -> Expr {
    if matches!(e, Expr::Value(v) if matches!(v.value, Value::SingleQuotedString(_))) {
        call("datetime", vec![e.clone()])
    } else {
        e.clone()
    }
}

/// SQL Server's `+` on text (concatenation), `date ± days`, and text dates compared with dates.
fn binary(left: &Expr, op: &BinaryOperator, right: &Expr) -> Option<Expr> {
    use BinaryOperator::*;
    match op {
        Plus if is_text(left) || is_text(right) => Some(Expr::BinaryOp {
            left: Box::new(paren(left.clone())),
            op: StringConcat,
            right: Box::new(paren(right.clone())),
        }),
        // datetime + n adds n days (fractions too).
        Plus | Minus if is_date(left) && !is_date(right) => Some(call(
            "datetime",
            vec![bin(
                call("julianday", vec![left.clone()]),
                op.clone(),
                right.clone(),
            )],
        )),
        Plus if is_date(right) && !is_date(left) => Some(call(
            "datetime",
            vec![bin(
                call("julianday", vec![right.clone()]),
                Plus,
                left.clone(),
            )],
        )),
        Gt | Lt | GtEq | LtEq | Eq | NotEq if is_date(left) || is_date(right) => {
            Some(Expr::BinaryOp {
                left: Box::new(as_date(left)),
                op: op.clone(),
                right: Box::new(as_date(right)),
            })
        }
        _ => None,
    }
}

/// A date part (`day`, `dd`, `d`...) by its canonical name.
fn date_part(e: &Expr) -> Result<&'static str, String> {
    let word = match e {
        Expr::Identifier(i) => i.value.to_lowercase(),
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => s.to_lowercase(),
            _ => String::new(),
        },
        _ => String::new(),
    };
    Ok(match word.as_str() {
        "year" | "yy" | "yyyy" => "year",
        "quarter" | "qq" | "q" => "quarter",
        "month" | "mm" | "m" => "month",
        "dayofyear" | "dy" | "y" => "dayofyear",
        "day" | "dd" | "d" => "day",
        "week" | "wk" | "ww" => "week",
        "weekday" | "dw" | "w" => "weekday",
        "hour" | "hh" => "hour",
        "minute" | "mi" | "n" => "minute",
        "second" | "ss" | "s" => "second",
        _ => return Err(format!("'{e}' is not a recognized datepart option.")),
    })
}

/// `DATEADD(part, n, d)`: n whole units (SQL Server truncates n); months and years keep the
/// day within the month (31 January + 1 month is 28 or 29 February), as SQL Server does.
fn dateadd(part: &str, n: Expr, d: Expr) -> Result<Expr, String> {
    let (unit, times, floor) = match part {
        "year" => ("years", 1, true),
        "quarter" => ("months", 3, true),
        "month" => ("months", 1, true),
        "week" => ("days", 7, false),
        "day" | "dayofyear" | "weekday" => ("days", 1, false),
        "hour" => ("hours", 1, false),
        "minute" => ("minutes", 1, false),
        _ => ("seconds", 1, false),
    };
    let amount = bin(integer(n), BinaryOperator::Multiply, number(times));
    let modifier = bin(
        amount,
        BinaryOperator::StringConcat,
        text(&format!(" {unit}")),
    );
    let mut args = vec![d, modifier];
    if floor {
        args.push(text("floor"));
    }
    Ok(call("datetime", args))
}

/// Whole days since 1970-01-01 of a date's day.
fn days(e: &Expr) -> Expr {
    bin(
        call("unixepoch", vec![call("date", vec![e.clone()])]),
        BinaryOperator::Divide,
        number(86_400),
    )
}

/// The seconds of `e` truncated by `format`, divided by `unit`.
fn truncated(e: &Expr, format: &str, unit: i64) -> Expr {
    bin(
        call(
            "unixepoch",
            vec![call("strftime", vec![text(format), e.clone()])],
        ),
        BinaryOperator::Divide,
        number(unit),
    )
}

/// `DATEDIFF(part, a, b)` as SQL Server counts it: the part's boundaries crossed from a to
/// b (`DATEDIFF(year, '2025-12-31', '2026-01-01')` is 1; weeks start on Sunday).
fn datediff(part: &str, a: &Expr, b: &Expr) -> Result<Expr, String> {
    use BinaryOperator::{Minus, Multiply, Plus};
    let index = |e: &Expr| -> Expr {
        let year = part_of(e, "%Y");
        let month = part_of(e, "%m");
        match part {
            "year" => year,
            "quarter" => bin(
                bin(year, Multiply, number(4)),
                Plus,
                bin(
                    bin(month, Minus, number(1)),
                    BinaryOperator::Divide,
                    number(3),
                ),
            ),
            "month" => bin(bin(year, Multiply, number(12)), Plus, month),
            // 1970-01-01 was a Thursday: day 3 is the first Sunday. The offset keeps the
            // division on positive numbers (it truncates toward zero).
            "week" => bin(
                bin(days(e), Plus, number(4 + 7 * 1_000_000)),
                BinaryOperator::Divide,
                number(7),
            ),
            "hour" => truncated(e, "%Y-%m-%d %H:00:00", 3_600),
            "minute" => truncated(e, "%Y-%m-%d %H:%M:00", 60),
            "second" => call("unixepoch", vec![e.clone()]),
            _ => days(e),
        }
    };
    Ok(bin(index(b), Minus, index(a)))
}

/// `DATEPART(part, d)` (weekday with SQL Server's default first day, Sunday = 1).
fn datepart(part: &str, d: &Expr) -> Result<Expr, String> {
    Ok(match part {
        "year" => part_of(d, "%Y"),
        "quarter" => bin(
            bin(part_of(d, "%m"), BinaryOperator::Plus, number(2)),
            BinaryOperator::Divide,
            number(3),
        ),
        "month" => part_of(d, "%m"),
        "dayofyear" => part_of(d, "%j"),
        "day" => part_of(d, "%d"),
        // Week 1 holds 1 January; weeks start on Sunday.
        "week" => {
            let jan_first = call("date", vec![d.clone(), text("start of year")]);
            let offset = bin(
                part_of(d, "%j"),
                BinaryOperator::Plus,
                part_of(&jan_first, "%w"),
            );
            let week = bin(
                bin(offset, BinaryOperator::Minus, number(1)),
                BinaryOperator::Divide,
                number(7),
            );
            bin(week, BinaryOperator::Plus, number(1))
        }
        "weekday" => bin(part_of(d, "%w"), BinaryOperator::Plus, number(1)),
        "hour" => part_of(d, "%H"),
        "minute" => part_of(d, "%M"),
        _ => part_of(d, "%S"),
    })
}

/// The date format of a `CONVERT` style (SQL Server's numbers).
fn style_format(style: i64) -> Option<&'static str> {
    Some(match style {
        23 => "%Y-%m-%d",
        101 => "%m/%d/%Y",
        102 => "%Y.%m.%d",
        103 => "%d/%m/%Y",
        104 => "%d.%m.%Y",
        105 => "%d-%m-%Y",
        108 => "%H:%M:%S",
        112 => "%Y%m%d",
        120 => "%Y-%m-%d %H:%M:%S",
        121 => "%Y-%m-%d %H:%M:%f",
        126 => "%Y-%m-%dT%H:%M:%S",
        _ => return None,
    })
}

/// `CAST(x AS type)` and `CONVERT(type, x[, style])` for the date, text and number types.
fn convert(x: &Expr, data_type: &DataType, style: Option<&Expr>) -> Result<Expr, String> {
    let printed = data_type.to_string().to_uppercase();
    let (name, rest) = printed.split_once('(').unwrap_or((printed.as_str(), ""));
    let name = name.trim();
    let sizes: Vec<&str> = rest
        .trim_end_matches(')')
        .split(',')
        .map(str::trim)
        .collect();
    let style = match style {
        None => None,
        Some(Expr::Value(v)) => match &v.value {
            Value::Number(n, _) => n.parse::<i64>().ok(),
            _ => None,
        },
        Some(other) => return Err(format!("Incorrect syntax near '{other}'.")),
    };
    let x = x.clone();
    Ok(match name {
        "DATE" | "DATETIME" | "DATETIME2" | "SMALLDATETIME" | "DATETIMEOFFSET" => {
            // Text in a day-first or month-first style is reordered to ISO first.
            let x = match style {
                Some(103) | Some(101) => {
                    let (day, month) = if style == Some(103) { (1, 4) } else { (4, 1) };
                    let piece =
                        |from, len| call("substr", vec![x.clone(), number(from), number(len)]);
                    bin(
                        bin(piece(7, 4), BinaryOperator::StringConcat, text("-")),
                        BinaryOperator::StringConcat,
                        bin(
                            bin(piece(month, 2), BinaryOperator::StringConcat, text("-")),
                            BinaryOperator::StringConcat,
                            piece(day, 2),
                        ),
                    )
                }
                _ => x,
            };
            call(if name == "DATE" { "date" } else { "datetime" }, vec![x])
        }
        "VARCHAR" | "NVARCHAR" | "CHAR" | "NCHAR" | "TEXT" | "NTEXT" | "CHARACTER VARYING" => {
            let formatted = match style.and_then(style_format) {
                Some(format) if is_date(&x) || style.is_some() => {
                    call("strftime", vec![text(format), x])
                }
                _ => cast(x, DataType::Text),
            };
            // SQL Server cuts to the length; CAST without one means 30 characters.
            let length = match sizes.first().copied() {
                Some("MAX") => None,
                Some(n) if !n.is_empty() => n.parse::<i64>().ok(),
                _ if name == "TEXT" || name == "NTEXT" => None,
                _ => Some(30),
            };
            match length {
                Some(n) => call("substr", vec![formatted, number(1), number(n)]),
                None => formatted,
            }
        }
        "INT" | "INTEGER" | "BIGINT" | "SMALLINT" | "TINYINT" | "BIT" => integer(x),
        "FLOAT" | "REAL" | "DOUBLE" => cast(x, DataType::Real),
        "DECIMAL" | "NUMERIC" | "MONEY" | "SMALLMONEY" | "DEC" => {
            let scale = match name {
                "MONEY" | "SMALLMONEY" => 4,
                _ => sizes.get(1).and_then(|s| s.parse().ok()).unwrap_or(0),
            };
            call("round", vec![cast(x, DataType::Real), number(scale)])
        }
        other => {
            return Err(format!(
                "Type {} is not a defined system type.",
                other.to_lowercase()
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-06-15 12:00:00";

    fn tr(sql: &str) -> String {
        translate(sql, NOW, None).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    fn refused(sql: &str) -> String {
        translate(sql, NOW, None).expect_err(sql)
    }

    #[test]
    fn top_becomes_limit_on_its_level() {
        assert_eq!(
            tr("SELECT TOP 5 Faultid FROM Faults ORDER BY Faultid DESC"),
            "SELECT Faultid FROM sandbox_live_faults AS [Faults] ORDER BY Faultid DESC LIMIT 5"
        );
        assert!(tr("SELECT TOP (3) * FROM Area").ends_with("LIMIT 3"));
        let nested = tr("SELECT * FROM (SELECT TOP 2 Aarea FROM Area ORDER BY Aarea) AS t");
        assert!(nested.contains("ORDER BY Aarea LIMIT 2)"), "{nested}");
        let union = tr("SELECT TOP 1 Aarea FROM Area UNION ALL SELECT Ssitenum FROM Site");
        assert!(
            union
                .contains("SELECT * FROM (SELECT Aarea FROM [Area] LIMIT 1) AS top_rows UNION ALL"),
            "{union}"
        );
        let fetch =
            tr("SELECT Aarea FROM Area ORDER BY Aarea OFFSET 2 ROWS FETCH NEXT 3 ROWS ONLY");
        assert!(
            fetch.ends_with("ORDER BY Aarea LIMIT 3 OFFSET 2"),
            "{fetch}"
        );
    }

    #[test]
    fn schemas_hints_and_brackets() {
        assert_eq!(
            tr("SELECT [Aarea] FROM dbo.[Area] WITH (NOLOCK)"),
            "SELECT [Aarea] FROM [Area]"
        );
        assert_eq!(
            tr("SELECT dbo.Area.Aarea FROM dbo.Area"),
            "SELECT Area.Aarea FROM [Area]"
        );
        assert_eq!(
            tr("SELECT FDeleted FROM Faults"),
            "SELECT FDeleted FROM [Faults]",
            "naming FDeleted shows deleted tickets"
        );
    }

    #[test]
    fn unknown_tables_and_store_tables_are_invalid_objects() {
        assert_eq!(refused("SELECT * FROM Nope"), "Invalid object name 'Nope'.");
        assert_eq!(
            refused("SELECT * FROM objects"),
            "Invalid object name 'objects'."
        );
        assert_eq!(
            refused("SELECT * FROM main.objects"),
            "Invalid object name 'main.objects'."
        );
        assert_eq!(
            refused("SELECT * FROM sqlite_master"),
            "Invalid object name 'sqlite_master'."
        );
        assert_eq!(refused("SELECT * FROM meta"), "Invalid object name 'meta'.");
        assert_eq!(
            refused("SELECT * FROM sandbox_live_faults"),
            "Invalid object name 'sandbox_live_faults'."
        );
        assert_eq!(
            refused("SELECT * FROM pragma_table_info('objects')"),
            "'pragma_table_info' is not a recognized built-in function name."
        );
        assert_eq!(
            tr("WITH objects AS (SELECT 1 AS x) SELECT x FROM objects"),
            "WITH objects AS (SELECT 1 AS x) SELECT x FROM objects"
        );
    }

    #[test]
    fn functions_translate_or_are_unknown() {
        assert_eq!(
            tr("SELECT ISNULL(Symptom, 'none') AS s FROM Faults"),
            "SELECT ifnull(Symptom, 'none') AS s FROM sandbox_live_faults AS [Faults]"
        );
        assert!(tr("SELECT GETDATE() AS d").contains("datetime('2026-06-15 12:00:00')"));
        assert!(tr("SELECT CURRENT_TIMESTAMP AS d").contains("datetime('2026-06-15 12:00:00')"));
        assert!(tr("SELECT LEN(Symptom) AS n FROM Faults").contains("length(rtrim(Symptom))"));
        assert!(
            tr("SELECT SUBSTRING(Symptom, 1, 3) AS s FROM Faults")
                .contains("SUBSTRING(Symptom, 1, 3)")
        );
        assert!(
            tr("SELECT YEAR(Dateoccured) AS y FROM Faults")
                .contains("CAST(strftime('%Y', Dateoccured) AS INTEGER)")
        );
        assert_eq!(
            refused("SELECT FOO(1) AS x"),
            "'FOO' is not a recognized built-in function name."
        );
        assert_eq!(
            refused("SELECT load_extension('x') AS x"),
            "'load_extension' is not a recognized built-in function name."
        );
        assert_eq!(
            refused("SELECT CAST(1 AS blob) AS x"),
            "Type blob is not a defined system type."
        );
    }

    #[test]
    fn text_plus_joins_and_date_plus_adds_days() {
        assert!(tr("SELECT 'T' + Symptom AS s FROM Faults").contains("'T' || Symptom"));
        let d = tr("SELECT Faultid FROM Faults WHERE Dateoccured > GETDATE() - 7");
        assert!(
            d.contains("datetime((julianday(datetime('2026-06-15 12:00:00')) - 7))"),
            "{d}"
        );
        let c = tr("SELECT Faultid FROM Faults WHERE Dateoccured >= '2026-01-01T00:00:00'");
        assert!(
            c.contains("Dateoccured >= datetime('2026-01-01T00:00:00')"),
            "{c}"
        );
    }

    #[test]
    fn syntax_errors_name_the_token() {
        assert_eq!(
            refused("SELECT Faultid FROM Faults WHERE"),
            "Incorrect syntax near 'WHERE'."
        );
        assert!(
            refused("SELECT Faultid FROM Faults WHERE ) x").starts_with("Incorrect syntax near")
        );
    }

    #[test]
    fn writes_are_refused_with_the_librarys_message() {
        for sql in [
            "DELETE FROM Faults",
            "SELECT 1; DROP TABLE Faults",
            "EXEC sp_who",
            "SELECT * INTO t FROM Faults",
            "UPDATE Faults SET Status = 9",
            "INSERT INTO Faults (Symptom) SELECT Symptom FROM Faults",
        ] {
            assert_eq!(
                refused(sql),
                halopsa::sql::check(sql).unwrap_err().to_string()
            );
        }
    }

    #[test]
    fn unnamed_columns_keep_their_tsql_text() {
        assert_eq!(
            tr("SELECT COUNT(*) FROM Area"),
            "SELECT count(*) AS \"COUNT(*)\" FROM [Area]"
        );
    }
}
