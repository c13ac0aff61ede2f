//! Tables, fitted to the width.

use super::OutputOptions;
use comfy_table::{
    Attribute, Cell, ColumnConstraint, ContentArrangement, LineStyle, Row, Table, TableStyle, Width,
};

/// No borders: cells padded by a space each side, a rule under the header.
const STYLE: TableStyle = TableStyle::new().header_separator(LineStyle::none().fill('─'));

/// Spaces around each cell.
const PADDING: usize = 2;

/// How rows of a table print.
#[derive(Debug, Clone, Copy)]
pub(super) enum Layout {
    /// One line per row, cells cut to fit (lists).
    Lines,
    /// Cells wrap over several lines (one object's fields).
    Wrapped,
}

impl Layout {
    /// Longest cell text before it is cut with `…`.
    fn max_chars(self) -> usize {
        match self {
            Layout::Lines => 60,
            Layout::Wrapped => 2000,
        }
    }
}

/// Renders a table, with a trailing newline. Control characters in cells print as spaces (as
/// do line breaks in [`Layout::Lines`]), so data cannot drive the terminal.
pub(super) fn render(
    header: &[&str],
    rows: Vec<Vec<String>>,
    layout: Layout,
    options: &OutputOptions,
) -> String {
    let mut table = Table::new();
    table.load_style(STYLE);
    if options.color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    if let Layout::Lines = layout {
        // Cut cells anywhere, not at the last space that fits: no cell has a NUL (see `clean`).
        table.set_delimiter('\0');
    }
    table.set_header(
        header
            .iter()
            .map(|h| Cell::new(h).add_attribute(Attribute::Bold)),
    );
    for cells in rows {
        let mut row = Row::from(cells.iter().map(|c| clean(c, layout)));
        if let Layout::Lines = layout {
            row.max_height(1);
        }
        table.add_row(row);
    }
    if let Some(width) = options.width {
        fit(&mut table, header, width);
    }
    format!("{table}\n")
}

/// Fits a table to the width: cells are cut or wrapped only when the content does not fit, and
/// then the whole width is used.
fn fit(table: &mut Table, header: &[&str], width: usize) {
    let natural: usize = table
        .column_max_content_widths()
        .iter()
        .map(|&w| usize::from(w) + PADDING)
        .sum();
    let arrangement = if natural > width {
        ContentArrangement::DynamicFullWidth
    } else {
        ContentArrangement::Dynamic
    };
    table
        .set_content_arrangement(arrangement)
        .set_width(u16::try_from(width).unwrap_or(u16::MAX));
    // Headers stay whole when they can (a constraint's width includes the padding).
    let header_widths: Vec<usize> = header.iter().map(|h| h.chars().count() + PADDING).collect();
    if header_widths.iter().sum::<usize>() <= width {
        table.set_constraints(header_widths.iter().map(|&w| {
            let w = u16::try_from(w).unwrap_or(u16::MAX);
            ColumnConstraint::LowerBoundary(Width::Fixed(w))
        }));
    }
}

/// Cell text made safe and cut to the layout's maximum.
fn clean(text: &str, layout: Layout) -> String {
    let keep_newlines = matches!(layout, Layout::Wrapped);
    let mut cleaned: String = text
        .chars()
        .map(|c| match c {
            '\n' if keep_newlines => c,
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let max = layout.max_chars();
    if let Some((cut, _)) = cleaned.char_indices().nth(max) {
        cleaned.truncate(cut);
        cleaned.pop();
        cleaned.push('…');
    }
    cleaned
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::output::Format;
    use crate::output::tests::options;

    /// Checks the properties every table shares: the header, the width, no escape codes.
    pub(in crate::output) fn assert_table(text: &str, header: &[&str], width: usize) {
        let header_line = text.lines().next().unwrap_or_default();
        for name in header {
            assert!(header_line.contains(name), "{name} not in {header_line}");
        }
        for line in text.lines() {
            assert!(line.chars().count() <= width, "too wide: {line}");
        }
        assert!(!text.contains('\u{1b}'), "escape codes in {text}");
    }

    #[test]
    fn long_cells_are_cut_and_controls_removed() {
        assert_eq!(clean("a\tb\u{1b}[31m", Layout::Lines), "a b [31m");
        assert_eq!(clean("a\nb", Layout::Wrapped), "a\nb");
        assert_eq!(clean("a\nb", Layout::Lines), "a b");
        let cut = clean(&"é".repeat(70), Layout::Lines);
        assert_eq!(cut.chars().count(), 60);
        assert!(cut.ends_with("é…"));
    }

    #[test]
    fn fits_the_width() {
        let options = OutputOptions {
            width: Some(40),
            ..options(Format::Table, true, None)
        };
        let rows = vec![
            vec!["1".into(), "word ".repeat(30)],
            vec!["2".into(), "x".into()],
        ];
        let text = render(&["id", "summary"], rows, Layout::Lines, &options);
        assert_table(&text, &["id", "summary"], 40);
        assert_eq!(text.lines().count(), 4, "one line per row:\n{text}");
        assert!(text.contains('…'));
    }

    #[test]
    fn color_styles_the_header() {
        let options = OutputOptions {
            color: true,
            ..options(Format::Table, true, None)
        };
        let text = render(&["id"], vec![vec!["1".into()]], Layout::Lines, &options);
        assert!(text.contains('\u{1b}'));
    }

    #[test]
    fn without_width_prints_at_natural_width() {
        let options = OutputOptions {
            width: None,
            ..options(Format::Table, false, None)
        };
        let long = "word ".repeat(20);
        let text = render(&["v"], vec![vec![long.clone()]], Layout::Wrapped, &options);
        assert!(text.contains(long.trim_end()));
    }
}
