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
/// One pass that keeps only the best five and allocates nothing per name:
/// a name whose length alone puts it out of reach is skipped without an
/// edit distance, so a graph of a million nodes costs a scan, not a copy.
pub fn suggestions<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    // The edit distance costs the product of the lengths; no name is near a huge one.
    if wanted.len() > MAX_ECHO {
        return Vec::new();
    }
    let limit = (wanted.len() / 3).max(2);
    let wanted: Vec<char> = lower_chars(wanted).collect();
    let mut row = Vec::with_capacity(wanted.len() + 1);
    let mut best: Vec<(usize, &str)> = Vec::with_capacity(SUGGESTIONS + 1);
    for name in names {
        let last_part = name.rsplit('/').next().unwrap_or(name);
        let distance = if lower_chars(last_part).eq(wanted.iter().copied()) {
            bounded_distance(&wanted, name, usize::MAX, &mut row)
        } else {
            bounded_distance(&wanted, name, limit, &mut row)
        };
        let Some(distance) = distance else { continue };
        let at = best.partition_point(|&(d, n)| (d, n) <= (distance, name));
        if at < SUGGESTIONS {
            best.insert(at, (distance, name));
            best.truncate(SUGGESTIONS);
        }
    }
    best.into_iter().map(|(_, n)| n.to_owned()).collect()
}

/// How many names "did you mean" offers.
const SUGGESTIONS: usize = 5;

fn lower_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars().flat_map(char::to_lowercase)
}

/// The case-blind edit distance from `wanted` to `name` when at most `limit`,
/// reusing `row` between calls.
fn bounded_distance(
    wanted: &[char],
    name: &str,
    limit: usize,
    row: &mut Vec<usize>,
) -> Option<usize> {
    // Each character of length difference costs at least one edit.
    let name_len = lower_chars(name).count();
    if name_len.abs_diff(wanted.len()) > limit {
        return None;
    }
    row.clear();
    row.extend(0..=wanted.len());
    for (i, cb) in lower_chars(name).enumerate() {
        let mut diagonal = i;
        let mut current = i + 1;
        let mut row_min = current;
        for (j, ca) in wanted.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(usize::MAX - 1);
            let next = (diagonal + usize::from(*ca != cb))
                .min(above + 1)
                .min(current + 1);
            diagonal = above;
            if let Some(slot) = row.get_mut(j + 1) {
                *slot = next;
            }
            current = next;
            row_min = row_min.min(next);
        }
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        if row_min > limit {
            return None;
        }
    }
    row.last().copied().filter(|&d| d <= limit)
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
    fn suggestions_keep_the_best_five_of_many_names() {
        let names: Vec<String> = (0..10_000).map(|i| format!("layer_{i}/output")).collect();
        let found = suggestions("layer_12/outptu", names.iter().map(String::as_str));
        assert_eq!(found.first().map(String::as_str), Some("layer_12/output"));
        assert_eq!(found.len(), 5);
        assert!(suggestions("Output", ["a/output"].into_iter()).contains(&"a/output".to_owned()));
    }

    #[test]
    fn suggestions_find_near_names() {
        let names = ["dense/kernel", "output", "out_1", "unrelated_name"];
        let found = suggestions("ouput", names.iter().copied());
        assert_eq!(found.first().map(String::as_str), Some("output"));
        assert!(!found.contains(&"unrelated_name".to_owned()));
    }
}
