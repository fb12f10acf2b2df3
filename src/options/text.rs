//! How option values are spelled on TF's command line: comma-separated lists,
//! `name=value` assignments, tag sets.

use crate::error::{Error, Result};

/// `--saved_model_tags` when none are given (`tag_constants.SERVING`).
pub const DEFAULT_SAVED_MODEL_TAGS: &str = "serve";

/// Splits a comma-separated flag value the way TF does (spaces removed), and
/// drops empty items, which TF turns into confusing "not in graph" errors.
pub fn split_list(value: &str) -> Vec<String> {
    value
        .replace(' ', "")
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Parses `is_training=false,keep_prob=1.0` into name/value pairs.
pub fn parse_assignments(text: &str) -> Result<Vec<(String, String)>> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| match item.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => {
                Ok((name.trim().to_owned(), value.trim().to_owned()))
            }
            _ => Err(Error::Usage(format!(
                "'{item}' is not name=value (as in is_training=false,keep_prob=1.0)"
            ))),
        })
        .collect()
}

/// Parses `x=-1,224,224,3;y:1=4` into (tensor, dimensions) pairs; `x=` is
/// a scalar, `-1` an unknown dimension.
pub fn parse_shapes(text: &str) -> Result<Vec<(String, Vec<i64>)>> {
    let bad = |item: &str, why: &str| {
        Error::Usage(format!(
            "'{item}' {why} (as in x=-1,224,224,3;y=4, -1 for an unknown dimension)"
        ))
    };
    text.split(';')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            let (name, dims) = item
                .split_once('=')
                .filter(|(name, _)| !name.trim().is_empty())
                .ok_or_else(|| bad(item, "is not name=dimensions"))?;
            let dims = split_list(dims)
                .iter()
                .map(|d| d.parse::<i64>().ok().filter(|&d| d >= -1))
                .collect::<Option<Vec<i64>>>()
                .ok_or_else(|| bad(item, "has a dimension that is not a size or -1"))?;
            Ok((name.trim().to_owned(), dims))
        })
        .collect()
}

/// `--saved_model_tags`: comma-separated, [`DEFAULT_SAVED_MODEL_TAGS`] when empty.
pub fn saved_model_tags(text: &str) -> Vec<String> {
    let tags = split_list(text);
    if tags.is_empty() {
        split_list(DEFAULT_SAVED_MODEL_TAGS)
    } else {
        tags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_lose_spaces_and_empty_items() {
        assert_eq!(split_list(" a, b ,,c,"), vec!["a", "b", "c"]);
        assert!(split_list("").is_empty());
    }

    #[test]
    fn assignments_parse() {
        let parsed = parse_assignments(" is_training=false, keep_prob = 1.0 ,").expect("parses");
        assert_eq!(
            parsed,
            vec![
                ("is_training".to_owned(), "false".to_owned()),
                ("keep_prob".to_owned(), "1.0".to_owned())
            ]
        );
        assert!(parse_assignments("keep_prob").is_err());
    }

    #[test]
    fn shapes_parse() {
        let parsed = parse_shapes(" x=-1,224, 3; y:1=4;s=").expect("parses");
        assert_eq!(
            parsed,
            vec![
                ("x".to_owned(), vec![-1, 224, 3]),
                ("y:1".to_owned(), vec![4]),
                ("s".to_owned(), vec![])
            ]
        );
        assert!(parse_shapes("x").is_err());
        assert!(parse_shapes("x=1,a").is_err());
        assert!(parse_shapes("x=-2").is_err());
        assert!(parse_shapes("=1").is_err());
    }

    #[test]
    fn tags_default_to_serve() {
        assert_eq!(saved_model_tags(""), vec!["serve"]);
        assert_eq!(saved_model_tags("serve,gpu"), vec!["serve", "gpu"]);
    }
}
