//! The R package's native-routine registration: bindings/r/src/init.c (the `.Call` table with
//! each routine's arity) and bindings/r/src/routines.h (their prototypes), both from the glue
//! sources' definitions `SEXP C_name(SEXP a, ...)` in bindings/r/src/*.c. Every `.Call(C_x,
//! ...)` of bindings/r/R must name a routine and pass as many arguments as it takes: R checks
//! that only when the call runs, generation checks it for every call.

use crate::Generated;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

pub const INIT: &str = "bindings/r/src/init.c";
pub const ROUTINES: &str = "bindings/r/src/routines.h";

/// A `.Call` routine: its name, its number of arguments and the file defining it.
#[derive(Debug, PartialEq, Eq)]
pub struct Routine {
    pub name: String,
    pub arity: usize,
    pub file: String,
}

/// The routines `source` (one .c file's text) defines, in order.
pub fn routines_of(file: &str, source: &str) -> Result<Vec<Routine>, String> {
    let mut found = Vec::new();
    let mut rest = source;
    // A definition starts a line: `SEXP C_name(` ... `)` then `{`.
    while let Some(at) = rest
        .find("\nSEXP C_")
        .map(|i| i + 1)
        .or_else(|| rest.starts_with("SEXP C_").then_some(0))
    {
        let after = &rest[at + "SEXP ".len()..];
        let open = after
            .find('(')
            .ok_or_else(|| format!("{file}: `SEXP C_...` without `(`"))?;
        let close = after
            .find(')')
            .ok_or_else(|| format!("{file}: unclosed parameter list"))?;
        let name = after[..open].trim().to_owned();
        let params = after[open + 1..close].trim();
        let is_definition = after[close + 1..].trim_start().starts_with('{');
        rest = &after[close..];
        if !is_definition {
            continue;
        }
        let arity = if params == "void" || params.is_empty() {
            0
        } else {
            let params: Vec<&str> = params.split(',').map(str::trim).collect();
            if let Some(bad) = params.iter().find(|p| !p.starts_with("SEXP")) {
                return Err(format!(
                    "{file}: {name} takes `{bad}`; .Call routines take SEXP only"
                ));
            }
            params.len()
        };
        found.push(Routine {
            name,
            arity,
            file: file.to_owned(),
        });
    }
    Ok(found)
}

/// Every `.Call(C_name, args...)` in an R source: (name, number of arguments, line).
pub fn calls_of(source: &str) -> Vec<(String, usize, usize)> {
    let mut calls = Vec::new();
    for (i, _) in source.match_indices(".Call(") {
        let line = source[..i].matches('\n').count() + 1;
        let args = &source[i + ".Call(".len()..];
        // Arguments up to the matching parenthesis, counting top-level commas (strings in .Call
        // arguments are plain names and values here; quotes are skipped all the same).
        let (mut depth, mut commas, mut quote, mut end) = (0usize, 0usize, None, None);
        for (j, c) in args.char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '(' | '[' | '{') => depth += 1,
                (None, ')' | ']' | '}') if depth == 0 => {
                    end = Some(j);
                    break;
                }
                (None, ')' | ']' | '}') => depth -= 1,
                (None, ',') if depth == 0 => commas += 1,
                _ => {}
            }
        }
        let Some(end) = end else { continue };
        let name: String = args[..end]
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
            .collect();
        if name.starts_with("C_") {
            calls.push((name, commas, line));
        }
    }
    calls
}

fn c_files(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_owned();
        if name.ends_with(".c") && name != "init.c" {
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{name}: {e}"))?;
            files.push((name, text));
        }
    }
    files.sort();
    Ok(files)
}

fn r_files(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().and_then(|e| e.to_str()) == Some("R") {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_owned();
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{name}: {e}"))?;
            files.push((name, text));
        }
    }
    files.sort();
    Ok(files)
}

/// The registration for `routines`, checked against the `.Call`s of `r_sources`.
pub fn render(
    routines: &[Routine],
    r_sources: &[(String, String)],
) -> Result<(Generated, Generated), String> {
    let mut by_name = BTreeMap::new();
    for r in routines {
        if let Some(other) = by_name.insert(r.name.as_str(), r) {
            return Err(format!(
                "{} is defined in {} and {}",
                r.name, other.file, r.file
            ));
        }
    }
    let mut problems = Vec::new();
    for (file, text) in r_sources {
        for (name, args, line) in calls_of(text) {
            match by_name.get(name.as_str()) {
                None => problems.push(format!("R/{file}:{line}: .Call({name}): no such routine in src/*.c")),
                Some(r) if r.arity != args => problems.push(format!(
                    "R/{file}:{line}: .Call({name}) passes {args} arguments; {name} (src/{}) takes {}",
                    r.file, r.arity
                )),
                Some(_) => {}
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }

    let mut header = String::from(
        "/* Generated by `cargo xtask gen` from the definitions in bindings/r/src/*.c; do not edit\n \
         * by hand. The .Call entry points, registered in init.c (also generated). */\n\
         #ifndef CARTOAUTH_R_ROUTINES_H\n#define CARTOAUTH_R_ROUTINES_H\n\n#include <Rinternals.h>\n",
    );
    let mut file = "";
    for r in routines {
        if r.file != file {
            file = &r.file;
            writeln!(header, "\n/* {file} */").unwrap();
        }
        let params = if r.arity == 0 {
            "void".to_owned()
        } else {
            vec!["SEXP"; r.arity].join(", ")
        };
        writeln!(header, "SEXP {}({params});", r.name).unwrap();
    }
    header.push_str("\n#endif\n");

    let mut init = String::from(
        "/*\n * Generated by `cargo xtask gen` from the definitions in bindings/r/src/*.c; do not edit\n \
         * by hand. Routine registration: R code calls these through the symbols that\n \
         * useDynLib(cartoauth, .registration = TRUE) creates; no symbol is looked up by name.\n */\n\
         #include <R_ext/Rdynload.h>\n#include <R_ext/Visibility.h>\n\n#include \"routines.h\"\n\n\
         static const R_CallMethodDef call_methods[] = {\n",
    );
    for r in routines {
        writeln!(
            init,
            "    {{\"{0}\", (DL_FUNC)&{0}, {1}}},",
            r.name, r.arity
        )
        .unwrap();
    }
    init.push_str(
        "    {NULL, NULL, 0},\n};\n\nvoid attribute_visible R_init_cartoauth(DllInfo *dll)\n{\n    \
         R_registerRoutines(dll, NULL, call_methods, NULL, NULL);\n    \
         R_useDynamicSymbols(dll, FALSE);\n    R_forceSymbols(dll, TRUE);\n}\n",
    );
    Ok((
        Generated {
            path: INIT.to_owned(),
            text: init,
        },
        Generated {
            path: ROUTINES.to_owned(),
            text: header,
        },
    ))
}

pub fn generate(root: &Path) -> Result<(Generated, Generated), String> {
    let package = root.join("bindings").join("r");
    let mut routines = Vec::new();
    for (file, text) in c_files(&package.join("src"))? {
        routines.extend(routines_of(&file, &text)?);
    }
    render(&routines, &r_files(&package.join("R"))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GLUE: &str = "#include \"x.h\"\n\nstatic SEXP helper(SEXP x) { return x; }\n\n\
        SEXP C_two(SEXP a,\n           SEXP b)\n{\n    return a;\n}\n\nSEXP C_none(void)\n{\n    return R_NilValue;\n}\n";

    #[test]
    fn definitions_give_names_and_arities() {
        let found = routines_of("x.c", GLUE).unwrap();
        assert_eq!(
            found
                .iter()
                .map(|r| (r.name.as_str(), r.arity))
                .collect::<Vec<_>>(),
            vec![("C_two", 2), ("C_none", 0)]
        );
        assert!(routines_of("y.c", "SEXP C_bad(int n)\n{\n}\n").is_err());
    }

    #[test]
    fn calls_must_name_a_routine_with_its_arity() {
        let routines = routines_of("x.c", GLUE).unwrap();
        let ok = [(
            "a.R".to_owned(),
            "f <- function(x) .Call(C_two, x, list(1, 2))\n.Call(C_none)\n".to_owned(),
        )];
        let (init, header) = render(&routines, &ok).unwrap();
        assert!(init.text.contains("{\"C_two\", (DL_FUNC)&C_two, 2},"));
        assert!(header
            .text
            .contains("/* x.c */\nSEXP C_two(SEXP, SEXP);\nSEXP C_none(void);\n"));
        let wrong = [("b.R".to_owned(), "\n.Call(C_two, \"a,b\")\n".to_owned())];
        let err = render(&routines, &wrong).unwrap_err();
        assert!(
            err.contains("R/b.R:2: .Call(C_two) passes 1 arguments; C_two (src/x.c) takes 2"),
            "{err}"
        );
        let missing = [("c.R".to_owned(), ".Call(C_gone, 1)".to_owned())];
        assert!(render(&routines, &missing)
            .unwrap_err()
            .contains("no such routine"));
    }
}
