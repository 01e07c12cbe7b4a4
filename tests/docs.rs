//! The documentation a C or C++ user reads.
//!
//! The header's comments name only functions, types and constants the header declares, and
//! each column kind names the function that reads it (they once pointed to carto_result_time,
//! the query's duration, and to a carto_result_date that never existed).
//!
//! Every C and C++ snippet of the README and docs/ builds as a reader copies it, with
//! `-Wall -Wextra -Werror` (and `-O2 -D_FORTIFY_SOURCE=2`, Ubuntu's defaults, under which glibc
//! warns about ignored results too). The header marks every status CARTO_MUST_USE, so a snippet
//! that ignores one fails here instead of in a user's build.
//!
//! A snippet that defines `main` is a whole program. Any other is what a function body holds:
//! its `#include` lines stay on top and the rest becomes the body of `main`, so everything a
//! snippet needs (includes, declarations) must be in it.

use std::path::{Path, PathBuf};
use std::process::Command;

struct Snippet {
    origin: String,
    cpp: bool,
    code: String,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Markdown files whose snippets users copy: the README and everything under docs/.
fn documents() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md")];
    let mut dirs = vec![root().join("docs")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The fenced ```c / ```cpp / ```c++ blocks of a Markdown text, with their first line.
fn snippets_of(path: &Path) -> Vec<Snippet> {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path
        .strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string();
    let mut found = Vec::new();
    let mut current: Option<(usize, bool, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let fence = line.trim_start();
        match &mut current {
            None => {
                let lang = fence
                    .strip_prefix("```")
                    .map(|l| l.trim().to_ascii_lowercase());
                match lang.as_deref() {
                    Some("c") => current = Some((i + 2, false, String::new())),
                    Some("cpp" | "c++" | "cxx") => current = Some((i + 2, true, String::new())),
                    _ => {}
                }
            }
            Some(_) if fence.starts_with("```") => {
                let (line, cpp, code) = current.take().unwrap();
                found.push(Snippet {
                    origin: format!("{name}:{line}"),
                    cpp,
                    code,
                });
            }
            Some((_, _, code)) => {
                code.push_str(line);
                code.push('\n');
            }
        }
    }
    assert!(current.is_none(), "{name}: a code block is never closed");
    found
}

/// The snippet as a translation unit.
fn program(snippet: &Snippet) -> String {
    if snippet.code.contains("main(") {
        return snippet.code.clone();
    }
    let (includes, body): (Vec<&str>, Vec<&str>) = snippet
        .code
        .lines()
        .partition(|l| l.trim_start().starts_with("#include"));
    let signature = if snippet.cpp {
        "int main()"
    } else {
        "int main(void)"
    };
    format!(
        "{}\n{signature} {{\n{}\n    return 0;\n}}\n",
        includes.join("\n"),
        body.join("\n")
    )
}

fn gdal_cflags() -> Option<Vec<String>> {
    let out = Command::new("pkg-config")
        .args(["--cflags", "gdal"])
        .output()
        .ok()?;
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    })
}

#[test]
fn every_c_and_cpp_snippet_builds_with_warnings_as_errors() {
    let snippets: Vec<Snippet> = documents().iter().flat_map(|p| snippets_of(p)).collect();
    assert!(
        snippets.iter().filter(|s| !s.cpp).count() >= 1 && snippets.iter().any(|s| s.cpp),
        "no C or no C++ snippet found in {:?}: has the manual moved?",
        documents()
    );
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (n, snippet) in snippets.iter().enumerate() {
        let source = dir.path().join(format!(
            "snippet{n}.{}",
            if snippet.cpp { "cpp" } else { "c" }
        ));
        std::fs::write(&source, program(snippet)).unwrap();
        let mut cmd = Command::new(if snippet.cpp { "c++" } else { "cc" });
        cmd.arg(if snippet.cpp {
            "-std=c++17"
        } else {
            "-std=c11"
        })
        .args(["-Wall", "-Wextra", "-Werror", "-pedantic", "-O2"])
        .args(["-U_FORTIFY_SOURCE", "-D_FORTIFY_SOURCE=2"])
        .arg("-I")
        .arg(root().join("include"))
        .arg("-c")
        .arg(&source)
        .arg("-o")
        .arg(dir.path().join(format!("snippet{n}.o")));
        if snippet.code.contains("gdal") || snippet.code.contains("GDAL") {
            match gdal_cflags() {
                Some(flags) => {
                    cmd.args(flags);
                }
                None if std::env::var_os("CARTOAUTH_REQUIRE_INTEROP").is_some() => {
                    panic!("{}: needs GDAL's headers (libgdal-dev)", snippet.origin)
                }
                None => {
                    eprintln!(
                        "SKIPPED {}: GDAL's headers are not installed (libgdal-dev)",
                        snippet.origin
                    );
                    continue;
                }
            }
        }
        let out = cmd.output().expect("a C and C++ compiler (gcc, g++)");
        if !out.status.success() {
            failures.push(format!(
                "{} does not build as copied:\n{}",
                snippet.origin,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn snippets_are_found_with_their_lines_and_wrapped_as_a_body() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("x.md");
    std::fs::write(
        &doc,
        "text\n```c\n#include <stdio.h>\nputs(\"hi\");\n```\n```sh\nls\n```\n```cpp\nint main() {}\n```\n",
    )
    .unwrap();
    let found = snippets_of(&doc);
    assert_eq!(found.len(), 2);
    assert!(found[0].origin.ends_with("x.md:3"), "{}", found[0].origin);
    assert_eq!(
        program(&found[0]),
        "#include <stdio.h>\nint main(void) {\nputs(\"hi\");\n    return 0;\n}\n"
    );
    assert!(found[1].cpp);
    assert_eq!(program(&found[1]), "int main() {}\n");
}

fn header() -> String {
    std::fs::read_to_string(root().join("include/cartoauth.h")).unwrap()
}

/// Every `carto_...` / `CARTO_...` word of a text.
fn carto_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if starts_word && (bytes[i..].starts_with(b"carto_") || bytes[i..].starts_with(b"CARTO_")) {
            let end = bytes[i..]
                .iter()
                .position(|&c| !(c.is_ascii_alphanumeric() || c == b'_'))
                .map_or(text.len(), |n| i + n);
            names.push(text[i..end].to_owned());
            i = end;
        } else {
            i += 1;
        }
    }
    names
}

/// The header's comments (`/* ... */` and `// ...`), and everything else.
fn comments_and_code(header: &str) -> (String, String) {
    let (mut comments, mut code) = (String::new(), String::new());
    let mut rest = header;
    while !rest.is_empty() {
        let block = rest.find("/*");
        let line = rest.find("//");
        match (block, line) {
            (Some(b), l) if l.is_none_or(|l| b < l) => {
                code.push_str(&rest[..b]);
                let end = rest[b..].find("*/").map_or(rest.len(), |e| b + e + 2);
                comments.push_str(&rest[b..end]);
                comments.push('\n');
                rest = &rest[end..];
            }
            (_, Some(l)) => {
                code.push_str(&rest[..l]);
                let end = rest[l..].find('\n').map_or(rest.len(), |e| l + e);
                comments.push_str(&rest[l..end]);
                comments.push('\n');
                rest = &rest[end..];
            }
            _ => {
                code.push_str(rest);
                rest = "";
            }
        }
    }
    (comments, code)
}

#[test]
fn the_header_comments_name_only_what_the_header_declares() {
    let header = header();
    let (comments, code) = comments_and_code(&header);
    let declared: std::collections::HashSet<String> = carto_names(&code).into_iter().collect();
    assert!(
        declared.contains("carto_result_time_micros"),
        "the parse found no declarations"
    );
    // Environment variables are named too: the ones src/env.rs defines.
    let env_rs = std::fs::read_to_string(root().join("src/env.rs")).unwrap();
    let variables: Vec<String> = env_rs
        .lines()
        .filter_map(|l| {
            l.split_once("&str = \"")
                .map(|(_, v)| v.trim_end_matches("\";").to_owned())
        })
        .collect();
    assert!(
        variables.contains(&"CARTO_API_KEY".to_owned()),
        "{variables:?}"
    );
    // A quoted name is a string value ("CARTO_UNKNOWN_STATUS"), not a reference.
    let unquoted = comments.replace("\"CARTO_", "\"").replace("\"carto_", "\"");
    // CARTO's own names that happen to start the same way: its data warehouse connection.
    let carto_values = ["carto_dw"];
    let mut unknown: Vec<String> = carto_names(&unquoted)
        .into_iter()
        .filter(|name| !declared.contains(name) && !variables.contains(name))
        .filter(|name| !carto_values.contains(&name.as_str()))
        // A family named by its prefix ("CARTO_ERR_HTTP_*").
        .filter(|name| !name.ends_with('_'))
        .collect();
    unknown.sort();
    unknown.dedup();
    assert!(
        unknown.is_empty(),
        "the header's comments name what it does not declare: {unknown:?}"
    );
}

#[test]
fn each_column_kind_names_the_function_that_reads_it() {
    let header = header();
    let kind_doc = |kind: &str| -> String {
        let at = header
            .find(&format!("{kind} = "))
            .unwrap_or_else(|| panic!("{kind}"));
        let doc_start = header[..at].rfind("/**").unwrap();
        header[doc_start..at].to_owned()
    };
    for (kind, reader) in [
        ("CARTO_COLUMN_TEXT", "carto_result_text"),
        ("CARTO_COLUMN_BOOL", "carto_result_bool"),
        ("CARTO_COLUMN_INT", "carto_result_int64"),
        ("CARTO_COLUMN_FLOAT", "carto_result_double"),
        ("CARTO_COLUMN_TIMESTAMP", "carto_result_time_micros"),
        ("CARTO_COLUMN_DATE", "carto_result_date_days"),
        ("CARTO_COLUMN_GEOMETRY", "carto_result_wkb"),
    ] {
        let doc = kind_doc(kind);
        assert!(doc.contains(reader), "{kind} should name {reader}:\n{doc}");
        // The query's duration is not a cell.
        assert!(
            !carto_names(&doc).contains(&"carto_result_time".to_owned()),
            "{kind}:\n{doc}"
        );
    }
    for constant in ["CARTO_TIME_INFINITY", "CARTO_TIME_MINUS_INFINITY"] {
        let at = header.find(&format!("#define {constant} ")).unwrap();
        let doc = &header[header[..at].rfind("/**").unwrap()..at];
        assert!(
            doc.contains("carto_result_time_micros"),
            "{constant}:\n{doc}"
        );
    }
}
