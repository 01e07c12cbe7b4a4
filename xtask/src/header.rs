//! include/cartoauth.h, written by cbindgen from capi/'s sources.

use crate::Generated;
use std::path::Path;

pub const PATH: &str = "include/cartoauth.h";

/// The status table, which cbindgen cannot read itself (it does not expand macros).
const STATUS_TABLE: StatusTable = include!("../../capi/src/status_table.rs");

pub fn generate(root: &Path) -> Result<Generated, String> {
    let crate_dir = root.join("capi");
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .map_err(|e| format!("capi/cbindgen.toml: {e}"))?;
    config.after_includes = Some(version_macros());
    let status_enum =
        std::env::temp_dir().join(format!("cartoauth-status-{}.rs", std::process::id()));
    let source = status_enum_source() + &declared_items(&crate_dir.join("src"))?;
    std::fs::write(&status_enum, source)
        .map_err(|e| format!("cannot write {}: {e}", status_enum.display()))?;
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_src(&status_enum)
        .with_config(config)
        .generate();
    let _ = std::fs::remove_file(&status_enum);
    let bindings = bindings.map_err(|e| format!("cbindgen cannot read capi/: {e}"))?;
    let mut text = Vec::new();
    bindings.write(&mut text);
    let text = String::from_utf8(text).map_err(|e| format!("cbindgen wrote non-UTF-8: {e}"))?;
    Ok(Generated {
        path: PATH.to_owned(),
        text: parenthesise_negative_macros(&text),
    })
}

/// The items capi declares through macros, which cbindgen does not expand, as plain Rust:
/// each `opaque_handle! { /// doc  carto_x => RustType }` becomes
/// `/// doc  pub struct carto_x { _private: [u8; 0] }`.
fn declared_items(src: &Path) -> Result<String, String> {
    let mut files: Vec<_> = std::fs::read_dir(src)
        .map_err(|e| format!("{}: {e}", src.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    let mut out = String::new();
    for path in files {
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        for block in macro_blocks(&text, "opaque_handle!") {
            let (docs, name) = handle_declaration(block).ok_or_else(|| {
                format!(
                    "{}: cannot read `opaque_handle! {{{block}}}`",
                    path.display()
                )
            })?;
            for doc in docs {
                out.push_str(&format!("///{doc}\n"));
            }
            out.push_str(&format!(
                "pub struct {name} {{\n    _private: [u8; 0],\n}}\n"
            ));
        }
    }
    Ok(out)
}

/// The bodies of `name { ... }` invocations at the start of a line (not in comments).
fn macro_blocks<'t>(text: &'t str, name: &str) -> Vec<&'t str> {
    let mut blocks = Vec::new();
    let mut rest = text;
    let opening = format!("\n{name} {{");
    while let Some(at) = rest.find(&opening) {
        let body = &rest[at + opening.len()..];
        let Some(end) = body.find("\n}") else { break };
        blocks.push(&body[..end]);
        rest = &body[end..];
    }
    blocks
}

/// (doc lines, C name) of `/// ...  carto_x => RustType`.
fn handle_declaration(block: &str) -> Option<(Vec<&str>, &str)> {
    let mut docs = Vec::new();
    let mut name = None;
    for line in block.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(doc) = line.strip_prefix("///") {
            docs.push(doc);
        } else {
            let (c, _rust) = line.split_once("=>")?;
            name = Some(c.trim());
        }
    }
    let name = name?;
    (name.starts_with("carto_") && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then_some((docs, name))
}

/// `#define NAME -1` becomes `#define NAME (-1)`: cbindgen writes negative constants bare,
/// and a bare negative macro changes meaning next to a binary operator (`x-CARTO_KEEP`).
fn parenthesise_negative_macros(header: &str) -> String {
    let mut out = String::with_capacity(header.len() + 16);
    for line in header.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let negative = body.strip_prefix("#define ").and_then(|rest| {
            let (name, value) = rest.split_once(' ')?;
            let digits = value.strip_prefix('-')?;
            (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                .then_some((name, value))
        });
        match negative {
            Some((name, value)) => {
                out.push_str(&format!("#define {name} ({value})"));
                out.push_str(&line[body.len()..]);
            }
            None => out.push_str(line),
        }
    }
    out
}

/// Version macros from the workspace's version (which xtask and capi both inherit), so the
/// header can never disagree with the library.
fn version_macros() -> String {
    let version = env!("CARGO_PKG_VERSION");
    let (major, minor, patch) = (
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
    );
    format!(
        r#"
/** The version of this header, e.g. "0.1.0"; carto_version() gives the loaded library's. */
#define CARTO_VERSION "{version}"
#define CARTO_VERSION_MAJOR {major}
#define CARTO_VERSION_MINOR {minor}
#define CARTO_VERSION_PATCH {patch}
/** MAJOR * 1000000 + MINOR * 1000 + PATCH, for #if comparisons. */
#define CARTO_VERSION_NUMBER ({major} * 1000000 + {minor} * 1000 + {patch})

/** Marks functions whose carto_status result must be checked. */
#if defined(__GNUC__) || defined(__clang__)
#define CARTO_MUST_USE __attribute__((warn_unused_result))
#else
#define CARTO_MUST_USE
#endif"#
    )
}

/// This crate's reading of capi/src/status_table.rs: the enum's doc, then each code's doc,
/// name and number (the description is the library's business).
macro_rules! status_table {
    (
        $(#[doc = $enum_doc:literal])*
        pub enum $enum_name:ident {
            $(
                $(#[doc = $doc:literal])*
                $name:ident = $number:literal => $description:literal,
            )*
        }
    ) => {
        StatusTable {
            name: stringify!($enum_name),
            doc: &[$($enum_doc),*],
            codes: &[$((stringify!($name), $number, &[$($doc),*])),*],
        }
    };
}
use status_table;

pub struct StatusTable {
    pub name: &'static str,
    pub doc: &'static [&'static str],
    pub codes: &'static [(&'static str, i32, &'static [&'static str])],
}

/// The status enum as plain Rust, for cbindgen: the library gets the same enum from the same
/// declaration through capi/src/status.rs's macro.
fn status_enum_source() -> String {
    let doc = |lines: &[&str], indent: &str| -> String {
        lines
            .iter()
            .map(|line| format!("{indent}#[doc = {line:?}]\n"))
            .collect()
    };
    let table = &STATUS_TABLE;
    let mut source = doc(table.doc, "");
    source.push_str(&format!("#[repr(i32)]\npub enum {} {{\n", table.name));
    for (name, number, lines) in table.codes {
        source.push_str(&doc(lines, "    "));
        source.push_str(&format!("    {name} = {number},\n"));
    }
    source.push_str("}\n");
    source
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_handle_declarations_become_plain_structs() {
        let text = "use x;\n\nopaque_handle! {\n    /// Opaque thing.\n    /// Freed with carto_thing_free.\n    \
                    carto_thing => ThingHandle\n}\n\n/// opaque_handle! {\n";
        let blocks = macro_blocks(text, "opaque_handle!");
        assert_eq!(blocks.len(), 1);
        assert_eq!(
            handle_declaration(blocks[0]),
            Some((
                vec![" Opaque thing.", " Freed with carto_thing_free."],
                "carto_thing"
            ))
        );
        assert_eq!(handle_declaration("    not a declaration"), None);
    }
}
