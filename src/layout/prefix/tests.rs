use super::*;

/// A folder tree in memory: paths of files, with their text.
struct Tree(Vec<(&'static str, &'static str)>);

impl Folder for Tree {
    fn is_file(&self, path: &str) -> bool {
        self.0.iter().any(|(p, _)| *p == path)
    }
    fn is_dir(&self, path: &str) -> bool {
        let dir = format!("{}/", path.trim_end_matches('/'));
        self.0.iter().any(|(p, _)| p.starts_with(&dir))
    }
    fn names(&self, dir: &str) -> Vec<String> {
        let dir = dir.trim_end_matches('/');
        self.0
            .iter()
            .filter_map(|(p, _)| {
                let (parent, base) = split_prefix(p);
                (parent == dir).then(|| base.to_owned())
            })
            .collect()
    }
    fn text(&self, path: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, t)| (*t).to_owned())
    }
}

fn v2(prefix: &'static str) -> Vec<(&'static str, &'static str)> {
    let index: &'static str = Box::leak(format!("{prefix}.index").into_boxed_str());
    let data: &'static str = Box::leak(format!("{prefix}.data-00000-of-00001").into_boxed_str());
    vec![(index, ""), (data, "")]
}

fn tree(prefixes: &[&'static str], more: &[(&'static str, &'static str)]) -> Tree {
    let mut files: Vec<_> = prefixes.iter().flat_map(|p| v2(p)).collect();
    files.extend_from_slice(more);
    Tree(files)
}

#[test]
fn prefixes_split_into_folder_and_base_name() {
    assert_eq!(split_prefix("model/"), ("model", ""));
    assert_eq!(split_prefix("-50"), ("", "-50"));
    assert_eq!(
        split_prefix("a/b c/model.ckpt-5"),
        ("a/b c", "model.ckpt-5")
    );
    // A backslash is part of a file name, not a folder separator.
    assert_eq!(split_prefix(r"odd\name"), ("", r"odd\name"));
    assert_eq!(split_prefix("/model.ckpt"), ("/", "model.ckpt"));
    assert_eq!(join_prefix("/", "model.ckpt"), "/model.ckpt");
    assert_eq!(join_prefix("model", ""), "model/");
    assert_eq!(join_prefix("", "-50"), "-50");
    assert_eq!(join_prefix("run/", "m"), "run/m");
}

#[test]
fn steps_are_the_digits_after_the_last_dash() {
    assert_eq!(step_of("run/model.ckpt-20000"), Some(20000));
    assert_eq!(step_of("-50"), Some(50));
    assert_eq!(step_of("model.ckpt"), None);
    assert_eq!(step_of("model-"), None);
    assert_eq!(step_of("my-run/model"), None);
}

#[test]
fn the_index_names_the_prefixes_of_a_folder_newest_first() {
    let names: Vec<String> = [
        ".index",
        "m.ckpt-9.index",
        "m.ckpt-10.index",
        "checkpoint",
        "x.meta",
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(prefixes_in(&names), ["m.ckpt-10", "m.ckpt-9", ""]);
}

#[test]
fn the_state_file_gives_base_names_newest_first() {
    let text = "model_checkpoint_path: \"/home/someone/run/model.ckpt-30\"\n\
        all_model_checkpoint_paths: \"/home/someone/run/model.ckpt-10\"\n\
        all_model_checkpoint_paths: \"/home/someone/run/model.ckpt-30\"\n";
    assert_eq!(state_file_entries(text), ["model.ckpt-30", "model.ckpt-10"]);
    assert_eq!(
        state_file_entries(r#"model_checkpoint_path: "C:\\run\\m-5""#),
        ["m-5"]
    );
    assert_eq!(
        state_file_entries("model_checkpoint_path: \"/x/model/\""),
        [""]
    );
    assert!(state_file_entries("garbage\n: \"").is_empty());
}

#[test]
fn a_prefix_with_its_index_is_itself_even_an_empty_base_name() {
    let files = tree(&["model/", "-50", "run/my model.v2"], &[]);
    assert_eq!(resolve_prefix("model/", &files).unwrap(), "model/");
    assert_eq!(resolve_prefix("-50", &files).unwrap(), "-50");
    assert_eq!(
        resolve_prefix("run/my model.v2", &files).unwrap(),
        "run/my model.v2"
    );
}

#[test]
fn an_index_or_data_path_names_its_prefix() {
    let files = tree(&["model/", "run/checkpoints"], &[]);
    assert_eq!(resolve_prefix("model/.index", &files).unwrap(), "model/");
    assert_eq!(
        resolve_prefix("model/.data-00000-of-00001", &files).unwrap(),
        "model/"
    );
    assert_eq!(
        resolve_prefix("run/checkpoints.index", &files).unwrap(),
        "run/checkpoints"
    );
}

#[test]
fn a_v1_table_is_its_own_prefix() {
    let files = Tree(vec![
        ("old/model.ckpt", ""),
        ("v1/m-00000-of-00002", ""),
        ("v1/m-00001-of-00002", ""),
    ]);
    assert_eq!(
        resolve_prefix("old/model.ckpt", &files).unwrap(),
        "old/model.ckpt"
    );
    assert_eq!(resolve_prefix("v1/m", &files).unwrap(), "v1/m");
}

#[test]
fn a_folder_means_its_state_files_newest_entry_by_base_name() {
    let state = "model_checkpoint_path: \"/mnt/other-machine/run/model.ckpt-20\"\n";
    let files = tree(
        &[
            "run/model.ckpt-10",
            "run/model.ckpt-20",
            "run/model.ckpt-30",
        ],
        &[("run/checkpoint", state)],
    );
    assert_eq!(resolve_prefix("run", &files).unwrap(), "run/model.ckpt-20");
    assert_eq!(resolve_prefix("run/", &files).unwrap(), "run/model.ckpt-20");
}

#[test]
fn a_folder_without_a_usable_state_file_means_its_newest_step() {
    let state = "model_checkpoint_path: \"/elsewhere/model.ckpt-99\"\n";
    let files = tree(
        &["run/model.ckpt-9", "run/model.ckpt-10"],
        &[("run/checkpoint", state)],
    );
    assert_eq!(resolve_prefix("run", &files).unwrap(), "run/model.ckpt-10");
    let files = tree(&["run/-5", "run/-50"], &[]);
    assert_eq!(resolve_prefix("run", &files).unwrap(), "run/-50");
    // `saver.save(sess, "model/")` then `--input_checkpoint=model` (no slash).
    let files = tree(&["out/model/"], &[]);
    assert_eq!(resolve_prefix("out/model", &files).unwrap(), "out/model/");
}

#[test]
fn anything_else_is_refused_with_the_prefixes_there_are() {
    let files = tree(&["run/model.ckpt-10", "run/model.ckpt-20"], &[]);
    let err = resolve_prefix("run/model.ckpt-15", &files)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("'run/model.ckpt-20', 'run/model.ckpt-10'"),
        "{err}"
    );
    let err = resolve_prefix("nowhere/model", &files)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no checkpoint .index files there"), "{err}");
    let files = tree(&["two/a", "two/b"], &[]);
    let err = resolve_prefix("two", &files).unwrap_err().to_string();
    assert!(err.contains("'two/a', 'two/b'"), "{err}");
}
