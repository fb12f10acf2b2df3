//! Node and tensor names as TF spells them in `NodeDef.input` and in flags.

use crate::error::{Error, Result};
use crate::proto::GraphDef;

/// The node a name refers to: `^a` (control input) and `a:1` (tensor) are node `a`
/// (graph_util_impl.py `_node_name`).
pub fn node_name(input: &str) -> &str {
    let name = input.strip_prefix('^').unwrap_or(input);
    name.split(':').next().unwrap_or(name)
}

/// The producing node and output index of a data input: the output index is
/// the last `:`-part when it is a number, else 0 (convert_to_constants.py,
/// `_Convertible._parse_input`... endpoint parsing).
pub fn endpoint(input: &str) -> (&str, usize) {
    let name = input.strip_prefix('^').unwrap_or(input);
    let node = name.split(':').next().unwrap_or(name);
    let index = name
        .rsplit_once(':')
        .and_then(|(_, last)| last.parse().ok())
        .unwrap_or(0);
    (node, index)
}

/// Longest input echoed whole in a message; longer is cut, so a crafted
/// name of megabytes never floods the terminal.
const MAX_ECHO: usize = 200;

/// `text` as a message may echo it: cut after `MAX_ECHO` characters.
pub fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_ECHO) {
        Some((end, _)) => format!("{}...", text.get(..end).unwrap_or(text)),
        None => text.to_owned(),
    }
}

/// The existing names nearest to `wanted`, best first, for "did you mean".
pub fn suggestions<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    // The edit distance costs the product of the lengths; no name is near a huge one.
    if wanted.len() > MAX_ECHO {
        return Vec::new();
    }
    let wanted_lower = wanted.to_lowercase();
    let mut scored: Vec<(usize, &str)> = names
        .filter_map(|name| {
            let lower = name.to_lowercase();
            let distance = edit_distance(&wanted_lower, &lower);
            let limit = (wanted.len() / 3).max(2);
            let last_part = lower.rsplit('/').next().unwrap_or(&lower);
            if distance <= limit || last_part == wanted_lower {
                Some((distance, name))
            } else {
                None
            }
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(5)
        .map(|(_, n)| n.to_owned())
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let delete = previous.get(j + 1).copied().unwrap_or(0) + 1;
            let insert = current.last().copied().unwrap_or(0) + 1;
            current.push(substitute.min(delete).min(insert));
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

/// The node an output name refers to: `name`, `name:0`, `^name`, and a stray
/// `import/` prefix (from `tf.import_graph_def` or TensorBoard) either way.
pub fn resolve_output(graph: &GraphDef, given: &str) -> Result<String> {
    let name = node_name(given.trim());
    let exists = |wanted: &str| graph.node.iter().any(|n| n.name == wanted);
    if exists(name) {
        return Ok(name.to_owned());
    }
    let mut stripped = name;
    while let Some(rest) = stripped.strip_prefix("import/") {
        if exists(rest) {
            return Ok(rest.to_owned());
        }
        stripped = rest;
    }
    let prefixed = format!("import/{name}");
    if exists(&prefixed) {
        return Ok(prefixed);
    }
    Err(Error::UnknownNode {
        name: shorten(name),
        suggestions: suggestions(stripped, graph.node.iter().map(|n| n.name.as_str())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_when_echoed() {
        let long = "é".repeat(120_000);
        let cut = shorten(&long);
        assert_eq!(cut.chars().count(), MAX_ECHO + 3);
        assert_eq!(shorten("probs"), "probs");
        let graph = GraphDef::default();
        let err = resolve_output(&graph, &long).unwrap_err().to_string();
        assert!(err.len() < 1000, "{}", err.len());
    }

    #[test]
    fn node_names_drop_control_marks_and_indices() {
        assert_eq!(node_name("^a/b"), "a/b");
        assert_eq!(node_name("a/b:1"), "a/b");
        assert_eq!(node_name("f:output:0"), "f");
    }

    #[test]
    fn endpoints_take_the_last_numeric_part() {
        assert_eq!(endpoint("a:2"), ("a", 2));
        assert_eq!(endpoint("a"), ("a", 0));
        assert_eq!(endpoint("f:output:3"), ("f", 3));
        assert_eq!(endpoint("f:output"), ("f", 0));
    }

    #[test]
    fn lists_drop_spaces_and_empty_items() {}

    #[test]
    fn suggestions_find_near_names() {
        let names = ["dense/kernel", "output", "out_1", "unrelated_name"];
        let found = suggestions("ouput", names.iter().copied());
        assert_eq!(found.first().map(String::as_str), Some("output"));
        assert!(!found.contains(&"unrelated_name".to_owned()));
    }
}
