//! Binary GraphDef, MetaGraphDef and SaverDef decoding (text is tried too
//! when the bytes happen to be UTF-8).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tf_freeze::graph::{self, Expect};
use tf_freeze::InputFile;

fuzz_target!(|data: &[u8]| {
    let file = InputFile {
        name: "graph.pb",
        bytes: data,
    };
    let _ = graph::load(file, Expect::GraphDef, Some(true));
    let _ = graph::load(file, Expect::MetaGraphDef, Some(true));
    let _ = graph::load_saver(file);
});
