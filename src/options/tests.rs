use super::*;

fn flag(row: &OptionRow) -> String {
    format!("--{}", row.flag)
}

#[test]
fn the_table_defaults_are_tf_defaults() {
    let options = OptionValues::default().freeze_options(flag).unwrap();
    assert_eq!(options, Options::default());
    assert_eq!(OptionValues::default().saved_model_tags(), ["serve"]);
}

#[test]
fn flags_and_aliases_are_unique_and_in_tf_style() {
    let mut names: Vec<&str> = OPTIONS
        .iter()
        .flat_map(|row| std::iter::once(row.flag).chain(row.aliases.iter().copied()))
        .collect();
    assert!(names.iter().all(|n| n
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')));
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), count);
    assert_eq!(
        find("variable_names_blacklist").map(|r| r.flag),
        Some("variable_names_denylist")
    );
}

#[test]
fn every_default_is_a_valid_value() {
    for row in OPTIONS {
        let mut values = OptionValues::default();
        if !row.default.is_empty() {
            values.set(row.flag, row.default).unwrap();
        }
        assert_eq!(values.text(row.flag), row.default, "{}", row.flag);
    }
}

#[test]
fn every_page_control_reaches_the_freeze_options() {
    let base = OptionValues::default().freeze_options(flag).unwrap();
    // The TF.js export's own options are read by the export (tfjs.rs tests them).
    for row in OPTIONS.iter().filter(|r| r.page.is_some() && !r.tfjs_only) {
        if matches!(row.flag, "saved_model_tags" | "verify_checksums") {
            continue; // read by the request and by the writer, not the freeze options
        }
        let mut values = OptionValues::default();
        let value = match row.kind {
            Bool if row.default == "true" => "false",
            Bool => "true",
            _ if row.flag == "placeholder_to_const" => "p=1",
            _ if row.flag == "input_shapes" => "x=-1,4",
            _ if row.flag == "output_format" => "tfjs_graph_model",
            _ => "x",
        };
        values.set(row.flag, value).unwrap();
        assert_ne!(
            values.freeze_options(flag).unwrap(),
            base,
            "{} changes nothing",
            row.flag
        );
    }
}

#[test]
fn values_are_checked_where_they_are_set() {
    let mut values = OptionValues::default();
    assert!(values.set("clear_devices", "FALSE").is_ok());
    assert!(!values.bool("clear_devices"));
    assert_eq!(values.given_bool("clear_devices"), Some(false));
    assert_eq!(values.given_bool("input_binary"), None);
    let err = values.set("clear_devices", "maybe").unwrap_err();
    assert_eq!(
        err.to_string(),
        "--clear_devices takes true or false (or 1/0), not 'maybe'"
    );
    assert!(values
        .set("checkpoint_version", "3")
        .unwrap_err()
        .is_usage());
    assert!(values.set("no_such_flag", "1").unwrap_err().is_usage());
    values.set("variable_names_blacklist", "a, b").unwrap();
    values.set("variable_names_denylist", "c").unwrap();
    let options = values.freeze_options(flag).unwrap();
    assert_eq!(options.variable_names_denylist, Some(vec!["c".to_owned()]));
}

#[test]
fn pairs_as_the_page_sends_them() {
    let pairs = [
        "clear_devices=false".to_owned(),
        "placeholder_to_const=a=1,b=2".to_owned(),
    ];
    let values = OptionValues::from_pairs(&pairs).unwrap();
    assert!(!values.bool("clear_devices"));
    assert_eq!(values.text("placeholder_to_const"), "a=1,b=2");
    assert!(OptionValues::from_pairs(&["clear_devices".to_owned()]).is_err());
}

#[test]
fn bad_assignments_are_named_as_the_shell_names_them() {
    let mut values = OptionValues::default();
    values.set("placeholder_to_const", "pred").unwrap();
    let err = values.freeze_options(|r| r.page.map(|p| p.label).unwrap_or_default().to_owned());
    let text = err.unwrap_err().to_string();
    assert!(
        text.starts_with("Replace placeholders by constants: 'pred' is not name=value"),
        "{text}"
    );
}

#[test]
fn bad_shapes_are_usage_errors_named_as_the_shell_names_them() {
    let mut values = OptionValues::default();
    values.set("input_shapes", "x=1,two").unwrap();
    let err = values.freeze_options(flag).unwrap_err();
    assert!(err.is_usage());
    assert!(
        err.to_string()
            .starts_with("--input_shapes: 'x=1,two' has a dimension"),
        "{err}"
    );
    values.set("input_shapes", "x=-1,4;y:1=").unwrap();
    let options = values.freeze_options(flag).unwrap();
    assert_eq!(
        options.input_shapes,
        [("x".to_owned(), vec![-1, 4]), ("y:1".to_owned(), vec![])]
    );
}

#[test]
fn the_json_table_has_every_row() {
    let json = table_json();
    for row in OPTIONS {
        assert!(
            json.contains(&format!("{{\"flag\":\"{}\"", row.flag)),
            "{}",
            row.flag
        );
    }
    assert!(json.contains(r#""aliases":["variable_names_blacklist"]"#));
    assert!(json.contains(r#""page":{"id":"clear-devices","label":"Clear devices"}"#));
}

#[test]
fn each_shell_phrases_the_options_the_core_names() {
    let message = "too large; keep some with `variable_names_denylist`, or `allow_over_2gb`; `Placeholder` stays";
    assert_eq!(
        phrase(message, |row| format!("--{}", row.flag)),
        "too large; keep some with --variable_names_denylist, or --allow_over_2gb; `Placeholder` stays"
    );
    let page = phrase(message, |row| {
        row.page
            .map_or(row.flag.to_owned(), |p| format!("“{}”", p.label))
    });
    assert!(
        page.ends_with("or “Allow over 2 GiB”; `Placeholder` stays"),
        "{page}"
    );
    assert_eq!(
        phrase("a `lone backtick", |_| String::new()),
        "a `lone backtick"
    );
}
