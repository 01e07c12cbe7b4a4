//! PostgreSQL's array literals (`{1,2,"a b",NULL,{3,4}}`) parsed into nested items.

/// A parsed PostgreSQL array literal: nested lists of optional strings.
#[derive(Debug, Clone, PartialEq)]
pub enum ArrayItem {
    Null,
    Text(String),
    List(Vec<ArrayItem>),
}

/// Parses `{1,2,"a b",NULL,{3,4}}` (with optional `[1:2]=` bounds prefix).
pub fn parse_array(text: &str) -> Option<Vec<ArrayItem>> {
    let body = match text.find("={") {
        Some(pos) if text.starts_with('[') => &text[pos + 1..],
        _ => text,
    };
    let chars: Vec<char> = body.chars().collect();
    let mut pos = 0;
    let list = parse_list(&chars, &mut pos)?;
    (pos == chars.len()).then_some(list)
}

fn parse_list(c: &[char], pos: &mut usize) -> Option<Vec<ArrayItem>> {
    if c.get(*pos) != Some(&'{') {
        return None;
    }
    *pos += 1;
    let mut items = Vec::new();
    if c.get(*pos) == Some(&'}') {
        *pos += 1;
        return Some(items);
    }
    loop {
        match c.get(*pos)? {
            '{' => items.push(ArrayItem::List(parse_list(c, pos)?)),
            '"' => {
                *pos += 1;
                let mut s = String::new();
                loop {
                    match c.get(*pos)? {
                        '\\' => {
                            s.push(*c.get(*pos + 1)?);
                            *pos += 2;
                        }
                        '"' => {
                            *pos += 1;
                            break;
                        }
                        ch => {
                            s.push(*ch);
                            *pos += 1;
                        }
                    }
                }
                items.push(ArrayItem::Text(s));
            }
            _ => {
                let start = *pos;
                while !matches!(c.get(*pos)?, ',' | '}') {
                    *pos += 1;
                }
                let raw: String = c[start..*pos].iter().collect();
                items.push(if raw == "NULL" {
                    ArrayItem::Null
                } else {
                    ArrayItem::Text(raw)
                });
            }
        }
        match c.get(*pos)? {
            ',' => *pos += 1,
            '}' => {
                *pos += 1;
                return Some(items);
            }
            _ => return None,
        }
    }
}
