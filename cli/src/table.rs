//! A SQL API JSON answer as aligned columns, in the order of its `fields`.

use serde_json::Value;
use unicode_width::UnicodeWidthStr;

/// The table, a rule under the header and a row count; numbers right-aligned. Control and
/// bidi characters in names and values are escaped, so a value can neither break the layout
/// nor act on the terminal. A statement without columns (INSERT, UPDATE, DELETE, DDL) gives
/// the number of rows it affected, as CARTO's `total_rows` says.
pub fn render(answer: &Value) -> Result<String, String> {
    let rows = answer
        .get("rows")
        .and_then(Value::as_array)
        .ok_or("the SQL API's answer has no \"rows\" array")?;
    let names: Vec<String> = match answer.get("fields").and_then(Value::as_object) {
        Some(fields) => fields.keys().cloned().collect(),
        // No fields: the keys of the first row.
        None => rows
            .first()
            .and_then(Value::as_object)
            .map(|row| row.keys().cloned().collect())
            .unwrap_or_default(),
    };
    if names.is_empty() && rows.is_empty() {
        let count = answer
            .get("total_rows")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let plural = if count == 1 { "" } else { "s" };
        return Ok(format!("({count} row{plural} affected)\n"));
    }
    let numeric: Vec<bool> = names
        .iter()
        .map(|name| {
            let ty = answer.pointer(&format!("/fields/{}/type", pointer_escape(name)));
            ty.and_then(Value::as_str) == Some("number")
        })
        .collect();
    let header: Vec<String> = names.iter().map(|n| clean(n)).collect();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            names
                .iter()
                .map(|name| cell(row.get(name).unwrap_or(&Value::Null)))
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.width());
        }
    }

    let mut out = String::new();
    push_line(&mut out, &header, &widths, &vec![false; names.len()]);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&rule.join("-+-"));
    out.push('\n');
    for row in &cells {
        push_line(&mut out, row, &widths, &numeric);
    }
    let count = rows.len();
    out.push_str(&format!(
        "({count} row{})\n",
        if count == 1 { "" } else { "s" }
    ));
    Ok(out)
}

fn push_line(out: &mut String, cells: &[String], widths: &[usize], right: &[bool]) {
    let padded: Vec<String> = cells
        .iter()
        .zip(widths)
        .zip(right)
        .map(|((cell, width), right)| {
            let pad = " ".repeat(width - cell.width());
            if *right {
                format!("{pad}{cell}")
            } else {
                format!("{cell}{pad}")
            }
        })
        .collect();
    out.push_str(padded.join(" | ").trim_end());
    out.push('\n');
}

fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => clean(s),
        other => clean(&other.to_string()),
    }
}

fn clean(text: &str) -> String {
    crate::escape::visible(text)
}

fn pointer_escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn columns_follow_fields_and_align_by_display_width() {
        let answer = json!({
            "rows": [{"name": "Zürich", "n": 5}, {"name": "東京", "n": 12}, {"name": null, "n": null}],
            "fields": {"name": {"type": "string"}, "n": {"type": "number"}},
        });
        assert_eq!(
            render(&answer).unwrap(),
            "name   | n\n-------+---\nZürich |  5\n東京   | 12\n       |\n(3 rows)\n"
        );
    }

    #[test]
    fn control_characters_are_escaped() {
        let answer =
            json!({"rows": [{"t": "a\nb\u{1b}[31m"}], "fields": {"t": {"type": "string"}}});
        let text = render(&answer).unwrap();
        assert!(text.contains("a\\nb\\u{1b}[31m"), "{text}");
        assert!(!text.contains('\u{1b}'));
    }

    #[test]
    fn bidi_overrides_are_escaped() {
        let answer = json!({"rows": [{"t\u{202e}": "abc\u{202e}def"}]});
        let text = render(&answer).unwrap();
        assert!(!text.contains('\u{202e}'), "{text}");
        assert!(text.contains("abc\\u{202e}def"), "{text}");
    }

    #[test]
    fn statements_without_columns_say_how_many_rows_they_affected() {
        let update = json!({"rows": [], "time": 0.01, "fields": {}, "total_rows": 1});
        assert_eq!(render(&update).unwrap(), "(1 row affected)\n");
        let none = json!({"rows": [], "fields": {}, "total_rows": 0});
        assert_eq!(render(&none).unwrap(), "(0 rows affected)\n");
        // A query that found nothing still shows its columns.
        let empty = json!({"rows": [], "fields": {"n": {"type": "number"}}, "total_rows": 0});
        assert_eq!(render(&empty).unwrap(), "n\n-\n(0 rows)\n");
    }

    #[test]
    fn an_answer_without_rows_is_an_error() {
        assert!(render(&json!({"error": ["x"]})).is_err());
    }
}
