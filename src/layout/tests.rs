use super::*;

#[test]
fn a_checkpoint_prefix_from_its_index_its_shards_or_itself() {
    assert_eq!(
        checkpoint_prefix("run/model.ckpt-10.index"),
        "run/model.ckpt-10"
    );
    assert_eq!(checkpoint_prefix("run/m.data-00001-of-00002"), "run/m");
    assert_eq!(checkpoint_prefix("run/model.ckpt-10"), "run/model.ckpt-10");
    // Not a shard name: kept as given.
    assert_eq!(checkpoint_prefix("m.data-1-of-2"), "m.data-1-of-2");
    assert_eq!(
        checkpoint_prefix("m.data-0000x-of-00002"),
        "m.data-0000x-of-00002"
    );
}

#[test]
fn data_file_names_parse_back_to_what_made_them() {
    for (shard, count) in [(0, 1), (3, 7), (99_999, 99_999)] {
        let name = bundle::data_file_name("a.b/model.ckpt", shard, count);
        assert_eq!(
            parse_data_file_name(&name),
            Some(("a.b/model.ckpt", shard, count))
        );
    }
    // `saver.save(sess, "model/")`: an empty base name.
    assert_eq!(
        parse_data_file_name(".data-00000-of-00001"),
        Some(("", 0, 1))
    );
    assert_eq!(parse_data_file_name("m.data-00000-of-000010"), None);
    // `%05d` of a count over 99,999 has more digits and no leading zero.
    assert_eq!(
        parse_data_file_name("m.data-00000-of-2147483647"),
        Some(("m", 0, 2_147_483_647))
    );
    assert_eq!(
        parse_data_file_name("m.data-123456-of-200000"),
        Some(("m", 123_456, 200_000))
    );
    assert_eq!(parse_data_file_name("m.data-00000-of-4294967296"), None);
    assert_eq!(parse_data_file_name("m.data-00000_of_00001"), None);
    assert_eq!(parse_data_file_name("m.index"), None);
    // Multi-byte characters before the suffix are not a problem.
    assert_eq!(
        parse_data_file_name("é.data-00000-of-00001"),
        Some(("é", 0, 1))
    );
}

#[test]
fn v1_table_names() {
    let name = v1_table_name("model.ckpt", 1, 3);
    assert_eq!(name, "model.ckpt-00001-of-00003");
    assert_eq!(parse_v1_table_name(&name), Some(("model.ckpt", 1, 3)));
    assert_eq!(parse_v1_table_name("model.ckpt"), None);
    assert_eq!(parse_v1_table_name("-00001-of-00003"), None);
    assert_eq!(parse_v1_table_name("ééééééééé"), None);
}

#[test]
fn saved_model_layout() {
    assert_eq!(saved_model_variables_prefix("m/"), "m/variables/variables");
    assert_eq!(saved_model_variables_prefix("m"), "m/variables/variables");
    assert_eq!(
        saved_model_file("m/", &["variables", "saved_model.pbtxt", "saved_model.pb"]),
        Ok("m/saved_model.pb".to_owned())
    );
    assert_eq!(
        saved_model_file("m", &["saved_model.pbtxt"]),
        Ok("m/saved_model.pbtxt".to_owned())
    );
    assert!(matches!(
        saved_model_file("m", &["saved_model.cpb"]),
        Err(Error::Unsupported { .. })
    ));
    assert!(matches!(
        saved_model_file("m", &[]),
        Err(Error::MissingFile { file, .. }) if file == "m/saved_model.pb"
    ));
}

#[test]
fn tags_default_to_serve() {
    assert_eq!(saved_model_tags(""), ["serve"]);
    assert_eq!(saved_model_tags(" , "), ["serve"]);
    assert_eq!(saved_model_tags("serve, gpu"), ["serve", "gpu"]);
}

#[test]
fn file_kinds_by_name() {
    let kind = |name| describe(name).kind;
    assert_eq!(kind("graph.pb"), NameKind::Graph);
    assert_eq!(kind("graph.PBTXT"), NameKind::Graph);
    assert_eq!(kind("model.ckpt-5.meta"), NameKind::MetaGraph);
    assert_eq!(kind("saved_model.pb"), NameKind::SavedModel);
    assert_eq!(kind("saved_model.pbtxt"), NameKind::SavedModel);
    assert_eq!(kind("checkpoint"), NameKind::Ignored);
    assert_eq!(kind(".DS_Store"), NameKind::Ignored);
    // What `saver.save(sess, "model/")` writes: checkpoint files, not hidden ones.
    let empty = |name| (describe(name).kind, describe(name).prefix);
    assert_eq!(empty(".index"), (NameKind::Index, ""));
    assert_eq!(empty(".data-00000-of-00001"), (NameKind::Data, ""));
    assert_eq!(empty(".meta"), (NameKind::MetaGraph, ""));
    assert_eq!(empty("-50.index"), (NameKind::Index, "-50"));
    assert_eq!(kind(".DS_Store"), NameKind::Ignored);
    let data = describe("model.ckpt-5.data-00001-of-00002");
    assert_eq!(
        (data.kind, data.prefix, data.shard, data.count),
        (NameKind::Data, "model.ckpt-5", 1, 2)
    );
    let index = describe("variables.index");
    assert_eq!((index.kind, index.prefix), (NameKind::Index, "variables"));
    let v1 = describe("model.ckpt-00002-of-00003");
    assert_eq!(
        (v1.kind, v1.prefix, v1.shard, v1.count),
        (NameKind::Other, "model.ckpt", 2, 3)
    );
    let v1 = describe("model.ckpt");
    assert_eq!(
        (v1.kind, v1.prefix, v1.shard, v1.count),
        (NameKind::Other, "model.ckpt", 0, 1)
    );
}

#[test]
fn v1_sniffing_reads_the_tail_first() {
    assert_eq!(sniff_v1_tail("x", 3, b"abc"), V1Sniff::No);
    assert_eq!(sniff_v1_tail("x", 100, &[0; 48]), V1Sniff::No);
    assert!(!is_v1_table(b"not a table"));
}
