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
    let source = status_enum_source()
        + &declared_items(&crate_dir.join("src"))?
        + &core_enums(&crate_dir.join("src"), &root.join("src"))?;
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
    let mut out = String::new();
    for path in rust_files(src)? {
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

/// The core enums capi hands to C (`core_enum! { /// doc  carto_x = CoreEnum, variants
/// PREFIX_ { Variant: NAME } }`), as C enums for cbindgen: capi's doc on the type, the core's
/// docs and numbers on the variants.
fn core_enums(capi_src: &Path, core_src: &Path) -> Result<String, String> {
    let mut out = String::new();
    for path in rust_files(capi_src)? {
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        for block in macro_blocks(&text, "core_enum!") {
            let declaration = EnumDeclaration::parse(block).ok_or_else(|| {
                format!("{}: cannot read `core_enum! {{{block}}}`", path.display())
            })?;
            out.push_str(&declaration.render(&core_enum(core_src, declaration.core)?)?);
        }
    }
    Ok(out)
}

/// A variant named in the braces of core_enum!: its C doc (if any) and C name (if renamed).
struct VariantNote<'t> {
    docs: Vec<&'t str>,
    name: &'t str,
    rename: Option<&'t str>,
}

struct EnumDeclaration<'t> {
    docs: Vec<&'t str>,
    c_name: &'t str,
    core: &'t str,
    prefix: &'t str,
    notes: Vec<VariantNote<'t>>,
}

impl<'t> EnumDeclaration<'t> {
    fn parse(block: &'t str) -> Option<Self> {
        let mut lines = block.lines().map(str::trim).filter(|l| !l.is_empty());
        let mut docs = Vec::new();
        let head = loop {
            let line = lines.next()?;
            match line.strip_prefix("///") {
                Some(doc) => docs.push(doc),
                None => break line,
            }
        };
        // `carto_x = Core, variants PREFIX_ {` or `... PREFIX_` alone.
        let (c_name, after) = head.split_once('=')?;
        let (core, after) = after.split_once(',')?;
        let after = after.trim().strip_prefix("variants")?.trim();
        let (prefix, inline) = match after.split_once('{') {
            Some((prefix, rest)) => (prefix.trim(), Some(rest.trim())),
            None => (after, None),
        };
        let entry_of = |entry: &'t str, docs: Vec<&'t str>| {
            let entry = entry.trim_end_matches(',').trim();
            let (name, rename) = match entry.split_once(':') {
                Some((name, rename)) => (name.trim(), Some(rename.trim())),
                None => (entry, None),
            };
            VariantNote { docs, name, rename }
        };
        let mut notes = Vec::new();
        if let Some(entries) = inline.and_then(|rest| rest.strip_suffix('}')) {
            // `{ A: B, C }` on the declaration's line.
            notes.extend(
                entries
                    .split(',')
                    .filter(|e| !e.trim().is_empty())
                    .map(|e| entry_of(e, Vec::new())),
            );
        } else if inline.is_some() {
            let mut variant_docs = Vec::new();
            for line in lines {
                if let Some(doc) = line.strip_prefix("///") {
                    variant_docs.push(doc);
                    continue;
                }
                if line == "}" {
                    break;
                }
                notes.push(entry_of(line, std::mem::take(&mut variant_docs)));
            }
        }
        let core = core.trim().rsplit("::").next()?.trim();
        Some(EnumDeclaration {
            docs,
            c_name: c_name.trim(),
            core,
            prefix,
            notes,
        })
    }

    fn render(&self, core: &CoreEnum) -> Result<String, String> {
        for note in &self.notes {
            if !core.variants.iter().any(|v| v.name == note.name) {
                return Err(format!(
                    "core_enum! {}: {} has no variant {}",
                    self.c_name, self.core, note.name
                ));
            }
        }
        let mut out = String::new();
        for doc in &self.docs {
            out.push_str(&format!("///{doc}\n"));
        }
        out.push_str(&format!("#[repr(i32)]\npub enum {} {{\n", self.c_name));
        for variant in &core.variants {
            let note = self.notes.iter().find(|n| n.name == variant.name);
            match note.filter(|n| !n.docs.is_empty()) {
                Some(n) => n
                    .docs
                    .iter()
                    .for_each(|d| out.push_str(&format!("    ///{d}\n"))),
                None => variant
                    .docs
                    .iter()
                    .for_each(|d| out.push_str(&format!("    #[doc = {d:?}]\n"))),
            }
            let name = note
                .and_then(|n| n.rename)
                .map_or_else(|| screaming_snake(&variant.name), str::to_owned);
            out.push_str(&format!("    {}{name} = {},\n", self.prefix, variant.value));
        }
        out.push_str("}\n");
        Ok(out)
    }
}

/// `ProcessDefault` -> `PROCESS_DEFAULT`, `M2m` -> `M2M`.
fn screaming_snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(c.to_uppercase());
    }
    out
}

struct CoreVariant {
    name: String,
    value: i64,
    docs: Vec<String>,
}

struct CoreEnum {
    variants: Vec<CoreVariant>,
}

fn doc_lines(attrs: &[syn::Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn is_repr_i32(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("repr") && a.parse_args::<syn::Ident>().is_ok_and(|i| i == "i32")
    })
}

fn discriminant(expr: &syn::Expr) -> Option<i64> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(n),
            ..
        }) => n.base10_parse().ok(),
        syn::Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) => discriminant(expr).map(|n| -n),
        _ => None,
    }
}

/// The core enum `name`, found in the core crate's sources (exactly one must be defined).
fn core_enum(core_src: &Path, name: &str) -> Result<CoreEnum, String> {
    let mut found = Vec::new();
    let mut stack = vec![core_src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            if !text.contains(&format!("enum {name}")) {
                continue;
            }
            let file = syn::parse_file(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            for item in file.items {
                if let syn::Item::Enum(e) = item {
                    if e.ident == name {
                        found.push((path.clone(), e));
                    }
                }
            }
        }
    }
    let [(path, item)] = <[_; 1]>::try_from(found).map_err(|found| {
        format!(
            "the core defines {} enums named {name} (one is needed)",
            found.len()
        )
    })?;
    if !is_repr_i32(&item.attrs) {
        return Err(format!(
            "{}: {name} must be #[repr(i32)] to cross the C ABI",
            path.display()
        ));
    }
    let variants = item
        .variants
        .iter()
        .map(|v| {
            let value = v
                .discriminant
                .as_ref()
                .and_then(|(_, e)| discriminant(e))
                .ok_or_else(|| {
                    format!(
                        "{}: {name}::{} needs an explicit number (= N)",
                        path.display(),
                        v.ident
                    )
                })?;
            Ok(CoreVariant {
                name: v.ident.to_string(),
                value,
                docs: doc_lines(&v.attrs),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(CoreEnum { variants })
}

/// The .rs files of a folder, sorted.
fn rust_files(dir: &Path) -> Result<Vec<std::path::PathBuf>, String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    Ok(files)
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

    #[test]
    fn core_enum_declarations_take_the_core_variants() {
        let block = "\n    /// Where it came from.\n    carto_source = cartoauth_core::Source, variants CARTO_SOURCE_ {\n        \
                     /// The C doc.\n        ProcessDefault: DEFAULT,\n    }\n";
        let declaration = EnumDeclaration::parse(block).unwrap();
        assert_eq!(
            (declaration.c_name, declaration.core, declaration.prefix),
            ("carto_source", "Source", "CARTO_SOURCE_")
        );
        let core = CoreEnum {
            variants: vec![
                CoreVariant {
                    name: "Explicit".into(),
                    value: 0,
                    docs: vec![" Built.".into()],
                },
                CoreVariant {
                    name: "ProcessDefault".into(),
                    value: 1,
                    docs: vec![" Core doc.".into()],
                },
                CoreVariant {
                    name: "OAuthUser".into(),
                    value: 7,
                    docs: vec![],
                },
            ],
        };
        let text = declaration.render(&core).unwrap();
        assert_eq!(
            text,
            "/// Where it came from.\n#[repr(i32)]\npub enum carto_source {\n    #[doc = \" Built.\"]\n    \
             CARTO_SOURCE_EXPLICIT = 0,\n    /// The C doc.\n    CARTO_SOURCE_DEFAULT = 1,\n    \
             CARTO_SOURCE_O_AUTH_USER = 7,\n}\n"
        );
        let plain = EnumDeclaration::parse("carto_x = X, variants X_").unwrap();
        assert!(plain.notes.is_empty());
        let inline =
            EnumDeclaration::parse("carto_x = X, variants X_ { OAuthUser: OAUTH_USER }").unwrap();
        assert_eq!(
            (inline.prefix, inline.notes[0].name, inline.notes[0].rename),
            ("X_", "OAuthUser", Some("OAUTH_USER"))
        );
        let wrong = EnumDeclaration::parse("carto_x = X, variants X_ {\n Gone: G\n}").unwrap();
        assert!(wrong.render(&core).unwrap_err().contains("no variant Gone"));
    }

    #[test]
    fn a_core_enum_without_repr_i32_or_numbers_is_refused() {
        let dir = std::env::temp_dir().join(format!("xtask-enum-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.rs"), "#[repr(i32)]\npub enum Numbered { A = 1, B = -2 }\npub enum Plain { A }\n#[repr(i32)]\npub enum Half { A = 0, B }\n").unwrap();
        let numbered = core_enum(&dir, "Numbered").unwrap();
        assert_eq!(
            numbered
                .variants
                .iter()
                .map(|v| v.value)
                .collect::<Vec<_>>(),
            vec![1, -2]
        );
        assert!(core_enum(&dir, "Plain")
            .err()
            .unwrap()
            .contains("#[repr(i32)]"));
        assert!(core_enum(&dir, "Half")
            .err()
            .unwrap()
            .contains("Half::B needs an explicit number"));
        assert!(core_enum(&dir, "Missing")
            .err()
            .unwrap()
            .contains("0 enums"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
