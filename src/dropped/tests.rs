use super::*;

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn a_dropped_graph_goes_where_its_bytes_say() {
    let dropped = |name: &str, bytes: Vec<u8>| DroppedFiles {
        graph: (name.to_owned(), bytes),
        tables: vec![
            ("m.index".to_owned(), b"i".to_vec()),
            ("more".to_owned(), Vec::new()),
        ],
        prefix: "m".to_owned(),
        ..DroppedFiles::default()
    };
    let flag = |row: &OptionRow| row.flag.to_owned();
    let meta = dropped("m.meta", fixture("cnn_meta/model.ckpt.meta"));
    let meta = meta.request(flag).unwrap();
    assert!(meta.meta_graph.is_some() && meta.graph.is_none() && meta.saved_model.is_none());
    assert_eq!(
        (
            meta.checkpoint.index.name,
            meta.checkpoint.more_tables.len()
        ),
        ("m.index", 1)
    );
    // Renamed, it is still a SavedModel.
    let saved = dropped(
        "export.pb",
        fixture("tf2_saved_model/saved_model/saved_model.pb"),
    );
    let saved = saved.request(flag).unwrap();
    assert!(saved.saved_model.is_some() && saved.graph.is_none());
    assert_eq!(saved.saved_model_tags, ["serve"]);
    let plain = dropped("g.pbtxt", fixture("seed_text/graph.pbtxt"));
    assert!(plain.request(flag).unwrap().graph.is_some());
    let renamed = dropped("graph.pb", fixture("cnn_meta/model.ckpt.meta"));
    assert!(renamed.request(flag).unwrap().meta_graph.is_some());
    let none = DroppedFiles::default();
    assert_eq!(none.request(flag).unwrap().checkpoint.index.name, "");
    assert!(none.checkpoint_layout().is_err());
}

#[test]
fn a_layout_needs_a_file_and_refuses_foreign_bytes() {
    assert!(checkpoint_layout(&[]).is_err());
    let junk = InputFile {
        name: "m.index",
        bytes: b"junk",
    };
    assert!(checkpoint_layout(&[junk]).is_err());
}

#[test]
fn a_v2_layout_lists_its_data_files() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/two_shards/");
    let bytes = std::fs::read(format!("{dir}model.ckpt.index")).unwrap();
    let index = InputFile {
        name: "model.ckpt.index",
        bytes: &bytes,
    };
    let layout = checkpoint_layout(&[index]).unwrap();
    assert_eq!(layout.num_shards, 2);
    assert!(!layout.v1 && layout.tensors > 0);
    assert_eq!(
        layout.files,
        [
            "model.ckpt.data-00000-of-00002",
            "model.ckpt.data-00001-of-00002"
        ]
    );
    assert!(layout
        .to_json()
        .starts_with(r#"{"v1":false,"numShards":2,"#));
}
