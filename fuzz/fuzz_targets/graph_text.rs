//! The protobuf text format: GraphDef and MetaGraphDef `.pbtxt` (a failed
//! GraphDef parse falls back to MetaGraphDef), and SaverDef.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tf_freeze::graph::{self, Expect};
use tf_freeze::InputFile;

fuzz_target!(|data: &[u8]| {
    if std::str::from_utf8(data).is_err() {
        return;
    }
    let file = InputFile {
        name: "graph.pbtxt",
        bytes: data,
    };
    let _ = graph::load(file, Expect::GraphDef, Some(false));
    let _ = graph::load_saver(file);
});
