//! The checked-in C header's version macros match Cargo.toml and the runtime, and every
//! exported function is documented (threads, errors, ownership). That the header is the one
//! generated from the sources is checked by `cargo xtask gen --check` (and xtask's tests).

mod support;

fn checked_in() -> String {
    support::read("include/cartoauth.h")
}

fn define(header: &str, name: &str) -> String {
    let prefix = format!("#define {name} ");
    header
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("{name} is not defined"))
        .trim()
        .to_owned()
}

#[test]
fn version_macros_match_cargo_and_the_runtime() {
    let h = checked_in();
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(define(&h, "CARTO_VERSION"), format!("\"{version}\""));
    let parts: Vec<u32> = version.split('.').map(|p| p.parse().unwrap()).collect();
    assert_eq!(define(&h, "CARTO_VERSION_MAJOR"), parts[0].to_string());
    assert_eq!(define(&h, "CARTO_VERSION_MINOR"), parts[1].to_string());
    assert_eq!(define(&h, "CARTO_VERSION_PATCH"), parts[2].to_string());
    assert_eq!(
        define(&h, "CARTO_VERSION_NUMBER"),
        format!(
            "({} * 1000000 + {} * 1000 + {})",
            parts[0], parts[1], parts[2]
        )
    );
    assert_eq!(support::runtime_version(), version);
    assert_eq!(
        define(&h, "CARTO_ABI_VERSION"),
        support::runtime_abi_version().to_string()
    );
}

#[test]
fn header_is_guarded_and_cpp_safe() {
    let h = checked_in();
    assert!(h.contains("#ifndef CARTOAUTH_H\n#define CARTOAUTH_H"));
    assert!(h.contains("#ifdef __cplusplus\nextern \"C\" {"));
    assert!(h.trim_end().ends_with("#endif  /* CARTOAUTH_H */"));
}

/// Each declaration with the doc comment just above it.
fn functions(header: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut doc = String::new();
    let mut in_doc = false;
    for line in header.lines() {
        let t = line.trim_start();
        if t.starts_with("/*") {
            in_doc = true;
            doc.clear();
        }
        if in_doc {
            // Flatten the comment so phrases wrapped over two lines still match.
            doc.push_str(t.trim_start_matches(['/', '*']).trim());
            doc.push(' ');
            if t.ends_with("*/") {
                in_doc = false;
            }
            continue;
        }
        if t.starts_with('#') || t.starts_with("//") {
            continue;
        }
        let name = t
            .match_indices("carto_")
            .map(|(start, _)| {
                t[start..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .find(|name| t.contains(&format!("{name}(")));
        if let Some(name) = name {
            out.push((name, std::mem::take(&mut doc)));
        }
    }
    out
}

#[test]
fn every_function_documents_threads_errors_and_ownership() {
    let h = checked_in();
    let fns = functions(&h);
    assert!(fns.len() >= 30, "found only {} functions", fns.len());
    let mut problems = Vec::new();
    for (name, doc) in &fns {
        if doc.is_empty() {
            problems.push(format!("{name}: no doc comment"));
        }
        if !doc.contains("Thread safety") && !doc.contains("thread safety") {
            problems.push(format!("{name}: no thread-safety note"));
        }
        if !["Errors:", "Never fails", "Does not change the last error"]
            .iter()
            .any(|w| doc.contains(w))
        {
            problems.push(format!("{name}: no error behaviour"));
        }
        let hands_out_pointers = doc.contains("out") || name.ends_with("_free");
        if hands_out_pointers
            && !["owned", "borrowed", "Ownership", "caller", "free"]
                .iter()
                .any(|w| doc.contains(w))
        {
            problems.push(format!("{name}: no ownership note"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The name declared by a `#define`, `enum`, `struct` or `typedef` line, with its kind.
fn declared_names(header: &str) -> Vec<(&'static str, String)> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    for line in header.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("#define ") {
            out.push(("macro", ident(rest)));
        } else if let Some(rest) = t.strip_prefix("typedef ") {
            let last = rest.trim_end_matches(';').rsplit([' ', '*']).next();
            if !rest.contains('(') {
                out.push(("typedef", last.map(ident).unwrap_or_default()));
            }
        } else if let Some(rest) = t.strip_prefix("enum ").or(t.strip_prefix("struct ")) {
            if !rest.contains('(') {
                out.push(("type", ident(rest)));
            }
        } else if t.starts_with("CARTO") || t.starts_with(|c: char| c.is_ascii_uppercase()) {
            if let Some((name, _)) = t.split_once(" = ") {
                out.push(("enumerator", ident(name)));
            }
        }
    }
    out
}

#[test]
fn every_macro_and_type_is_prefixed() {
    let h = checked_in();
    let names = declared_names(&h);
    assert!(names.len() > 40, "found only {} names", names.len());
    let bad: Vec<_> = names
        .iter()
        .filter(|(kind, name)| match *kind {
            "macro" => !name.starts_with("CARTO_") && name != "CARTOAUTH_H",
            "enumerator" => !name.starts_with("CARTO_"),
            _ => !name.starts_with("carto_"),
        })
        .collect();
    assert!(
        bad.is_empty(),
        "unprefixed names leak into the header: {bad:?}"
    );
}

#[test]
fn negative_macros_are_parenthesised() {
    let h = checked_in();
    for line in h.lines().filter(|l| l.starts_with("#define ")) {
        let value = line.splitn(3, ' ').nth(2).unwrap_or("").trim();
        assert!(!value.starts_with('-'), "unparenthesised: {line}");
    }
    assert_eq!(define(&h, "CARTO_KEEP"), "(-1)");
}
