//! The report as JSON.

use super::Report;

/// A JSON value with keys in the order they were added. Hand-written so the
/// core (and its wasm build) carries no serialisation framework for one report.
#[derive(Debug, Clone)]
enum Json {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(&'static str, Json)>),
}

impl Json {
    fn str(text: &str) -> Json {
        Json::Str(text.to_owned())
    }

    fn opt_str(text: &Option<String>) -> Json {
        text.as_deref().map_or(Json::Null, Json::str)
    }

    fn shape(shape: &Option<Vec<i64>>) -> Json {
        shape.as_ref().map_or(Json::Null, |dims| {
            Json::Array(dims.iter().map(|&d| Json::Int(d)).collect())
        })
    }

    fn is_scalar(&self) -> bool {
        !matches!(self, Json::Array(_) | Json::Object(_))
    }

    /// Pretty-prints with two-space indents; arrays of scalars stay on one line.
    fn write(&self, out: &mut String, indent: usize) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(n) => out.push_str(&n.to_string()),
            Json::UInt(n) => out.push_str(&n.to_string()),
            Json::Str(s) => write_string(out, s),
            Json::Array(items) if items.is_empty() => out.push_str("[]"),
            Json::Array(items) if items.iter().all(Json::is_scalar) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(out, indent);
                }
                out.push(']');
            }
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    out.push_str(if i > 0 { ",\n" } else { "\n" });
                    push_indent(out, indent + 1);
                    item.write(out, indent + 1);
                }
                out.push('\n');
                push_indent(out, indent);
                out.push(']');
            }
            Json::Object(fields) if fields.is_empty() => out.push_str("{}"),
            Json::Object(fields) => {
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    out.push_str(if i > 0 { ",\n" } else { "\n" });
                    push_indent(out, indent + 1);
                    write_string(out, key);
                    out.push_str(": ");
                    value.write(out, indent + 1);
                }
                out.push('\n');
                push_indent(out, indent);
                out.push('}');
            }
        }
    }
}

fn push_indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

/// A JSON string (RFC 8259 section 7): quotes, backslashes and control
/// characters escaped; U+2028/U+2029 too, so the text is also valid JavaScript.
pub(crate) fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Report {
    /// The report as one pretty-printed JSON object, keys in a fixed order.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.to_value().write(&mut out, 0);
        out.push('\n');
        out
    }

    fn to_value(&self) -> Json {
        let outputs = self.suggested_outputs.iter().map(|s| {
            Json::Object(vec![
                ("name", Json::str(&s.name)),
                ("op", Json::str(&s.op)),
                ("dtype", Json::opt_str(&s.dtype)),
                ("shape", Json::shape(&s.shape)),
                ("reason", Json::str(&s.reason)),
            ])
        });
        let inputs = self.inputs.iter().map(|i| {
            Json::Object(vec![
                ("name", Json::str(&i.name)),
                ("dtype", Json::opt_str(&i.dtype)),
                ("shape", Json::shape(&i.shape)),
                ("has_default", Json::Bool(i.has_default)),
            ])
        });
        let variables = self.variables.iter().map(|v| {
            Json::Object(vec![
                ("name", Json::str(&v.name)),
                ("dtype", Json::opt_str(&v.dtype)),
                ("shape", Json::shape(&v.shape)),
                ("bytes", Json::UInt(v.bytes)),
                ("used_by_graph", Json::Bool(v.used_by_graph)),
            ])
        });
        let problems = self.problems.iter().map(|p| {
            Json::Object(vec![
                ("kind", Json::str(p.kind.as_str())),
                ("name", Json::str(&p.name)),
                ("message", Json::str(&p.message)),
            ])
        });
        let s = &self.summary;
        let count = |n: usize| Json::UInt(u64::try_from(n).unwrap_or(u64::MAX));
        Json::Object(vec![
            ("suggested_outputs", Json::Array(outputs.collect())),
            ("inputs", Json::Array(inputs.collect())),
            ("variables", Json::Array(variables.collect())),
            ("problems", Json::Array(problems.collect())),
            (
                "summary",
                Json::Object(vec![
                    ("graph_kind", Json::str(&s.graph_kind)),
                    ("nodes", count(s.nodes)),
                    ("variables", count(s.variables)),
                    ("checkpoint_bytes", Json::UInt(s.checkpoint_bytes)),
                ]),
            ),
        ])
    }
}

/// A JSON string literal, for reports written elsewhere.
pub fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    write_string(&mut out, text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        let mut out = String::new();
        write_string(&mut out, "a\"b\\c\nd\u{1}e\u{2028}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001e\u2028é""#);
    }

    #[test]
    fn scalar_arrays_stay_on_one_line() {
        let value = Json::Object(vec![
            ("shape", Json::shape(&Some(vec![2, -1]))),
            ("none", Json::shape(&None)),
            ("empty", Json::Array(Vec::new())),
        ]);
        let mut out = String::new();
        value.write(&mut out, 0);
        assert_eq!(
            out,
            "{\n  \"shape\": [2, -1],\n  \"none\": null,\n  \"empty\": []\n}"
        );
    }
}
