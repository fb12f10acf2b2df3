//! Protobuf text built from tokens that open, close and quote messages, with
//! one run of them repeated up to 65,535 times: deep, unclosed and
//! string-hidden nesting. `graph::load` must refuse or load it, never
//! overflow the stack, and stay linear (libFuzzer's -timeout catches a slow one).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tf_freeze::graph::{self, Expect};
use tf_freeze::InputFile;

const TOKENS: [&str; 24] = [
    "node {",
    "attr {",
    "key: \"value\"",
    "value {",
    "list {",
    "func {",
    "name: \"a\"",
    "}",
    "<",
    ">",
    "\"{\"",
    "'<'",
    "# {{{\n",
    "op: \"Const\"",
    "tensor {",
    "[",
    "]",
    ",",
    "\n",
    "library {",
    "function {",
    "signature {",
    "node_def {",
    "\"\\\"{\"",
];

#[derive(Arbitrary, Debug)]
struct Text {
    before: Vec<u8>,
    repeated: Vec<u8>,
    times: u16,
    after: Vec<u8>,
}

fn tokens(picks: &[u8], out: &mut String) {
    for pick in picks {
        out.push_str(TOKENS[usize::from(*pick) % TOKENS.len()]);
        out.push(' ');
    }
}

fuzz_target!(|input: Text| {
    let mut text = String::new();
    tokens(&input.before, &mut text);
    let mut unit = String::new();
    tokens(&input.repeated, &mut unit);
    if unit.len() * usize::from(input.times) > 4 << 20 {
        return;
    }
    text.push_str(&unit.repeat(usize::from(input.times)));
    tokens(&input.after, &mut text);
    let file = InputFile {
        name: "graph.pbtxt",
        bytes: text.as_bytes(),
    };
    for hint in [Some(false), None] {
        let _ = graph::load(file, Expect::GraphDef, hint);
    }
    let _ = graph::load(file, Expect::MetaGraphDef, Some(false));
    let _ = graph::load_saver(file);
});
