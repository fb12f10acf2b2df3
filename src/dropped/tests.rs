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
fn a_v2_layout_counts_its_data_files() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/two_shards/");
    let bytes = std::fs::read(format!("{dir}model.ckpt.index")).unwrap();
    let index = InputFile {
        name: "model.ckpt.index",
        bytes: &bytes,
    };
    let layout = checkpoint_layout(&[index]).unwrap();
    assert_eq!(layout.num_shards, 2);
    assert!(!layout.v1 && layout.tensors > 0);
    // Their names follow from the count; the index may claim billions.
    assert!(layout.files.is_empty());
    assert!(layout
        .to_json()
        .starts_with(r#"{"v1":false,"numShards":2,"#));
}

// ---- diagnose -----------------------------------------------------------------

fn graph(name: &str, variables: usize) -> Option<DroppedGraph> {
    Some(DroppedGraph {
        name: name.to_owned(),
        variables: Some(variables),
        ..DroppedGraph::default()
    })
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn present(list: &[Option<&str>]) -> Vec<Option<String>> {
    list.iter().map(|s| s.map(str::to_owned)).collect()
}

/// A V2 checkpoint `model.ckpt` of `count` shards, with the shards `dropped`.
fn v2(count: u32, dropped: &[Option<&str>]) -> Option<DroppedCheckpoint> {
    let files = Vec::new();
    Some(DroppedCheckpoint {
        prefix: "model.ckpt".to_owned(),
        index: Some("model.ckpt.index".to_owned()),
        shards: present(dropped),
        layout: Some(CheckpointLayout {
            v1: false,
            num_shards: count,
            tensors: 3,
            files,
        }),
        ..DroppedCheckpoint::default()
    })
}

fn diagnosed(dropped: Dropped) -> Vec<(DropProblemKind, String)> {
    let found = diagnose(&dropped);
    found
        .problems
        .into_iter()
        .map(|p| (p.kind, p.message))
        .collect()
}

const DATA_1: &str = "model.ckpt.data-00000-of-00001";

#[test]
fn complete_files_have_no_problem() {
    let found = diagnose(&Dropped {
        graph: graph("graph.pb", 6),
        checkpoint: v2(1, &[Some(DATA_1)]),
        ..Dropped::default()
    });
    assert_eq!(found, Diagnosis::default());
    assert_eq!(
        found.to_json(),
        r#"{"problems":[],"missing":[],"missingCount":0}"#
    );
    assert!(diagnose(&Dropped::default()).problems.is_empty());
}

#[test]
fn an_unreadable_graph_is_told_as_the_core_said() {
    let graph = DroppedGraph {
        name: "graph.pb".to_owned(),
        error: Some("graph.pb: not a GraphDef".to_owned()),
        ..DroppedGraph::default()
    };
    let found = diagnosed(Dropped {
        graph: Some(graph),
        checkpoint: v2(1, &[Some(DATA_1)]),
        ..Dropped::default()
    });
    assert_eq!(
        found,
        [(
            DropProblemKind::UnreadableGraph,
            "graph.pb: not a GraphDef".to_owned()
        )]
    );
}

#[test]
fn a_graph_without_variables_is_frozen_already() {
    let found = diagnosed(Dropped {
        graph: graph("frozen.pb", 0),
        checkpoint: v2(1, &[Some(DATA_1)]),
        ..Dropped::default()
    });
    assert_eq!(
        found,
        [(
            DropProblemKind::NoVariables,
            "frozen.pb holds no variables: it is most likely frozen already".to_owned()
        )]
    );
}

#[test]
fn data_shards_without_their_index_ask_for_it() {
    let checkpoint = DroppedCheckpoint {
        prefix: "model.ckpt".to_owned(),
        shards: present(&[None, Some("model.ckpt.data-00001-of-00002")]),
        ..DroppedCheckpoint::default()
    };
    let found = diagnosed(Dropped {
        graph: graph("graph.pb", 6),
        checkpoint: Some(checkpoint),
        ..Dropped::default()
    });
    assert_eq!(
        found,
        [(
            DropProblemKind::NoIndex,
            "model.ckpt.data-00001-of-00002 has no model.ckpt.index beside it; add that file too"
                .to_owned()
        )]
    );
}

#[test]
fn an_unreadable_index_is_told_as_the_core_said() {
    let mut checkpoint = v2(1, &[Some(DATA_1)]);
    if let Some(c) = checkpoint.as_mut() {
        c.error = Some("model.ckpt.index: too short".to_owned());
    }
    let found = diagnose(&Dropped {
        graph: graph("graph.pb", 6),
        checkpoint,
        ..Dropped::default()
    });
    assert_eq!(found.problems.len(), 1);
    assert_eq!(
        found.problems[0].kind,
        DropProblemKind::UnreadableCheckpoint
    );
    assert_eq!(found.problems[0].message, "model.ckpt.index: too short");
    // A layout that could not be read names no missing file.
    assert!(found.missing.is_empty());
}

#[test]
fn a_missing_shard_is_named() {
    let found = diagnose(&Dropped {
        graph: graph("model.ckpt.meta", 2),
        checkpoint: v2(2, &[Some("model.ckpt.data-00000-of-00002")]),
        ..Dropped::default()
    });
    assert_eq!(found.missing, ["model.ckpt.data-00001-of-00002"]);
    assert_eq!(found.problems.len(), 1);
    assert_eq!(found.problems[0].kind, DropProblemKind::MissingData);
    assert_eq!(
        found.problems[0].message,
        "model.ckpt.data-00001-of-00002 is missing: model.ckpt.index needs all 2 data files"
    );
    let one = diagnosed(Dropped {
        graph: graph("graph.pb", 2),
        checkpoint: v2(1, &[]),
        ..Dropped::default()
    });
    assert_eq!(
        one,
        [(
            DropProblemKind::MissingData,
            format!("{DATA_1} is missing: the values of model.ckpt.index are in it")
        )]
    );
    // A shard of the wrong count is not the one the index names.
    let three = diagnose(&Dropped {
        graph: graph("graph.pb", 2),
        checkpoint: v2(3, &[Some("model.ckpt.data-00000-of-00002")]),
        ..Dropped::default()
    });
    assert_eq!(three.missing.len(), 3);
    assert!(three.problems[0]
        .message
        .ends_with(" are missing: model.ckpt.index needs all 3 data files"));
}

/// A `.index` whose header claims `num_shards`, with one tensor in shard 0.
fn claimed_index(num_shards: i32) -> Vec<u8> {
    use crate::bundle::test_table::{build_table, TableOptions};
    use crate::proto::{BundleEntryProto, BundleHeaderProto, DataType};
    use prost::Message;
    let header = BundleHeaderProto {
        num_shards,
        ..BundleHeaderProto::default()
    };
    let entry = BundleEntryProto {
        dtype: DataType::DtFloat as i32,
        size: 4,
        ..BundleEntryProto::default()
    };
    let rows = [
        (Vec::new(), header.encode_to_vec()),
        (b"v".to_vec(), entry.encode_to_vec()),
    ];
    build_table(&rows, TableOptions::default())
}

#[test]
fn an_index_claiming_two_billion_shards_is_one_sentence() {
    let bytes = claimed_index(i32::MAX);
    assert!(bytes.len() < 300);
    let start = std::time::Instant::now();
    let index = InputFile {
        name: "model.ckpt.index",
        bytes: &bytes,
    };
    let layout = checkpoint_layout(&[index]).unwrap();
    assert_eq!((layout.num_shards, layout.tensors), (2_147_483_647, 1));
    let given = "model.ckpt.data-00000-of-2147483647";
    let mut checkpoint = v2(1, &[Some(given)]);
    if let Some(c) = checkpoint.as_mut() {
        c.layout = Some(layout);
    }
    let found = diagnose(&Dropped {
        graph: graph("model.ckpt.meta", 1),
        checkpoint,
        ..Dropped::default()
    });
    assert_eq!(found.missing, ["model.ckpt.data-00001-of-2147483647"]);
    assert_eq!(found.missing_count, 2_147_483_646);
    assert_eq!(
        found.problems,
        [DropProblem {
            kind: DropProblemKind::MissingData,
            message: "model.ckpt.index lists 2147483647 data files and 1 was given: \
                      model.ckpt.data-00001-of-2147483647 and 2147483645 more are missing"
                .to_owned()
        }]
    );
    // Nothing was done per claimed shard (a name each would take minutes).
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn a_few_missing_shards_are_all_named_and_many_counted() {
    let ten = diagnose(&Dropped {
        graph: graph("graph.pb", 2),
        checkpoint: v2(11, &[Some("model.ckpt.data-00000-of-00011")]),
        ..Dropped::default()
    });
    assert_eq!((ten.missing.len(), ten.missing_count), (10, 10));
    assert!(ten.problems[0].message.ends_with("needs all 11 data files"));
    let eleven = diagnose(&Dropped {
        graph: graph("graph.pb", 2),
        checkpoint: v2(12, &[None, Some("model.ckpt.data-00001-of-00012")]),
        ..Dropped::default()
    });
    assert_eq!(eleven.missing, ["model.ckpt.data-00000-of-00012"]);
    assert_eq!(eleven.missing_count, 11);
    assert_eq!(
        eleven.problems[0].message,
        "model.ckpt.index lists 12 data files and 1 was given: \
         model.ckpt.data-00000-of-00012 and 10 more are missing"
    );
    assert!(eleven.to_json().ends_with(r#""missingCount":11}"#));
}

#[test]
fn an_index_alone_asks_for_its_graph_and_data() {
    let alone = diagnosed(Dropped {
        checkpoint: v2(2, &[]),
        ..Dropped::default()
    });
    assert_eq!(
        alone,
        [(
            DropProblemKind::NoGraph,
            "model.ckpt.index is a checkpoint index; add the graph it belongs to \
             (a .pb, .pbtxt or .meta file) and its data files too"
                .to_owned()
        )]
    );
    // With some of its data, the missing shard gets its own sentence.
    let some = diagnosed(Dropped {
        checkpoint: v2(2, &[Some("model.ckpt.data-00000-of-00002")]),
        ..Dropped::default()
    });
    let kinds: Vec<_> = some.iter().map(|(kind, _)| *kind).collect();
    assert_eq!(
        kinds,
        [DropProblemKind::NoGraph, DropProblemKind::MissingData]
    );
    assert!(some[0].1.ends_with("(a .pb, .pbtxt or .meta file) too"));
}

fn v1(tables: &[Option<&str>]) -> DroppedCheckpoint {
    DroppedCheckpoint {
        prefix: "model.ckpt".to_owned(),
        v1: true,
        tables: present(tables),
        layout: Some(CheckpointLayout {
            v1: true,
            num_shards: 0,
            tensors: 3,
            files: names(&["model.ckpt-00000-of-00002", "model.ckpt-00001-of-00002"]),
        }),
        ..DroppedCheckpoint::default()
    }
}

#[test]
fn a_v1_checkpoint_names_its_missing_tables_and_asks_for_a_graph() {
    let found = diagnose(&Dropped {
        checkpoint: Some(v1(&[Some("model.ckpt-00000-of-00002")])),
        ..Dropped::default()
    });
    assert_eq!(found.missing, ["model.ckpt-00001-of-00002"]);
    let messages: Vec<_> = found
        .problems
        .iter()
        .map(|p| (p.kind, p.message.as_str()))
        .collect();
    assert_eq!(
        messages,
        [
            (
                DropProblemKind::MissingTables,
                "model.ckpt-00001-of-00002 is missing: the V1 checkpoint model.ckpt has 2 files"
            ),
            (
                DropProblemKind::NoGraph,
                "model.ckpt is a V1 checkpoint; add the graph it belongs to (a .pb, .pbtxt or .meta file) too"
            ),
        ]
    );
    let whole = Dropped {
        graph: graph("graph.pb", 3),
        checkpoint: Some(v1(&[
            Some("model.ckpt-00000-of-00002"),
            Some("model.ckpt-00001-of-00002"),
        ])),
        ..Dropped::default()
    };
    assert_eq!(diagnose(&whole), Diagnosis::default());
}

#[test]
fn a_graph_without_checkpoint_asks_for_it() {
    let found = diagnosed(Dropped {
        graph: graph("graph.pb", 6),
        ..Dropped::default()
    });
    assert_eq!(
        found,
        [(
            DropProblemKind::NoCheckpoint,
            "Add the checkpoint that goes with graph.pb: its .index file and its .data files"
                .to_owned()
        )]
    );
    let saved_model = DroppedGraph {
        role: GraphRole::SavedModel,
        ..graph("saved_model.pb", 2).unwrap()
    };
    let found = diagnosed(Dropped {
        graph: Some(saved_model),
        ..Dropped::default()
    });
    assert_eq!(found[0].0, DropProblemKind::NoCheckpoint);
    assert_eq!(
        found[0].1,
        "Add the variables folder that goes with saved_model.pb too (variables.index and its .data files)"
    );
    // A frozen graph alone says only that.
    let frozen = diagnosed(Dropped {
        graph: graph("frozen.pb", 0),
        ..Dropped::default()
    });
    assert_eq!(frozen.len(), 1);
    assert_eq!(frozen[0].0, DropProblemKind::NoVariables);
}

#[test]
fn files_that_are_neither_graph_nor_checkpoint_are_told_so() {
    let found = diagnosed(Dropped {
        other_files: names(&["notes.txt"]),
        ..Dropped::default()
    });
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, DropProblemKind::NothingUsable);
    assert!(found[0]
        .1
        .starts_with("None of these files is a graph or a checkpoint: drop a .pb"));
    // Beside a graph and its checkpoint, they are no problem.
    let beside = Dropped {
        graph: graph("graph.pb", 6),
        checkpoint: v2(1, &[Some(DATA_1)]),
        other_files: names(&["notes.txt"]),
    };
    assert!(diagnose(&beside).problems.is_empty());
}

#[test]
fn the_page_describes_its_files_in_camel_case() {
    let text = r#"{
        "graph": {"name": "saved_model.pb", "role": "savedModel", "variables": 2},
        "checkpoint": {"prefix": "variables", "index": "variables.index", "shards": [null],
            "layout": {"v1": false, "numShards": 1, "tensors": 2,
                       "files": ["variables.data-00000-of-00001"]}},
        "otherFiles": ["fingerprint.pb"]
    }"#;
    let dropped: Dropped = serde_json::from_str(text).unwrap();
    let found = diagnose(&dropped);
    assert_eq!(found.missing, ["variables.data-00000-of-00001"]);
    assert!(found.to_json().starts_with(
        r#"{"problems":[{"kind":"missing_data","message":"variables.data-00000-of-00001 is missing"#
    ));
    let bare: Dropped = serde_json::from_str("{}").unwrap();
    assert!(diagnose(&bare).problems.is_empty());
}
