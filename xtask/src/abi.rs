//! The ABI as the generated header states it: functions with their C types, constants, enums,
//! handle and callback types. The header is cbindgen's rendering of capi/'s sources, so this
//! reads a format we control (one declaration per statement, comments in `/** */`).

use std::collections::BTreeSet;

/// A C type as written in a declaration: `const char *const *` is base `char` (const),
/// two pointer levels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CType {
    /// `char`, `uint8_t`, `struct carto_client`, `carto_status`, `void`, ...
    pub base: String,
    /// Whether the base type is `const` (`const char *`).
    pub base_const: bool,
    /// Pointer levels.
    pub depth: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub ty: CType,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    pub ret: CType,
    pub params: Vec<Param>,
    /// The declaration on one line, as abi/cartoauth.symbols lists it.
    pub prototype: String,
}

/// A `#define` with a value the bindings can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Int(i64),
    Str(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constant {
    pub name: String,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enum {
    pub name: String,
    pub variants: Vec<(String, i64)>,
}

#[derive(Debug, Default)]
pub struct Abi {
    pub functions: Vec<Function>,
    pub constants: Vec<Constant>,
    pub enums: Vec<Enum>,
    /// `typedef struct carto_x carto_x;`: opaque handles.
    pub handles: BTreeSet<String>,
    /// `typedef R (*carto_x_fn)(...)`: callback types.
    pub callbacks: BTreeSet<String>,
}

impl Abi {
    #[cfg(test)]
    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.name == name)
    }

    /// Whether `name` is one of the enum types (an `int32_t` in C).
    pub fn is_enum(&self, name: &str) -> bool {
        self.enums.iter().any(|e| e.name == name)
    }
}

/// The header without its comments.
fn strip_comments(header: &str) -> String {
    let mut code = String::with_capacity(header.len());
    let mut rest = header;
    while let Some(start) = rest.find("/*") {
        code.push_str(&rest[..start]);
        let end = rest[start..]
            .find("*/")
            .map_or(rest.len(), |e| start + e + 2);
        rest = &rest[end..];
    }
    code.push_str(rest);
    code.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn parse(header: &str) -> Result<Abi, String> {
    let code = strip_comments(header);
    let mut abi = Abi::default();
    for line in code.lines() {
        if let Some(rest) = line.trim().strip_prefix("#define ") {
            if let Some(constant) = constant(rest) {
                abi.constants.push(constant);
            }
        }
    }
    // Statements outside preprocessor lines and the extern "C" braces.
    let code: String = code
        .lines()
        .filter(|l| {
            let l = l.trim();
            !(l.starts_with('#') || l == "extern \"C\" {" || l == "}")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut depth = 0usize;
    let mut statement = String::new();
    for c in code.chars() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or("unbalanced braces in the header")?
            }
            ';' if depth == 0 => {
                declaration(&mut abi, statement.trim())?;
                statement.clear();
                continue;
            }
            _ => {}
        }
        statement.push(c);
    }
    if !statement.trim().is_empty() {
        return Err(format!("the header ends inside a statement: {statement}"));
    }
    let mut names = BTreeSet::new();
    for f in &abi.functions {
        if !names.insert(&f.name) {
            return Err(format!("{} is declared twice", f.name));
        }
    }
    Ok(abi)
}

fn constant(rest: &str) -> Option<Constant> {
    let (name, value) = rest.split_once(' ')?;
    let value = value.trim();
    let value = value
        .strip_prefix('(')
        .and_then(|v| v.strip_suffix(')'))
        .unwrap_or(value);
    let value = match value {
        "INT64_MAX" => Value::Int(i64::MAX),
        "INT64_MIN" => Value::Int(i64::MIN),
        v if v.starts_with('"') && v.ends_with('"') && v.len() >= 2 => {
            Value::Str(v[1..v.len() - 1].to_owned())
        }
        v => Value::Int(v.parse().ok()?),
    };
    Some(Constant {
        name: name.to_owned(),
        value,
    })
}

fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn declaration(abi: &mut Abi, statement: &str) -> Result<(), String> {
    let text = words(statement);
    if text.is_empty() {
        return Ok(());
    }
    if let Some(rest) = text.strip_prefix("enum ") {
        let open = rest
            .find('{')
            .ok_or_else(|| format!("enum without a body: {text}"))?;
        let name = rest[..open]
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .to_owned();
        let body = rest[open + 1..].trim_end().trim_end_matches('}');
        let mut variants = Vec::new();
        for item in body.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (variant, value) = item
                .split_once('=')
                .ok_or_else(|| format!("enum {name}: {item} has no value"))?;
            let value: i64 = value
                .trim()
                .parse()
                .map_err(|_| format!("enum {name}: {item} is not a number"))?;
            variants.push((variant.trim().to_owned(), value));
        }
        abi.enums.push(Enum { name, variants });
        return Ok(());
    }
    if let Some(rest) = text.strip_prefix("typedef ") {
        if let Some(open) = rest.find("(*") {
            let name = rest[open + 2..].split(')').next().unwrap_or("").trim();
            abi.callbacks.insert(name.to_owned());
        } else if let Some(rest) = rest.strip_prefix("struct ") {
            abi.handles
                .insert(rest.split_whitespace().next().unwrap_or("").to_owned());
        }
        // `typedef enum x x;` and `typedef int32_t x;` restate the enums.
        return Ok(());
    }
    if text.contains('{') {
        return Err(format!("unexpected definition in the header: {text}"));
    }
    let text = text.replace("CARTO_MUST_USE ", "");
    let open = text
        .find('(')
        .ok_or_else(|| format!("not a declaration: {text}"))?;
    let close = text
        .rfind(')')
        .ok_or_else(|| format!("unclosed parameters: {text}"))?;
    let (ret, name) = split_name(&text[..open])?;
    let inner = text[open + 1..close].trim();
    let params = if inner == "void" || inner.is_empty() {
        Vec::new()
    } else {
        inner
            .split(',')
            .map(|p| {
                let (ty, name) = split_name(p)?;
                Ok(Param { name, ty })
            })
            .collect::<Result<Vec<_>, String>>()?
    };
    let prototype = format!("{};", text.replace("( ", "(").replace(" )", ")"));
    abi.functions.push(Function {
        name,
        ret,
        params,
        prototype,
    });
    Ok(())
}

/// `const char *const *queries` -> (type, `queries`).
fn split_name(text: &str) -> Result<(CType, String), String> {
    let text = text.trim();
    let name_start = text
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let name = text[name_start..].to_owned();
    if name.is_empty() {
        return Err(format!("no name in {text:?}"));
    }
    Ok((ctype(&text[..name_start])?, name))
}

fn ctype(text: &str) -> Result<CType, String> {
    let spaced = text.replace('*', " * ");
    let mut base = Vec::new();
    let mut base_const = false;
    let mut depth = 0;
    for word in spaced.split_whitespace() {
        match word {
            "*" => depth += 1,
            "const" if depth == 0 => base_const = true,
            "const" => {} // a const pointer: no difference to the callers
            w if depth == 0 => base.push(w),
            w => return Err(format!("unexpected {w:?} after a pointer in {text:?}")),
        }
    }
    if base.is_empty() {
        return Err(format!("no type in {text:?}"));
    }
    Ok(CType {
        base: base.join(" "),
        base_const,
        depth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "/** doc; with a semicolon */\n#define CARTO_X 1\n#define CARTO_NEG (-1)\n\
        #define CARTO_S \"0.1\"\n#define CARTO_M __attribute__((x))\n\
        enum carto_e\n#if defined(__cplusplus)\n  : int32_t\n#endif\n {\n  /** A. */\n  CARTO_A = 1,\n  CARTO_B = -2,\n};\n\
        typedef int32_t carto_e;\ntypedef struct carto_h carto_h;\n\
        typedef int32_t (*carto_cb)(void *a, size_t n);\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\
        CARTO_MUST_USE\ncarto_status carto_f(const char *const *q,\n      struct carto_h **out);\n\
        void carto_g(void);\n#ifdef __cplusplus\n}  // extern \"C\"\n#endif\n";

    #[test]
    fn reads_functions_constants_enums_and_types() {
        let abi = parse(HEADER).unwrap();
        assert_eq!(abi.functions.len(), 2);
        let f = abi.function("carto_f").unwrap();
        assert_eq!(
            f.prototype,
            "carto_status carto_f(const char *const *q, struct carto_h **out);"
        );
        assert_eq!(f.params[0].ty.base, "char");
        assert!(f.params[0].ty.base_const);
        assert_eq!(f.params[0].ty.depth, 2);
        assert_eq!(f.params[1].name, "out");
        assert_eq!(f.params[1].ty.base, "struct carto_h");
        assert_eq!(abi.function("carto_g").unwrap().params, vec![]);
        assert_eq!(
            abi.constants,
            vec![
                Constant {
                    name: "CARTO_X".into(),
                    value: Value::Int(1)
                },
                Constant {
                    name: "CARTO_NEG".into(),
                    value: Value::Int(-1)
                },
                Constant {
                    name: "CARTO_S".into(),
                    value: Value::Str("0.1".into())
                },
            ]
        );
        assert_eq!(
            abi.enums[0].variants,
            vec![("CARTO_A".into(), 1), ("CARTO_B".into(), -2)]
        );
        assert!(abi.handles.contains("carto_h"));
        assert!(abi.callbacks.contains("carto_cb"));
    }

    #[test]
    fn a_declaration_it_cannot_read_is_an_error() {
        assert!(parse("int carto_x(int);").is_err());
        assert!(parse("void carto_x(void);\nvoid carto_x(void);").is_err());
    }
}
